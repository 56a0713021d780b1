package org.bess.client.remote;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.PageDigest;
import org.bess.nativeshim.MappedFile;
import org.bess.nativeshim.Native;

/**
 * Copy-on-access mode: the client owns a private cache file of fixed size, mapped into its virtual frames. A miss asks
 * the server for the page's bytes (shared lock taken) and copies them into a free private frame, keeping the fetched
 * image; a first write asks for the exclusive lock and before-image. Written pages travel to the server as page diffs
 * (the changed ranges against the image) at commit, when a written frame is replaced, when the client's count of
 * written pages reaches its recovery-buffer share, and before a request that changes pages on the server; the server
 * checks that the transaction holds each shipped page exclusively, applies the ranges, and its commit logs them.
 *
 * <p>Re-locking a copy kept from an earlier transaction is one {@code FETCH_PAGES} request for the page and for the
 * pages the previous transaction locked after it, in its order (up to {@link Wire#BATCH_MAX}, those with a copy here):
 * each goes with the digest of the copy ({@link PageDigest}); the server takes S on the predicted ones only when that
 * needs no wait, and sends a page's bytes only when the copy is not the page. A hot traversal that repeats its
 * predecessor's pages then costs a few requests per transaction instead of one per page. The price: the transaction
 * holds S on predicted pages it may not read (another transaction's X waits for its end); {@code
 * -Dbess.client.batchFetch=false} turns it off.
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
    /** Per frame: the digest of its image (the page as the server last gave it or took it). */
    private final long[] digests;
    /** Turns batched re-locks off ({@code false}): one {@code FETCH_PAGE} per page (A/B, tests). */
    static final String BATCH_PROP = "bess.client.batchFetch";

    private final boolean batch = Boolean.parseBoolean(System.getProperty(BATCH_PROP, "true"));
    /** Pages (window and page, packed) this transaction locked and revalidated through a batch, not read yet. */
    private final LongHashSet relocked = new LongHashSet();
    /** Pages this transaction locked, in order, and the previous transaction's: the prediction. */
    private final AccessOrder order = new AccessOrder(MAX_ORDER);

    private final int[] batchFrames = new int[Wire.BATCH_MAX];
    private long batchedPages;
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
        this.digests = new long[frameCount];
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
        digests[f] = PageDigest.of(images[f]);
        record(key(window, pageNo));
    }

    /**
     * Checks a {@code FETCH_PAGES} reply for {@code n} pages: a status each (0, 1 or 2; never 0 for the first), then a
     * page's bytes for each status 2. Leaves the position at the first page's bytes.
     *
     * @throws BessException {@code PROTOCOL} naming what is wrong.
     */
    static void checkFetchPagesReply(final ByteBuffer r, final int n) {
        checkPagesReply(r, n, true, "FETCH_PAGES");
    }

    /**
     * Checks the pages' part of a reply: as {@link #checkFetchPagesReply}, status 0 allowed for the first page too
     * unless {@code firstLocked}.
     */
    static void checkPagesReply(final ByteBuffer r, final int n, final boolean firstLocked, final String op) {
        if (r.remaining() < n * Integer.BYTES) {
            throw new BessException(
                    ErrorCode.PROTOCOL, "truncated " + op + " reply: pages=" + n + ", bytes=" + r.remaining());
        }
        final int statusAt = r.position();
        int withBytes = 0;
        for (int i = 0; i < n; i++) {
            final int status = r.getInt(statusAt + i * Integer.BYTES);
            if (status < 0 || status > 2 || (i == 0 && status == 0 && firstLocked)) {
                throw new BessException(
                        ErrorCode.PROTOCOL, "bad status in a " + op + " reply: page " + i + ", status=" + status);
            }
            withBytes += status == 2 ? 1 : 0;
        }
        r.position(statusAt + n * Integer.BYTES);
        if (r.remaining() < withBytes * PAGE_LENGTH) {
            throw new BessException(
                    ErrorCode.PROTOCOL, "truncated " + op + " reply: pages=" + withBytes + ", bytes=" + r.remaining());
        }
    }

    /** Pages locked through a batch without a request of their own so far. */
    long batchedPages() {
        return batchedPages;
    }

    private void record(final long page) {
        order.record(page);
    }

    /** The most pages remembered per transaction for the next one's prediction. */
    private static final int MAX_ORDER = 1 << 16;

    /**
     * Re-locks a kept copy with {@code FETCH_PAGES}: the page, then the pages the previous transaction locked after it
     * that have a clean copy here and are not locked yet.
     */
    private void relockBatch(final int f, final long page) {
        int n = 0;
        batchFrames[n++] = f;
        final int from = order.positionOf(page);
        if (from >= 0) {
            for (int j = from + 1; j < order.previousCount() && n < Wire.BATCH_MAX; j++) {
                final long p = order.previous(j);
                final Integer g = byPage.get(p);
                if (g == null || dirty[g] || p == page || relocked.contains(p)) {
                    continue;
                }
                batchFrames[n++] = g;
            }
        }
        final Wire w = session.request(Wire.FETCH_PAGES).putInt(n);
        for (int i = 0; i < n; i++) {
            final int g = batchFrames[i];
            w.putInt(windows[g]).putLong(pages[g]).putLong(digests[g]);
        }
        final ByteBuffer r = session.call(w);
        final int statusAt = r.position();
        checkFetchPagesReply(r, n);
        applyBatch(r, statusAt, batchFrames, n, 1);
    }

    /**
     * Applies a checked batch reply: per page of status 1 or 2 (2: its bytes, read from {@code r}'s position, replace
     * the copy) the page is recorded as locked, and from {@code firstPredicted} on as locked by the batch.
     */
    private void applyBatch(
            final ByteBuffer r, final int statusAt, final int[] frameOf, final int n, final int firstPredicted) {
        for (int i = 0; i < n; i++) {
            final int status = r.getInt(statusAt + i * Integer.BYTES);
            if (status == 0) {
                continue;
            }
            final int g = frameOf[i];
            if (status == 2) {
                r.get(images[g]);
                frame(g).putBytes(0, images[g]);
                digests[g] = PageDigest.of(images[g]);
            }
            final long p = key(windows[g], pages[g]);
            record(p);
            if (i >= firstPredicted) {
                relocked.add(p);
                batchedPages++;
            }
        }
    }

    /** The frames of the pages appended to the pending {@code SEGMENT_SLOTS_MANY} request. */
    private final int[] predictedFrames = new int[Wire.BATCH_MAX];

    /**
     * The pages the previous transaction locked after the last one this transaction locked (from its first when none
     * yet), those with a clean copy here not locked yet, appended to a {@code SEGMENT_SLOTS_MANY} request: the round
     * trip that fetches the segments' slots re-locks and revalidates them too, each only when S needs no wait.
     */
    @Override
    int appendPredictedPages(final Wire w) {
        if (!batch) {
            return 0;
        }
        final long last = order.last();
        final int from = last < 0 ? 0 : order.positionOf(last) + 1;
        if (last >= 0 && from == 0) {
            return 0; // this transaction left the previous one's path: no prediction
        }
        int n = 0;
        for (int j = from; j < order.previousCount() && n < Wire.BATCH_MAX; j++) {
            final long p = order.previous(j);
            final Integer g = byPage.get(p);
            if (g == null || dirty[g] || images[g] == null || relocked.contains(p)) {
                continue;
            }
            predictedFrames[n++] = g;
        }
        if (n == 0) {
            return 0;
        }
        w.putInt(n);
        for (int i = 0; i < n; i++) {
            final int g = predictedFrames[i];
            w.putInt(windows[g]).putLong(pages[g]).putLong(digests[g]);
        }
        return n;
    }

    @Override
    void predictedPagesReply(final ByteBuffer r, final int n) {
        if (r.remaining() == 0) {
            return; // an older server ignored the pages: none locked
        }
        final int statusAt = r.position();
        checkPagesReply(r, n, false, "SEGMENT_SLOTS_MANY");
        applyBatch(r, statusAt, predictedFrames, n, 0);
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
            final long page = key(window, pageNo);
            if (relocked.remove(page)) {
                return; // locked and revalidated by a batch of this transaction
            }
            // the copy may be from an earlier transaction: take the lock and the page as it is now
            if (batch && images[f] != null) {
                relockBatch(f, page);
            } else {
                fetchInto(f, window, pageNo);
            }
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
        relocked.remove(key(windows[f], pages[f]));
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
            digests[f] = PageDigest.of(images[f]);
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
        relocked.clear();
        frames.invalidateAll(-1);
    }

    @Override
    void transactionEnded(final boolean committed) {
        if (!committed) {
            // rolled back on the server: the written copies are wrong; back to their images (the page as the server
            // has it again), revalidated or fetched again on access
            for (int f = 0; f < frameCount; f++) {
                if (dirty[f]) {
                    frame(f).putBytes(0, images[f]);
                }
                dirty[f] = false;
            }
            dirtyCount = 0;
        }
        relocked.clear();
        order.rotate();
    }

    @Override
    void close() {
        Native.munmap(base, file.length());
        file.close();
    }
}
