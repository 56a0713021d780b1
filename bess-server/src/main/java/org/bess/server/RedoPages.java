package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.util.Arrays;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogRecordDescriptor;
import org.bess.server.cache.BufferCache;
import org.bess.server.log.LogScanner;
import org.bess.server.txn.PageDiff;
import org.bess.server.txn.TransactionManager;

/**
 * Redo's way to the pages: applies page records read in place by a {@link LogScanner} (no record object, no payload
 * copy) to cache frames. A small table of its own (sized to the pages redo touches, so that it stays in the processor's
 * cache) remembers which frame holds each page, so that the many records of one page cost one cache lookup and no pin.
 * Only bringing a page in (a pin, let go at once) can make the cache replace frames or write dirty ones back (and clean
 * them); the table counts those moments (its epoch), and a frame not checked since the last one is used as it is: it
 * still holds the page and is still dirty. Otherwise the frame is checked (does it still hold the page?) and marked
 * dirty again, with the record's LSN as its recovery LSN when it was clean.
 *
 * <p>Page LSNs (in memory only) say how far the log must be durable before a page is written back. Every record redo
 * applies is already in the durable log, so any LSN up to the end of the redone log is right: a page gets the LSN of
 * the record that brought it into the table, and at {@link #close()} every page still there gets the last LSN redone.
 *
 * <p>A page met first (or again after it left the cache) with a full page image is not read from its area: the image
 * replaces every byte (a torn page is rebuilt the same way it would be over the bytes read).
 *
 * <p>Not thread safe: restart recovery only, while nothing else uses the cache.
 */
final class RedoPages implements AutoCloseable {
    private static final int DIFF_RANGE_COUNT_OFFSET = PageDiff.PAGE_ID_LENGTH;
    private static final int CLR_RANGE_COUNT_OFFSET = PageDiff.PAGE_ID_LENGTH + Long.BYTES;
    /** Ranges up to this length are copied a long at a time. */
    private static final int SMALL_RANGE = 64;

    private static final int FIRST_CAPACITY = 1024;

    private final BufferCache cache;
    private final TransactionManager.Pages pages;
    private final long windowPages;
    /** Entries at most: the cache's frames (more pages than that cannot all be cached anyway). */
    private final int limit;
    /**
     * Open addressing, two longs an entry: the page key (0: free), then the frame in the low 32 bits, the page's kind
     * (1: control page) in bit 32 and the epoch in which the frame was last checked and marked dirty above.
     */
    private long[] table = new long[FIRST_CAPACITY * 2];

    private int size;
    /** Pages brought in so far: each may have replaced frames or cleaned dirty ones. */
    private long epoch = 1;
    /** The last record applied. */
    private long lastLsn;

    private final UnsafeBuffer page = new UnsafeBuffer(0, 0);

    // the last page looked up and its frame state
    private long lastKey;
    private long lastState;

    // the last (database, area) looked up and its window
    private long lastDatabase;
    private int lastArea = -1;
    private int lastWindow = -1;

    RedoPages(final BufferCache cache, final TransactionManager.Pages pages, final long windowPages) {
        this.cache = cache;
        this.pages = pages;
        this.windowPages = windowPages;
        this.limit = Math.max(1, cache.frameCount());
    }

    /**
     * Applies the scanner's current record (a {@code FULL_PAGE}, {@code PAGE_DIFF} after images, or {@code CLR}).
     *
     * @return false when it changes no page or its database or area is not open (skipped).
     */
    boolean apply(final LogScanner r) {
        final DirectBuffer b = r.buffer();
        final int p = r.payloadOffset();
        final long databaseId = b.getLong(p);
        if (databaseId == 0) {
            // the CLR that ends the undo of a nested top action changes no page
            return false;
        }
        final int areaId = b.getInt(p + Long.BYTES);
        final long pageNo = b.getInt(p + Long.BYTES + Integer.BYTES) & 0xFFFF_FFFFL;
        final int window = window(databaseId, areaId);
        if (window < 0 || pageNo >= windowPages) {
            return false;
        }
        final short type = r.type();
        final boolean controlPage = (r.flags() & TransactionManager.FLAG_CONTROL_PAGE) != 0;
        final long lsn = r.lsn();
        final int frame = frame(window, pageNo, controlPage, type == LogRecordDescriptor.TYPE_FULL_PAGE, lsn);
        lastLsn = lsn;
        page.wrap(cache.frameAddress(frame), PAGE_LENGTH);
        switch (type) {
            case LogRecordDescriptor.TYPE_FULL_PAGE -> page.putBytes(0, b, p + PageDiff.PAGE_ID_LENGTH, PAGE_LENGTH);
            case LogRecordDescriptor.TYPE_CLR -> applyRanges(b, p + CLR_RANGE_COUNT_OFFSET, false);
            default -> applyRanges(b, p + DIFF_RANGE_COUNT_OFFSET, true);
        }
        return true;
    }

