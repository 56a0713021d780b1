package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.server.log.FileLogDevice;
import org.bess.server.log.LogScanner;
import org.bess.server.txn.PageDiff;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restart's redo inside the log's open scan (one reading of the log for analysis and redo): it recovers exactly what
 * redo as a pass of its own does; a database named only by a {@code DATABASE} record after the master record's
 * checkpoint is opened at its first record and redone; and a recovery that fails (a corrupt page record with a valid
 * checksum) takes no checkpoint over the half-restored pages: the master record and the log stay as they were, and the
 * next start fails the same way.
 */
class OnePassRedoTest {
    private static final String ONE_PASS = "bess.recovery.one.pass";
    private static final int OBJECTS = 2_000;
    private static final int SIZE = 256;

    @TempDir
    Path dir;

    private Context context() {
        return new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(32L << 20)
                .checkpointLogBytes(1L << 30);
    }

    private Path root(final String name) {
        return dir.resolve("db").resolve(name + ".root");
    }

    /** Objects holding their index at offset 0 and 0 at offset 8, committed and checkpointed. */
    private static Ref[] populate(final Session s, final Database db) {
        final TypeId type = db.defineType("Item", SIZE, new int[0]);
        final Ref[] ids = new Ref[OBJECTS];
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "items");
            for (int i = 0; i < OBJECTS; i++) {
                final ObjectRef o = tx.allocate(f, type);
                o.putLong(0, i);
                ids[i] = o.ref();
            }
            tx.commit();
        }
        return ids;
    }

    /** Committed random updates of offset 8; returns the value each object must hold. */
    private static long[] update(final Session s, final Ref[] ids, final int transactions, final long seed) {
        final long[] expected = new long[OBJECTS];
        final Random random = new Random(seed);
        for (int t = 1; t <= transactions; t++) {
            try (Transaction tx = s.begin()) {
                for (int u = 0; u < 8; u++) {
                    final int i = random.nextInt(OBJECTS);
                    final long value = seed * 1_000_000 + t * 100L + u;
                    tx.open(ids[i]).putLong(8, value);
                    expected[i] = value;
                }
                tx.commit();
            }
        }
        return expected;
    }

    /** Offset 8 of every object of a database's "items" file, by the index at offset 0. */
    private static long[] contents(final Session s, final Path root) {
        final long[] out = new long[OBJECTS];
        try (Transaction tx = s.begin();
                Cursor c = tx.scan(tx.file(s.openDatabase(root), "items"))) {
            while (c.next()) {
                out[(int) c.object().getLong(0)] = c.object().getLong(8);
            }
            tx.commit();
        }
        return out;
    }

    private String recoverWith(final String onePass, final long[] expected) {
        final String before = System.getProperty(ONE_PASS);
        System.setProperty(ONE_PASS, onePass);
        try (Session s = BessServer.embedded(context())) {
            assertThat(contents(s, root("a"))).containsExactly(expected);
            return BessServer.recoverySummary(s);
        } finally {
            if (before == null) {
                System.clearProperty(ONE_PASS);
            } else {
                System.setProperty(ONE_PASS, before);
            }
        }
    }

    @Test
    void shouldRecoverTheSameInOnePassAsWithRedoAsAPassOfItsOwn() throws IOException {
        Files.createDirectories(root("a").getParent());
        final long[] expected;
        final Session s = BessServer.embedded(context());
        final Ref[] ids = populate(s, s.createDatabase(root("a"), 1L << 20));
        expected = update(s, ids, 400, 1);
        // in flight at the crash: absent after recovery
        final Transaction loser = s.begin();
        loser.open(ids[0]).putLong(8, -1);
        ((EmbeddedSession) s).crash();
        copy(dir.resolve("node"), dir.resolve("saved").resolve("node"));
        copy(dir.resolve("db"), dir.resolve("saved").resolve("db"));

        assertThat(recoverWith("false", expected))
                .contains("recovered: log bytes")
                .doesNotContain("with redo in the same pass");
        for (final String sub : new String[] {"node", "db"}) {
            delete(dir.resolve(sub));
            copy(dir.resolve("saved").resolve(sub), dir.resolve(sub));
        }
        assertThat(recoverWith("true", expected)).contains("with redo in the same pass");
    }

    @Test
    void shouldRedoADatabaseNamedOnlyAfterTheCheckpoint() throws IOException {
        Files.createDirectories(root("a").getParent());
        try (Session s = BessServer.embedded(context())) {
            populate(s, s.createDatabase(root("b"), 1L << 20));
        }
        final Session s = BessServer.embedded(context());
        final Ref[] a = populate(s, s.createDatabase(root("a"), 1L << 20));
        // a database created now takes a full checkpoint: it names a and c, not b (not opened by this engine yet)
        s.createDatabase(root("c"), 1L << 20);
        final long[] expectedA = update(s, a, 50, 2);
        final Database b = s.openDatabase(root("b"));
        final Ref[] refsB = new Ref[OBJECTS];
        try (Transaction tx = s.begin();
                Cursor c = tx.scan(tx.file(b, "items"))) {
            while (c.next()) {
                refsB[(int) c.object().getLong(0)] = c.object().ref();
            }
            tx.commit();
        }
        final long[] expectedB = update(s, refsB, 200, 3);
        ((EmbeddedSession) s).crash();

        try (Session r = BessServer.embedded(context())) {
            assertThat(BessServer.recoverySummary(r)).contains("with redo in the same pass");
            assertThat(contents(r, root("a"))).containsExactly(expectedA);
            assertThat(contents(r, root("b"))).containsExactly(expectedB);
        }
    }

    @Test
    void shouldTakeNoCheckpointWhenRecoveryFails() throws IOException {
        Files.createDirectories(root("a").getParent());
        final Session s = BessServer.embedded(context());
        final Ref[] ids = populate(s, s.createDatabase(root("a"), 1L << 20));
        update(s, ids, 20, 4);
        ((EmbeddedSession) s).crash();
        final Path logDir = dir.resolve("node").resolve("log");
        corruptLastPageDiff(logDir, context().logSegmentBytes());
        final long master = MasterRecord.read(logDir);
        final long logBytes = logBytes(logDir);

        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> BessServer.embedded(context()))
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("corrupt page diff");
            assertThat(MasterRecord.read(logDir)).as("master record").isEqualTo(master);
            assertThat(logBytes(logDir)).as("log bytes").isEqualTo(logBytes);
        }
    }

    private static long logBytes(final Path logDir) throws IOException {
        long total = 0;
        try (Stream<Path> files = Files.list(logDir)) {
            for (final Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().startsWith("log-")) {
                    total += Files.size(p);
                }
            }
        }
        return total;
    }

    /**
     * Gives the log's last page diff a range count no page can have, with a valid checksum: the scan accepts the
     * record, and applying it fails.
     */
    private static void corruptLastPageDiff(final Path logDir, final long segment) throws IOException {
        long lsn = -1;
        try (FileLogDevice device = new FileLogDevice(logDir)) {
            final long first = device.segments().get(0) * segment + LogSegmentHeaderDescriptor.HEADER_LENGTH;
            try (LogScanner s = LogScanner.sequential(device, segment, first)) {
                while (s.advance()) {
                    if (s.type() == LogRecordDescriptor.TYPE_PAGE_DIFF) {
                        lsn = s.lsn();
                    }
                }
            }
        }
        assertThat(lsn).as("a page diff in the log").isPositive();
        final Path file = logDir.resolve(LogSegmentHeaderDescriptor.fileName(lsn / segment));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            final long at = lsn % segment;
            final ByteBuffer header = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(header, at);
            final int length = header.getInt(0);
            final ByteBuffer record = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(record, at);
            record.putInt(LogRecordDescriptor.PAYLOAD_OFFSET + PageDiff.PAGE_ID_LENGTH, 1 << 20);
            final CRC32C crc = new CRC32C();
            crc.update(
                    record.array(),
                    LogRecordDescriptor.LSN_OFFSET,
                    length - LogRecordDescriptor.TRAILER_LENGTH - LogRecordDescriptor.LSN_OFFSET);
            record.putInt(LogRecordDescriptor.CHECKSUM_OFFSET, (int) crc.getValue());
            record.clear();
            ch.write(record, at);
            ch.force(false);
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
