package org.bess.server.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.CorruptPageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BufferCacheRunTest {
    @TempDir
    Path dir;

    /** Pages whose first long is their number; counts reads and runs; page 13 is corrupt. */
    static final class FakeSource implements PageSource {
        final List<long[]> runs = new ArrayList<>();
        int singleLoads;

        @Override
        public void load(final long pageNo, final long address, final boolean control) {
            singleLoads++;
            fill(pageNo, address);
        }

        @Override
        public void loadRun(final long firstPage, final int count, final long address) {
            runs.add(new long[] {firstPage, count});
            for (int i = 0; i < count; i++) {
                fill(firstPage + i, address + ((long) i << 12));
            }
        }

        private static void fill(final long pageNo, final long address) {
            if (pageNo == 13) {
                throw new CorruptPageException("page 13 is corrupt");
            }
            new UnsafeBuffer(address, 4096).putLong(0, pageNo * 31);
        }

        final List<long[]> stored = new ArrayList<>();

        @Override
        public void store(final long pageNo, final long address, final boolean control) {
            stored.add(new long[] {pageNo, 1});
        }

        @Override
        public void storeRun(final long firstPage, final int count, final long[] addresses) {
            stored.add(new long[] {firstPage, count});
        }

        @Override
        public void force() {}
    }

    @Test
    void shouldLoadMissingStretchesInOneReadEachAndLeaveThemUnpinned() {
        try (BufferCache cache = new BufferCache(dir.resolve("c"), 256)) {
            final FakeSource source = new FakeSource();
            cache.register(0, source);
            cache.unpin(cache.pin(0, 104, false));
            cache.loadRun(0, 100, 10);
            assertThat(source.runs).containsExactly(new long[] {100, 4}, new long[] {105, 5});
            assertThat(source.singleLoads).isEqualTo(1);
            for (long p = 100; p < 110; p++) {
                final int frame = cache.frameOf(0, p);
                assertThat(frame).as("page %d cached", p).isGreaterThanOrEqualTo(0);
                assertThat(new UnsafeBuffer(cache.frameAddress(frame), 4096).getLong(0))
                        .isEqualTo(p * 31);
            }
            // nothing stays pinned: every frame can be replaced (pages in order take the frame after their
            // predecessor's while it is free, so the clock hand comes round to the run's frames in the second 256)
            for (long p = 1000; p < 1000 + 2 * 256; p++) {
                cache.unpin(cache.pin(0, p, false));
            }
            assertThat(cache.frameOf(0, 100)).isNegative();
        }
    }

    @Test
    void shouldLoadNothingOfARunWithACorruptPage() {
        try (BufferCache cache = new BufferCache(dir.resolve("c2"), 64)) {
            cache.register(0, new FakeSource());
            assertThatThrownBy(() -> cache.loadRun(0, 10, 8)).isInstanceOf(CorruptPageException.class);
            for (long p = 10; p < 18; p++) {
                assertThat(cache.frameOf(0, p)).isNegative();
            }
        }
    }

    @Test
    void shouldWriteBackConsecutiveDirtyDataPagesInRuns() {
        try (BufferCache cache = new BufferCache(dir.resolve("c3"), 512)) {
            final FakeSource source = new FakeSource();
            cache.register(0, source);
            for (long p = 200; p < 300; p++) {
                if (p != 250) {
                    final int frame = cache.pinNew(0, p, false);
                    cache.markDirty(frame);
                    cache.unpin(frame);
                }
            }
            final int control = cache.pinNew(0, 300, true);
            cache.markDirty(control);
            cache.unpin(control);
            assertThat(cache.checkpoint()).isEqualTo(100);
            assertThat(source.stored).containsExactly(new long[] {200, 50}, new long[] {251, 49}, new long[] {300, 1});
            assertThat(cache.checkpoint()).isZero();
        }
    }
}
