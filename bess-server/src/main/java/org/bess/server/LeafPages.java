package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.nio.ByteBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;

/**
 * Byte-level access to the data pages of large-object leaves, through the cache: every page is pinned, copied and
 * unpinned, so nothing holds more than a page of an object at a time, and every changed page takes the update path
 * before it changes.
 *
 * <p>A leaf's bytes past its used count are garbage, and a page of a leaf that starts at or past the used count may
 * hold the bytes of a freed block of another kind, so it is never read blindly. Such a page is zeroed without reading
 * only when its block was free when the transaction began ({@link #allocated}, {@link #grew}): the update path then
 * takes a before-image that nothing needs. Otherwise (the leaf may have held bytes there at the start of the
 * transaction, before a delete in it) the page is pinned with its bytes when it is cached, read when it verifies as a
 * data page, and zeroed only when it does not (then it held nothing).
 *
 * <p>Not thread safe: the engine thread (or the I/O thread while it holds the engine).
 */
final class LeafPages {
    /** Largest run of pages read from disk in one call. */
    static final int READ_AHEAD_PAGES = BufferCache.RUN_PAGES;
    /** A {@code freshFrom} meaning "no page is fresh". */
    static final long NONE_FRESH = Long.MAX_VALUE;

    /** Bytes coming from the caller (an array, a buffer, another object). */
    @FunctionalInterface
    interface Source {
        /** Copies {@code length} bytes from {@code sourceOffset} into {@code page} at {@code pageOffset}. */
        void copyTo(long sourceOffset, UnsafeBuffer page, int pageOffset, int length);
    }

    /** Bytes going to the caller. */
    @FunctionalInterface
    interface Sink {
        /** Copies {@code length} bytes from {@code page} at {@code pageOffset} to {@code sinkOffset}. */
        void copyFrom(UnsafeBuffer page, int pageOffset, long sinkOffset, int length);
    }

    private final BufferCache cache;
    private final UpdatePath updates;
    /** Blocks allocated or grown in the open transaction: (area, first page) → first byte free at its start. */
    private final Long2LongHashMap txFresh = new Long2LongHashMap(NONE_FRESH);

    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    /** Native staging for scans: {@link #READ_AHEAD_PAGES} pages. */
    private final UnsafeBuffer staging = new UnsafeBuffer(ByteBuffer.allocateDirect(READ_AHEAD_PAGES << PAGE_SHIFT));

    private final long stagingAddress = staging.addressOffset();

    LeafPages(final BufferCache cache, final UpdatePath updates) {
        this.cache = cache;
        this.updates = updates;
    }

    /**
     * Copies bytes of a leaf out.
     *
     * @param stream a scan: stretches of pages that are not cached are read from disk in one read each, through a
     *     staging buffer, and not cached (so a long scan does not replace the cache); else missing pages in the range
     *     are read in one go into the cache.
     */
    void read(
            final StorageArea area,
            final long firstPage,
            final long fromByte,
            final Sink sink,
            final long sinkOffset,
            final long length,
            final boolean stream) {
        long done = 0;
        final int window = area.window();
        final long lastRel = (fromByte + length - 1) >>> PAGE_SHIFT;
        while (done < length) {
            final long pos = fromByte + done;
            final long rel = pos >>> PAGE_SHIFT;
            final int inPage = (int) (pos & (PAGE_LENGTH - 1));
            final long pageNo = firstPage + rel;
            if (cache.frameOf(window, pageNo) < 0) {
                if (stream) {
                    final int got = cache.readUncached(
                            window, pageNo, (int) Math.min(READ_AHEAD_PAGES, lastRel - rel + 1), stagingAddress);
                    final long n = Math.min(length - done, ((long) got << PAGE_SHIFT) - inPage);
                    sink.copyFrom(staging, inPage, sinkOffset + done, (int) n);
                    done += n;
                    continue;
                }
                if (lastRel > rel) {
                    cache.loadRun(window, pageNo, (int) Math.min(READ_AHEAD_PAGES, lastRel - rel + 1));
                }
            }
            final int n = (int) Math.min(length - done, PAGE_LENGTH - inPage);
            final int frame = cache.pin(window, pageNo, false);
            try {
                sink.copyFrom(cache.wrap(view, frame), inPage, sinkOffset + done, n);
            } finally {
                cache.unpin(frame);
            }
            done += n;
        }
    }

    /**
     * Copies bytes into a leaf.
     *
     * @param freshFrom pages starting at or past this byte are past the leaf's used count (see the class comment; this
     *     call writes each of them once); {@link #NONE_FRESH} when every page holds bytes.
     */
    void write(
            final StorageArea area,
            final long firstPage,
            final long fromByte,
            final Source src,
            final long srcOffset,
            final long length,
            final long freshFrom) {
        long done = 0;
        final int window = area.window();
        final long txFreeFrom = txFresh.get(key(area, firstPage));
        while (done < length) {
            final long pos = fromByte + done;
            final long rel = pos >>> PAGE_SHIFT;
            final int inPage = (int) (pos & (PAGE_LENGTH - 1));
            final int n = (int) Math.min(length - done, PAGE_LENGTH - inPage);
            final long pageNo = firstPage + rel;
            // a page that holds bytes is read even when it is overwritten whole: the update path takes its
            // before-image from the frame, so the frame must hold the old bytes, never zeros
            final long pageStart = rel << PAGE_SHIFT;
            final int frame;
            if (pageStart < freshFrom) {
                frame = cache.pin(window, pageNo, false);
            } else if (pageStart >= txFreeFrom) {
                frame = cache.pinNew(window, pageNo, false);
            } else {
                frame = pinPastUsed(area, pageNo);
            }
            try {
                updates.onFirstWrite(window, pageNo, frame);
                src.copyTo(srcOffset + done, cache.wrap(view, frame), inPage, n);
            } finally {
                cache.unpin(frame);
            }
            done += n;
        }
    }