    private int window(final long databaseId, final int areaId) {
        if (databaseId != lastDatabase || areaId != lastArea) {
            lastWindow = pages.window(databaseId, areaId);
            lastDatabase = databaseId;
            lastArea = areaId;
        }
        return lastWindow;
    }

    /** Ranges: offset (2), length (2), then for a diff its before and after images, for a CLR the image to apply. */
    private void applyRanges(final DirectBuffer b, final int countAt, final boolean diff) {
        final int count = b.getInt(countAt);
        if (count < 0 || count > PAGE_LENGTH / Long.BYTES) {
            throw new BessException(ErrorCode.BAD_FORMAT, "corrupt page diff: range count " + count);
        }
        int at = countAt + Integer.BYTES;
        for (int i = 0; i < count; i++) {
            final int off = b.getShort(at) & 0xFFFF;
            final int len = b.getShort(at + Short.BYTES) & 0xFFFF;
            if (off + len > PAGE_LENGTH) {
                throw new BessException(ErrorCode.BAD_FORMAT, "corrupt page diff: range " + off + "+" + len);
            }
            at += 2 * Short.BYTES;
            if (diff) {
                // skip the before image
                at += len;
            }
            if (len <= SMALL_RANGE && (len & (Long.BYTES - 1)) == 0) {
                // diff ranges are whole longs: small ones are faster copied by hand than through copyMemory
                for (int i2 = 0; i2 < len; i2 += Long.BYTES) {
                    page.putLong(off + i2, b.getLong(at + i2));
                }
            } else {
                page.putBytes(off, b, at, len);
            }
            at += len;
        }
    }

    /** The frame holding a page, dirty. */
    private int frame(
            final int window, final long pageNo, final boolean controlPage, final boolean fullImage, final long lsn) {
        final long key = ((long) (window + 1) << 40) | pageNo;
        final long current = (epoch << 33) | (controlPage ? 1L << 32 : 0);
        if (key == lastKey && (lastState & ~0xFFFF_FFFFL) == current) {
            return (int) lastState;
        }
        final long[] t = table;
        final int mask = t.length - 2;
        int e = (int) (mix(key) << 1) & mask;
        long k;
        while ((k = t[e]) != 0 && k != key) {
            e = (e + 2) & mask;
        }
        final long state = t[e + 1];
        if (k != 0 && (state & ~0xFFFF_FFFFL) == current) {
            lastKey = key;
            lastState = state;
            return (int) state;
        }
        int frame = (int) state;
        if (k == 0 || (state & (1L << 32)) != (current & (1L << 32)) || cache.pageKeyOf(frame) != key) {
            // new here, replaced meanwhile, or the page changed kind (a freed data page came back as a control page)
            frame = bringIn(window, pageNo, controlPage, fullImage);
        }
        cache.markDirty(frame, lsn);
        cache.pageLsn(frame, lsn);
        final long now = (epoch << 33) | (controlPage ? 1L << 32 : 0) | (frame & 0xFFFF_FFFFL);
        if (k == 0) {
            insert(key, now);
        } else {
            t[e + 1] = now;
        }
        lastKey = key;
        lastState = now;
        return frame;
    }

    private void insert(final long key, final long state) {
        if (size >= limit) {
            release();
        } else if ((size + 1) * 4 > table.length) {
            // more than half full: twice the capacity
            final long[] old = table;
            table = new long[old.length * 2];
            for (int e = 0; e < old.length; e += 2) {
                if (old[e] != 0) {
                    put(old[e], old[e + 1]);
                }
            }
        }
        put(key, state);
        size++;
    }

    private void put(final long key, final long state) {
        final int mask = table.length - 2;
        int e = (int) (mix(key) << 1) & mask;
        while (table[e] != 0) {
            e = (e + 2) & mask;
        }
        table[e] = key;
        table[e + 1] = state;
    }

    /** Pins the page (with its kind set; not read when a full image will replace it) and lets the pin go. */
    private int bringIn(final int window, final long pageNo, final boolean controlPage, final boolean fullImage) {
        epoch++;
        final int frame =
                fullImage ? cache.pinNew(window, pageNo, controlPage) : cache.pinAs(window, pageNo, controlPage);
        cache.unpin(frame);
        return frame;
    }

    /** Gives every page in the table whose frame still holds it the last LSN redone, and empties the table. */
    private void release() {
        for (int e = 0; e < table.length; e += 2) {
            if (table[e] != 0 && cache.pageKeyOf((int) table[e + 1]) == table[e]) {
                cache.pageLsn((int) table[e + 1], lastLsn);
            }
        }
        Arrays.fill(table, 0);
        size = 0;
        lastKey = 0;
    }

    private static long mix(final long key) {
        final long h = key * 0x9E37_79B9_7F4A_7C15L;
        return h ^ (h >>> 29);
    }

    @Override
    public void close() {
        release();
    }
}
