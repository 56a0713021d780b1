package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.frame.VirtualFrames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The virtual frames count the kernel mappings (VMAs) they cost exactly as the process's {@code /proc/self/maps} shows
 * them (frames of consecutive pages in consecutive cache frames with one protection share a mapping), the kernel's
 * protection of every page mirrors its frame state, and the level-one clock keeps the mappings under the limit while
 * many more frames than that stay mapped in runs.
 */
@Timeout(120)
class FrameMappingCountTest {
    private static final int OBJECTS = 3000;

    @TempDir
    Path dir;

    @Test
    void shouldCountTheMappingsTheKernelHasAndStayInTheBudget() throws IOException {
        final int budget = 256;
        final Context context = new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(64L << 20)
                .frameBudget(budget);
        try (EmbeddedSession s = (EmbeddedSession) BessServer.embedded(context)) {
            final Ref[] refs = write(s, dir.resolve("m.root"));
            final VirtualFrames frames = s.frames();
            try (Transaction tx = s.begin()) {
                // every fourth page (objects apart), then every object (pages in runs), twice over
                for (int pass = 0; pass < 2; pass++) {
                    for (int i = 0; i < OBJECTS; i += 8) {
                        assertThat(tx.open(refs[i]).getInt(0)).isEqualTo(i);
                    }
                    assertExact(frames, context);
                    for (int i = 0; i < OBJECTS; i++) {
                        assertThat(tx.open(refs[i]).getInt(0)).isEqualTo(i);
                    }
                    assertExact(frames, context);
                    assertThat(frames.mappedCount()).isLessThanOrEqualTo(budget);
                    // backward: the clock protects and unmaps merged runs in one call
                    for (int i = OBJECTS - 1; i >= 0; i--) {
                        assertThat(tx.open(refs[i]).getInt(0)).isEqualTo(i);
                    }
                    assertExact(frames, context);
                    assertThat(frames.mappedCount()).isLessThanOrEqualTo(budget);
                }
                // writes split runs (read-write in the middle of read-only), the commit merges them back
                for (int i = 0; i < OBJECTS; i += 50) {
                    tx.open(refs[i]).putInt(4, i);
                }
                assertExact(frames, context);
                tx.commit();
            }
            assertExact(frames, context);
            assertThat(frames.faultCount()).as("the clock remapped").isGreaterThan(OBJECTS / 2);
        }
    }