    /**
     * Makes the pages that start in {@code [fromByte, toByte)} (past the leaf's used count) frames that later writes of
     * parts of them can pin, each through the update path.
     */
    void prepareFresh(final StorageArea area, final long firstPage, final long fromByte, final long toByte) {
        final int window = area.window();
        final long txFreeFrom = txFresh.get(key(area, firstPage));
        for (long rel = (fromByte + PAGE_LENGTH - 1) >>> PAGE_SHIFT; rel << PAGE_SHIFT < toByte; rel++) {
            final long pageNo = firstPage + rel;
            final int frame =
                    rel << PAGE_SHIFT >= txFreeFrom ? cache.pinNew(window, pageNo, false) : pinPastUsed(area, pageNo);
            try {
                updates.onFirstWrite(window, pageNo, frame);
            } finally {
                cache.unpin(frame);
            }
        }
    }

    /**
     * Pins a page past a leaf's used count in a block that already existed when the transaction began: with its bytes
     * when it is cached or verifies as a data page (it may hold bytes the leaf had at the start of the transaction,
     * which the update path must see), else as a zeroed frame (then it held nothing).
     */
    private int pinPastUsed(final StorageArea area, final long pageNo) {
        if (cache.frameOf(area.window(), pageNo) >= 0 || area.verifiesAsDataPage(pageNo)) {
            return cache.pin(area.window(), pageNo, false);
        }
        return cache.pinNew(area.window(), pageNo, false);
    }

    private static long key(final StorageArea area, final long firstPage) {
        return ((long) area.id() << 40) | firstPage;
    }

    /** A leaf block was allocated in the open transaction: it was free at its start, all of it. */
    void allocated(final StorageArea area, final long firstPage) {
        txFresh.put(key(area, firstPage), 0);
    }

    /** A leaf block grew in place in the open transaction: its bytes from {@code oldLength} were free at its start. */
    void grew(final StorageArea area, final long firstPage, final long oldLength) {
        final long k = key(area, firstPage);
        txFresh.put(k, Math.min(txFresh.get(k), oldLength));
    }

    /** The transaction ended: every block is old now. */
    void endTransaction() {
        txFresh.clear();
    }

    /**
     * Moves {@code length} bytes inside a leaf from {@code fromByte} to {@code toByte} ({@code memmove}), through
     * {@code staging}. Destination pages past the used count must have been prepared ({@link #prepareFresh}).
     */
    void move(
            final StorageArea area,
            final long firstPage,
            final long fromByte,
            final long toByte,
            final long length,
            final byte[] staging) {
        if (length == 0 || fromByte == toByte) {
            return;
        }
        final Sink toStaging = (page, off, at, n) -> page.getBytes(off, staging, (int) at, n);
        final Source fromStaging = (at, page, off, n) -> page.putBytes(off, staging, (int) at, n);
        final int chunk = staging.length;
        if (toByte > fromByte) {
            // from the end down: a chunk never lands on bytes not yet read
            for (long end = length; end > 0; ) {
                final int n = (int) Math.min(chunk, end);
                read(area, firstPage, fromByte + end - n, toStaging, 0, n, false);
                write(area, firstPage, toByte + end - n, fromStaging, 0, n, NONE_FRESH);
                end -= n;
            }
        } else {
            for (long start = 0; start < length; ) {
                final int n = (int) Math.min(chunk, length - start);
                read(area, firstPage, fromByte + start, toStaging, 0, n, false);
                write(area, firstPage, toByte + start, fromStaging, 0, n, NONE_FRESH);
                start += n;
            }
        }
    }

    /**
     * Copies bytes from one leaf to another (different blocks), through {@code staging}.
     *
     * @param freshFrom as for {@link #write}, in the destination.
     */
    void copy(
            final StorageArea fromArea,
            final long fromFirstPage,
            final long fromByte,
            final StorageArea toArea,
            final long toFirstPage,
            final long toByte,
            final long length,
            final byte[] staging,
            final long freshFrom) {
        final Sink toStaging = (page, off, at, n) -> page.getBytes(off, staging, (int) at, n);
        for (long done = 0; done < length; ) {
            final int n = (int) Math.min(staging.length, length - done);
            read(fromArea, fromFirstPage, fromByte + done, toStaging, 0, n, true);
            final long base = done;
            // the page holding toByte + done may have been written by the previous chunk: read it, never zero it
            final long untouched = ((toByte + done + PAGE_LENGTH - 1) >>> PAGE_SHIFT) << PAGE_SHIFT;
            write(
                    toArea,
                    toFirstPage,
                    toByte + done,
                    (at, page, off, k) -> page.putBytes(off, staging, (int) (at - base), k),
                    base,
                    n,
                    done == 0 ? freshFrom : Math.max(freshFrom, untouched));
            done += n;
        }
    }
}
