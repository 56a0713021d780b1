package org.bess.client.remote;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.nativeshim.MappedFile;
import org.bess.nativeshim.Native;

/**
 * Copy-on-access mode: the client owns a private cache file of fixed size, mapped into its virtual frames. A miss asks
 * the server for the page's bytes (shared lock taken) and copies them into a free private frame, keeping the fetched
 * image; a first write asks for the exclusive lock and before-image. Written pages travel to the server as page diffs
 * (the changed ranges against the image) at commit, when a written frame is replaced, when the client's count of
 * written pages reaches its recovery-buffer share, and before a request that changes pages on the server; the server
 * checks that the transaction holds each shipped page exclusively, applies the ranges, and its commit logs them.
 */
final class CopyOnAccessFaults extends ClientFaults {
    /** Ranges closer than this are shipped as one. */
    private static final int MERGE_GAP = 16;

    private final MappedFile file;
    private final long base;
    private final int frameCount;
    private final UnsafeBuffer frameBytes = new UnsafeBuffer(0, 0);
    private final byte[][] images;
    private final int[] windows;
    private final long[] pages;
    private final boolean[] dirty;
    private final int[] free;
    private final int shipThreshold;
    private final Map<Long, Integer> byPage = new HashMap<>();
    private final byte[] current = new byte[PAGE_LENGTH];
    // its own request buffer: pages are shipped while another request may be built in the session's
    private final Wire shipWire = new Wire();
    private int freeTop;
    private int dirtyCount;
    private long shippedPages;

    /** The fewest written pages that make the client ship early: twice the pages of the largest single access. */
    static final int MIN_SHIP_THRESHOLD = 2 * ((64 << 10) / PAGE_LENGTH + 1);

    CopyOnAccessFaults(final RemoteSession session, final int frameCount, final int shipThreshold) {
        super(session);
        this.frameCount = frameCount;
        // never below the pages one access can span (an object of 64 KiB: 17): shipping write-protects the frames
        // written so far, those of the access in progress included, which must then be faulted again
        this.shipThreshold = Math.max(shipThreshold, MIN_SHIP_THRESHOLD);
        final Path path = Path.of("/dev/shm", "bess-coa-" + Native.pid() + "-" + System.nanoTime());
        this.file = MappedFile.create(path, (long) frameCount * PAGE_LENGTH, 0600);
        try {
            Files.deleteIfExists(path);
        } catch (final IOException e) {
            file.close();
            throw new BessException(ErrorCode.IO, "cannot unlink the private cache file: " + path, e);
        }
        this.base =
                Native.mmap(0, file.length(), Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, file.fd(), 0);
        this.images = new byte[frameCount][];
        this.windows = new int[frameCount];
        this.pages = new long[frameCount];
        this.dirty = new boolean[frameCount];
        this.free = new int[frameCount];
        for (int f = frameCount - 1; f >= 0; f--) {
            free[freeTop++] = f;
        }
    }

    private static long key(final int window, final long pageNo) {
        return ((long) window << 40) | pageNo;
    }

    private UnsafeBuffer frame(final int f) {
        frameBytes.wrap(base + ((long) f << PAGE_SHIFT), PAGE_LENGTH);
        return frameBytes;
    }

    /** Pages shipped to the server so far. */
    long shippedPages() {
        return shippedPages;
    }

    private void fetchInto(final int f, final int window, final long pageNo) {
        final ByteBuffer r =
                session.call(session.request(Wire.FETCH_PAGE).putInt(window).putLong(pageNo));
        if (images[f] == null) {
            images[f] = new byte[PAGE_LENGTH];
        }
        r.get(images[f]);
        frame(f).putBytes(0, images[f]);
    }