    @Test
    void shouldKeepManyMoreFramesMappedThanTheMappingLimitWhenTheyLieInRuns() throws IOException {
        final int limit = 40;
        // a budget above every page: only the mapping limit makes the clock unmap
        final Context context = new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(64L << 20)
                .frameBudget(8192);
        try (EmbeddedSession s = (EmbeddedSession) BessServer.embedded(context)) {
            final Ref[] refs = write(s, dir.resolve("r.root"));
            final VirtualFrames frames = s.frames();
            frames.limitMappings(limit);
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < OBJECTS; i++) {
                    assertThat(tx.open(refs[i]).getInt(0)).isEqualTo(i);
                    assertThat(frames.mappings()).isLessThanOrEqualTo(limit);
                }
                assertExact(frames, context);
                // 1,500 data pages written in order lie in a few runs of consecutive cache frames
                assertThat(frames.mappedCount())
                        .as("frames mapped at once with " + frames.mappings() + " mappings")
                        .isGreaterThan(5 * limit);
                // random order: the clock protects and unmaps whole runs, and the mappings stay under the limit
                final SplittableRandom random = new SplittableRandom(7);
                for (int k = 0; k < 4 * OBJECTS; k++) {
                    final int i = random.nextInt(OBJECTS);
                    assertThat(tx.open(refs[i]).getInt(0)).isEqualTo(i);
                    assertThat(frames.mappings()).isLessThanOrEqualTo(limit);
                    if (k % 997 == 0) {
                        assertExact(frames, context);
                    }
                }
                // and writes, each of which may split a run
                for (int k = 0; k < OBJECTS; k++) {
                    final int i = random.nextInt(OBJECTS);
                    tx.open(refs[i]).putInt(4, k);
                    assertThat(frames.mappings()).isLessThanOrEqualTo(limit);
                }
                assertExact(frames, context);
                tx.commit();
            }
            assertExact(frames, context);
        }
    }

    @Test
    void shouldLeaveAFrameReadOnlyWhenTheFirstWriteThatMappedItFails() throws IOException {
        final Context context = new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(64L << 20)
                .lockContext(new org.bess.server.lock.LockContext()
                        .lockTimeoutNs(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(200)));
        final BessServer server = BessServer.start(context);
        try (EmbeddedSession reader = (EmbeddedSession) server.openSession();
                EmbeddedSession writer = (EmbeddedSession) server.openSession()) {
            final Ref[] refs = write(reader, dir.resolve("w.root"));
            try (Transaction read = reader.begin();
                    Transaction tx = writer.begin()) {
                // the reader's shared lock on the page keeps the writer's exclusive one waiting until it times out
                assertThat(read.open(refs[10]).getInt(0)).isEqualTo(10);
                final ObjectRef o = tx.open(refs[10]);
                assertThatThrownBy(() -> o.putInt(4, 1)).isInstanceOf(org.bess.exceptions.BessException.class);
                // the writer's frame was mapped writable for its first write; the failed update path left it read-only
                final long mapped = countState(writer.frames(), context, VirtualFrames.WRITE);
                assertThat(mapped).as("frames left writable").isZero();
                assertExact(writer.frames(), context);
                assertExact(reader.frames(), context);
            }
        } finally {
            server.close();
        }
    }

    private static long countState(final VirtualFrames frames, final Context context, final byte state) {
        long n = 0;
        for (int w = 0; w < context.maxWindows(); w++) {
            for (long page = 0; page < frames.statePages(w); page++) {
                n += frames.state(w, page) == state ? 1 : 0;
            }
        }
        return n;
    }

    /** 3,000 objects of 2,000 bytes (two per page: 1,500 data pages), object i holding i. */
    private static Ref[] write(final EmbeddedSession s, final Path root) {
        final Database db = s.createDatabase(root, 4L << 20);
        final TypeId type = db.defineType("Big", 2000, new int[0]);
        final Ref[] refs = new Ref[OBJECTS];
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "f");
            for (int i = 0; i < OBJECTS; i++) {
                final ObjectRef o = tx.allocate(f, type);
                o.putInt(0, i);
                refs[i] = o.ref();
            }
            tx.commit();
        }
        return refs;
    }

    /**
     * The kernel's mappings in the frames' reservation are the reservation's own one plus those the frames count, and
     * every page of every open window has the protection its state says (unmapped pages are the private reservation).
     */
    private static void assertExact(final VirtualFrames frames, final Context context) throws IOException {
        final long base = frames.address(0, 0);
        final long windowLength = frames.address(1, 0) - base;
        final long end = base + context.maxWindows() * context.windowSizeBytes();
        final List<long[]> maps = kernelMappings(base, end);
        assertThat(maps.size()).as("kernel mappings in the reservation").isEqualTo(1 + frames.mappings());
        int k = 0;
        for (int w = 0; w < context.maxWindows(); w++) {
            for (long page = 0; page < frames.statePages(w); page++) {
                final long address = base + w * windowLength + (page << 12);
                while (maps.get(k)[1] <= address) {
                    k++;
                }
                final String expected =
                        switch (frames.state(w, page)) {
                            case VirtualFrames.INVALID -> "---p";
                            case VirtualFrames.PROTECTED -> "---s";
                            case VirtualFrames.WRITE -> "rw-s";
                            default -> "r--s";
                        };
                assertThat(perms((int) maps.get(k)[2]))
                        .as("protection of page " + page + " of window " + w + " in state " + frames.state(w, page))
                        .isEqualTo(expected);
            }
        }
    }

    private static String perms(final int bits) {
        return ((bits & 4) != 0 ? "r" : "-") + ((bits & 2) != 0 ? "w" : "-") + "-" + ((bits & 1) != 0 ? "s" : "p");
    }

    /** The mappings of /proc/self/maps that overlap [base, end): {from, to, r=4|w=2|s=1}. */
    private static List<long[]> kernelMappings(final long base, final long end) throws IOException {
        final List<String> lines = Files.readAllLines(Path.of("/proc/self/maps"));
        final List<long[]> out = new java.util.ArrayList<>();
        for (final String line : lines) {
            final String[] fields = line.split(" ", 3);
            final String range = fields[0];
            final long from = Long.parseUnsignedLong(range.substring(0, range.indexOf('-')), 16);
            final long to = Long.parseUnsignedLong(range.substring(range.indexOf('-') + 1), 16);
            if (from < end && to > base) {
                final String p = fields[1];
                final int bits =
                        (p.charAt(0) == 'r' ? 4 : 0) | (p.charAt(1) == 'w' ? 2 : 0) | (p.charAt(3) == 's' ? 1 : 0);
                out.add(new long[] {from, to, bits});
            }
        }
        return out;
    }
}
