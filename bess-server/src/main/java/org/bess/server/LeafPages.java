package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;

/**
 * Byte-level access to the data pages of large-object leaves, through the cache: every page is pinned, copied and
 * unpinned, so nothing holds more than a page of an object at a time, and every changed page takes the update path
 * first.
 *
 * <p>A leaf's bytes past its used count are garbage: a page of a leaf that starts at or past the used count may hold
 * the bytes of a freed block of another kind, so it is never read from disk. Such a page is either written whole in one
 * pass ({@code freshFrom}), or first made a zeroed, dirty frame ({@link #prepareFresh}).
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
     * @param freshFrom pages starting at or past this byte are not read first (they are written whole by this call or
     *     hold nothing valid, and this call writes each of them once); {@link #NONE_FRESH} to read every page.
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
        while (done < length) {
            final long pos = fromByte + done;
            final long rel = pos >>> PAGE_SHIFT;
            final int inPage = (int) (pos & (PAGE_LENGTH - 1));
            final int n = (int) Math.min(length - done, PAGE_LENGTH - inPage);
            final long pageNo = firstPage + rel;
            final boolean whole = inPage == 0 && n == PAGE_LENGTH;
            final int frame = whole || (rel << PAGE_SHIFT) >= freshFrom
                    ? cache.pinNew(window, pageNo, false)
                    : cache.pin(window, pageNo, false);
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
     * Makes the pages that start in {@code [fromByte, toByte)} zeroed, dirty frames, so that later writes of parts of
     * them can read them through the cache.
     */
    void prepareFresh(final StorageArea area, final long firstPage, final long fromByte, final long toByte) {
        final int window = area.window();
        for (long rel = (fromByte + PAGE_LENGTH - 1) >>> PAGE_SHIFT; rel << PAGE_SHIFT < toByte; rel++) {
            final int frame = cache.pinNew(window, firstPage + rel, false);
            try {
                updates.onFirstWrite(window, firstPage + rel, frame);
            } finally {
                cache.unpin(frame);
            }
        }
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
