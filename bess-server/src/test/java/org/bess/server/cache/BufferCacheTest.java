package org.bess.server.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.file.Path;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BufferCacheTest {
    private static final int WINDOW = 0;
    /** Data page p's checksum lives on "info" page INFO_BASE + p, as a data page's lives in its page-info page. */
    private static final long INFO_BASE = 1000;

    @TempDir
    Path dir;

    private BufferCache cache;

    /** Set in an info page's second long when its data page is written back. */
    private static final long STORED_MARK = 0xABCD_0000L;

    private boolean pinInfoOnLoad = true;

    /**
     * Fills every page with its page number. As StorageArea does, loading a data page pins its info page to read the
     * checksum, and writing one back pins its info page to update it (here: marks it in the info page's second long).
     */
    private final class FakeArea implements PageSource {
        @Override
        public void load(final long pageNo, final long address, final boolean control) {
            final UnsafeBuffer page = new UnsafeBuffer(address, PAGE_LENGTH);
            for (int i = 0; i < PAGE_LENGTH; i += Long.BYTES) {
                page.putLong(i, pageNo);
            }
            if (!control && pinInfoOnLoad) {
                final int info = cache.pin(WINDOW, INFO_BASE + pageNo, true);
                cache.unpin(info);
            }
        }

        @Override
        public void store(final long pageNo, final long address, final boolean control) {
            if (!control) {
                final int info = cache.pin(WINDOW, INFO_BASE + pageNo, true);
                new UnsafeBuffer(cache.frameAddress(info), PAGE_LENGTH).putLong(Long.BYTES, STORED_MARK | pageNo);
                cache.markDirty(info);
                cache.unpin(info);
            }
        }

        @Override
        public void force() {}
    }

    private void open(final int frames) {
        cache = new BufferCache(dir.resolve("cache"), frames);
        cache.register(WINDOW, new FakeArea());
    }

    @AfterEach
    void close() {
        cache.close();
    }

    private long firstLong(final int frame) {
        return new UnsafeBuffer(cache.frameAddress(frame), PAGE_LENGTH).getLong(0);
    }

    @Test
    void shouldNotHandTheFrameBeingFilledToANestedMissWhenEveryOtherFrameIsPinnedOrReferenced() {
        open(3);
        final int pinned = cache.pin(WINDOW, 1, true);
        final int referenced = cache.pin(WINDOW, 2, true);
        cache.unpin(referenced);
        // the hand now points past both: the next miss takes the third, empty frame; loading it misses again (its
        // info page), and that nested miss must evict page 2, not take the frame still being filled
        final int data = cache.pin(WINDOW, 7, false);

        assertThat(firstLong(data)).as("the frame of page 7 holds page 7").isEqualTo(7);
        assertThat(cache.frameOf(WINDOW, 7)).isEqualTo(data);
        final int info = cache.frameOf(WINDOW, INFO_BASE + 7);
        assertThat(info)
                .as("the info page got a frame of its own")
                .isNotEqualTo(data)
                .isNotNegative();
        assertThat(firstLong(info)).isEqualTo(INFO_BASE + 7);
        assertThat(cache.frameOf(WINDOW, 2)).as("page 2 was the victim").isEqualTo(-1);
        cache.unpin(data);
        cache.unpin(pinned);
    }

    @Test
    void shouldKeepOneFrameForAPageLoadedByTheWriteBackOfItsOwnVictim() {
        open(2);
        pinInfoOnLoad = false;
        final int data = cache.pin(WINDOW, 5, false);
        cache.markDirty(data);
        cache.unpin(data);
        // page 7, not 6: the frame after page 6's would be taken for it, and the hand would not move past page 5
        cache.unpin(cache.pin(WINDOW, 7, false));
        // the miss on info page 1005 picks dirty data page 5 as its victim; writing 5 back pins 1005 (a nested miss
        // that loads it into the other frame and marks it); the outer miss must then use that frame, not load a second,
        // stale copy of 1005 whose write-back would undo the mark
        final int info = cache.pin(WINDOW, INFO_BASE + 5, true);

        assertThat(new UnsafeBuffer(cache.frameAddress(info), PAGE_LENGTH).getLong(Long.BYTES))
                .as("the info page as the write-back of page 5 left it")
                .isEqualTo(STORED_MARK | 5);
        assertThat(cache.isDirty(info)).isTrue();
        assertThat(cache.frameOf(WINDOW, INFO_BASE + 5)).isEqualTo(info);
        cache.unpin(info);
    }

    /** Sets a frame's client referenced bit in the client-map file, as a client's cache hit does (CAS). */
    private void clientHit(final int frame) throws Exception {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                cache.mapsFile(), java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            final UnsafeBuffer maps =
                    new UnsafeBuffer(ch.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, ch.size()));
            final int state = (int) org.bess.format.ClientMapDescriptor.stateOffset(cache.clientMapSlots(), frame);
            final long s = maps.getLongVolatile(state);
            assertThat(maps.compareAndSetLong(state, s, s | org.bess.format.ClientMapDescriptor.REFERENCED))
                    .isTrue();
        }
    }

    /**
     * Four cached pages, the clock's referenced flags cleared by one sweep (page 5 replaced page 1), the hand on page
     * 2's frame: the next miss replaces page 2, unless a client's hit set its referenced bit, in which case page 2 gets
     * a second chance and page 3 goes.
     */
    private void fillAndSweep() {
        open(4);
        // control pages take free frames from the top of the cache down: pages 4, 3, 2, 1 fill frames 3 to 0, so the
        // clock hand (at frame 0) meets them in the order 1, 2, 3, 4
        for (long p = 4; p >= 1; p--) {
            cache.unpin(cache.pin(WINDOW, p, true));
        }
        cache.unpin(cache.pin(WINDOW, 5, true));
        assertThat(cache.frameOf(WINDOW, 1))
                .as("page 1 replaced by the first sweep")
                .isNegative();
    }

    @Test
    void shouldReplaceTheUnreferencedPageUnderTheHandWithoutAClientHit() {
        fillAndSweep();
        cache.unpin(cache.pin(WINDOW, 6, true));
        assertThat(cache.frameOf(WINDOW, 2)).isNegative();
        assertThat(cache.frameOf(WINDOW, 3)).isNotNegative();
    }

    @Test
    void shouldGiveAPageAClientMappedByAHitASecondChance() throws Exception {
        fillAndSweep();
        clientHit(cache.frameOf(WINDOW, 2));
        cache.unpin(cache.pin(WINDOW, 6, true));
        assertThat(cache.frameOf(WINDOW, 2)).as("the page a client hit").isNotNegative();
        assertThat(cache.frameOf(WINDOW, 3))
                .as("the unreferenced page after it")
                .isNegative();
        assertThat(cache.clientReferencedChances()).isEqualTo(1);
        // the chance is used up: the next turn of the clock may take it
        cache.unpin(cache.pin(WINDOW, 7, true));
        cache.unpin(cache.pin(WINDOW, 8, true));
        cache.unpin(cache.pin(WINDOW, 9, true));
        assertThat(cache.frameOf(WINDOW, 2)).isNegative();
    }
}
