package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restart's redo on two threads (the scan and the page lookups on the recovering thread, the writes into the pages on
 * {@code bess-redo-apply}, frames populated ahead by {@code bess-recovery-prefault}) recovers exactly what redo on
 * one thread does, and every commit: with a cache that holds every page (no frame is ever replaced during redo), and
 * with a cache smaller than the database (redo replaces and writes back frames, so it must wait for the applying
 * thread before each such pin).
 */
class ParallelRedoTest {
    private static final String THREADS = "bess.recovery.redo.threads";
    /** Objects of 512 bytes: about 1,100 pages, more than the prefault's threshold of 256 imaged pages. */
    private static final int OBJECTS = 8_000;

    private static final int SIZE = 512;
    private static final int TRANSACTIONS = 300;
    private static final int UPDATES = 16;

    @TempDir
    Path dir;

    private Context context(final long cacheBytes) {
        return new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(cacheBytes)
                .checkpointLogBytes(1L << 30);
    }

    private Path root() {
        return dir.resolve("db").resolve("p.root");
    }

    /**
     * A node whose committed updates live only in the log (and a loser in flight), then halted.
     *
     * @return the value each object must hold after recovery (its index at offset 0, its last update at offset 8).
     */
    private long[] crashedNode() throws IOException {
        Files.createDirectories(root().getParent());
        final long[] expected = new long[OBJECTS];
        final Session s = BessServer.embedded(context(64L << 20));
        final Database db = s.createDatabase(root(), 1L << 20);
        final TypeId type = db.defineType("Item", SIZE, new int[0]);
        final ObjectRef[] refs = new ObjectRef[OBJECTS];
        final org.bess.client.Ref[] ids = new org.bess.client.Ref[OBJECTS];
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "items");
            for (int i = 0; i < OBJECTS; i++) {
                refs[i] = tx.allocate(f, type);
                refs[i].putLong(0, i);
                ids[i] = refs[i].ref();
            }
            tx.commit();
        }
        final Random random = new Random(42);
        for (int t = 1; t <= TRANSACTIONS; t++) {
            try (Transaction tx = s.begin()) {
                for (int u = 0; u < UPDATES; u++) {
                    final int i = random.nextInt(OBJECTS);
                    final ObjectRef o = tx.open(ids[i]);
                    final long value = (long) t * 1_000 + u;
                    o.putLong(8, value);
                    o.putLong(8 + 8 * (1 + random.nextInt(SIZE / 8 - 2)), value);
                    expected[i] = value;
                }
                tx.commit();
            }
        }
        // in flight at the crash, its change never logged: absent after recovery
        final Transaction loser = s.begin();
        loser.open(ids[0]).putLong(8, -1);
        ((EmbeddedSession) s).crash();
        return expected;
    }

    /** Offset 0 and 8 of every object, by index. */
    private long[][] contents(final Session s) {
        final long[][] out = new long[OBJECTS][];
        try (Transaction tx = s.begin();
                Cursor c = tx.scan(tx.file(s.openDatabase(root()), "items"))) {
            while (c.next()) {
                final ObjectRef o = c.object();
                out[(int) o.getLong(0)] = new long[] {o.getLong(0), o.getLong(8)};
            }
            tx.commit();
        }
        return out;
    }

    private long[][] recover(final String threads, final long cacheBytes) {
        final String before = System.getProperty(THREADS);
        System.setProperty(THREADS, threads);
        try (Session s = BessServer.embedded(context(cacheBytes))) {
            assertThat(BessServer.recoverySummary(s)).contains("recovered: log bytes");
            return contents(s);
        } finally {
            if (before == null) {
                System.clearProperty(THREADS);
            } else {
                System.setProperty(THREADS, before);
            }
        }
    }

    private void assertRecovered(final long[][] got, final long[] expected) {
        for (int i = 0; i < OBJECTS; i++) {
            assertThat(got[i]).as("object %d", i).containsExactly(i, expected[i]);
        }
    }

    @Test
    void shouldRecoverTheSameOnTwoThreadsAsOnOne() throws IOException {
        final long[] expected = crashedNode();
        for (final String sub : new String[] {"node", "db"}) {
            copy(dir.resolve(sub), dir.resolve("saved").resolve(sub));
        }
        final long[][] one = recover("1", 64L << 20);
        assertRecovered(one, expected);
        restore();
        final long[][] two = recover("2", 64L << 20);
        assertRecovered(two, expected);
    }

    @Test
    void shouldRecoverOnTwoThreadsWithACacheSmallerThanTheDatabase() throws IOException {
        final long[] expected = crashedNode();
        // 2 MiB of cache for about 4.5 MiB of pages: redo replaces dirty frames (written back) while it goes
        assertRecovered(recover("2", 2L << 20), expected);
    }

    /**
     * The frames populated ahead of redo are those redo takes (data pages fill the cache from its first frame up), not
     * the whole cache: a control page redo brings in takes a frame from the top of the cache, and following it once
     * raised the target to every frame (the whole 64 MiB cache zeroed here for about 8 MiB of frames redo takes: work
     * on a second core that redo needs on a machine with two).
     */
    @Test
    void shouldPopulateAheadOnlyTheFramesRedoTakes() throws IOException {
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "frames are populated on a second core");
        final long[] expected = crashedNode();
        final String before = System.getProperty(THREADS);
        System.setProperty(THREADS, "2");
        try (Session s = BessServer.embedded(context(64L << 20))) {
            final Matcher m = Pattern.compile("cache frames populated ahead (\\d+) \\(target (\\d+) of (\\d+)\\)")
                    .matcher(BessServer.recoverySummary(s));
            assertThat(m.find()).as("the summary says what was populated").isTrue();
            final int target = Integer.parseInt(m.group(2));
            final int frames = Integer.parseInt(m.group(3));
            assertThat(frames).as("a 64 MiB cache").isGreaterThan(4096);
            // the pages of the log (about 1,100) and the prefault's margins, far below the cache's frames
            assertThat(target).isGreaterThan(256).isLessThan(frames / 2);
            assertThat(Integer.parseInt(m.group(1))).isLessThanOrEqualTo(target);
            assertRecovered(contents(s), expected);
        } finally {
            if (before == null) {
                System.clearProperty(THREADS);
            } else {
                System.setProperty(THREADS, before);
            }
        }
    }

    private void restore() throws IOException {
        for (final String sub : new String[] {"node", "db"}) {
            delete(dir.resolve(sub));
            copy(dir.resolve("saved").resolve(sub), dir.resolve(sub));
        }
    }

    private static void copy(final Path from, final Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (final Path p : (Iterable<Path>) files.sorted(Comparator.naturalOrder())::iterator) {
                final Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void delete(final Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> files = Files.walk(p)) {
            for (final Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }
}