    @Override
    public int acquireFrame(final int window, final long pageNo) {
        if (freeTop == 0) {
            throw new BessException(
                    ErrorCode.STORAGE_FULL,
                    "private cache full: frames=" + frameCount + " (every frame is mapped by the open transaction)");
        }
        final int f = free[--freeTop];
        try {
            fetchInto(f, window, pageNo);
        } catch (final RuntimeException e) {
            free[freeTop++] = f;
            throw e;
        }
        windows[f] = window;
        pages[f] = pageNo;
        byPage.put(key(window, pageNo), f);
        return f;
    }

    @Override
    public void lockForRead(final int window, final long pageNo) {
        final Integer f = byPage.get(key(window, pageNo));
        if (f == null) {
            super.lockForRead(window, pageNo);
        } else if (!dirty[f]) {
            // the copy may be from an earlier transaction: take the lock and the page as it is now
            fetchInto(f, window, pageNo);
        }
        // a written copy: the transaction holds the page exclusively, and the copy is newer than the server's
    }

    @Override
    public void beforeFirstWrite(final int window, final long pageNo) {
        final Integer f = byPage.get(key(window, pageNo));
        if (f == null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "write to a page with no private frame: page=" + pageNo);
        }
        if (dirtyCount + 1 >= shipThreshold) {
            shipAll();
        }
        super.beforeFirstWrite(window, pageNo);
        if (!dirty[f]) {
            dirty[f] = true;
            dirtyCount++;
        }
    }

    @Override
    public void releaseFrame(final int f) {
        if (dirty[f]) {
            if (!closing) {
                ship(new int[] {f}, 1);
            } else {
                dirty[f] = false;
                dirtyCount--;
            }
        }
        byPage.remove(key(windows[f], pages[f]));
        free[freeTop++] = f;
    }

    @Override
    public int cacheFd() {
        return file.fd();
    }

    /** Ships every written page and makes their frames read-only again, so a later write takes the fault path. */
    private void shipAll() {
        if (dirtyCount == 0) {
            return;
        }
        final int[] list = new int[dirtyCount];
        int n = 0;
        for (int f = 0; f < frameCount && n < list.length; f++) {
            if (dirty[f]) {
                list[n++] = f;
            }
        }
        ship(list, n);
        frames.protectWritten();
    }

    private void ship(final int[] list, final int n) {
        final Wire w = session.request(Wire.SHIP_PAGES, shipWire).putInt(n);
        for (int i = 0; i < n; i++) {
            final int f = list[i];
            frame(f).getBytes(0, current);
            final byte[] image = images[f];
            w.putInt(windows[f]).putLong(pages[f]);
            final int countAt = w.position();
            w.putInt(0);
            int ranges = 0;
            int at = 0;
            while (at < PAGE_LENGTH) {
                if (current[at] == image[at]) {
                    at++;
                    continue;
                }
                final int start = at;
                int end = at + 1;
                int scan = end;
                while (scan < PAGE_LENGTH && scan - end < MERGE_GAP) {
                    if (current[scan] != image[scan]) {
                        end = scan + 1;
                    }
                    scan++;
                }
                w.putInt(start).putInt(end - start).putRaw(ByteBuffer.wrap(current, start, end - start));
                ranges++;
                at = end;
            }
            w.patchInt(countAt, ranges);
        }
        session.call(w);
        for (int i = 0; i < n; i++) {
            final int f = list[i];
            frame(f).getBytes(0, images[f]);
            dirty[f] = false;
            dirtyCount--;
            shippedPages++;
        }
    }

    @Override
    void beforeCommit() {
        shipAll();
    }

    @Override
    void beforeServerChange() {
        shipAll();
    }

    @Override
    void afterServerChange() {
        // the server may have changed any page the transaction holds: drop every copy, fetch again on access
        frames.invalidateAll(-1);
    }

    @Override
    void transactionEnded(final boolean committed) {
        if (!committed) {
            // rolled back on the server: the written copies are wrong; not dirty, they are fetched again on access
            for (int f = 0; f < frameCount; f++) {
                dirty[f] = false;
            }
            dirtyCount = 0;
        }
    }

    @Override
    void close() {
        Native.munmap(base, file.length());
        file.close();
    }
}
