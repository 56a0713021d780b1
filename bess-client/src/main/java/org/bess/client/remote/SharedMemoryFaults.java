package org.bess.client.remote;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.bess.nativeshim.MappedFile;

/**
 * Shared-memory mode: the client maps frames of the server's cache file into its virtual frames, so its reads and
 * writes are the server's cache. A first touch of a page the server has cached is a hit without a request when the
 * client can name the page's lock (a reply named a key on that window) and take S by the lock fast path: the client
 * finds the frame in the server's page table and marks it mapped in the client-map file ({@link CacheHits}). Anything
 * else asks the server for the page's cache frame (shared lock taken, the frame counted as mapped). A first write asks
 * for the exclusive lock and before-image; unmapping releases the mark or the server's count.
 */
final class SharedMemoryFaults extends ClientFaults {
    private final MappedFile cache;
    /** The lock fast path, or null when the server offers none. */
    private final FastLocks fast;
    /** Cache hits without a request, or null when the server offers none (no lock-log slot, or turned off). */
    private final CacheHits hits;

    SharedMemoryFaults(final RemoteSession session, final Path cacheFile, final FastLocks fast, final int slot) {
        super(session);
        this.cache = MappedFile.open(cacheFile, true);
        this.fast = fast;
        CacheHits h = null;
        try {
            h = fast == null ? null : CacheHits.open(cacheFile, slot);
        } catch (final RuntimeException e) {
            cache.close();
            throw e;
        }
        this.hits = h;
    }

    FastLocks fastLocks() {
        return fast;
    }

    CacheHits cacheHits() {
        return hits;
    }

    @Override
    public int acquireFrame(final int window, final long pageNo) {
        final int hit = tryHit(window, pageNo);
        if (hit >= 0) {
            return hit;
        }
        final ByteBuffer r =
                session.call(session.request(Wire.ACQUIRE_FRAME).putInt(window).putLong(pageNo));
        final int frame = r.getInt();
        if (fast != null) {
            fast.learn(window, pageNo, frame, r.getLong());
        }
        return frame;
    }

    /**
     * The hit path: the page's S lock by the fast path first (no page is read without it), then the frame from the
     * server's page table, marked as this client's; -1 sends the caller to the server (an S lock taken here stays with
     * the transaction, and the server's grant sees it as the transaction's own).
     */
    private int tryHit(final int window, final long pageNo) {
        if (hits == null || session.current() == null) {
            return -1;
        }
        final long key = fast.keyFor(window, pageNo);
        if (key == 0) {
            return -1;
        }
        final int frame = hits.lookup(window, pageNo);
        if (frame < 0 || !fast.tryLockShared(key) || !hits.pin(frame, window, pageNo)) {
            return -1;
        }
        if (!fast.ownsSlot(session.connectionId())) {
            // cut off by the server, which clears this client's marks: take back the one just set, unless the slot
            // went to another connection already (whose bit it is now: left set, the frame only stays cached)
            hits.release(frame, fast.slotHeldBy(session.connectionId()));
            return -1;
        }
        fast.learn(window, pageNo, frame, key);
        return frame;
    }

    /**
     * Re-locks a mapped frame's page (a frame of an earlier transaction, or one the clock protected): S by the fast
     * path when the page's word is in the shared table and free of conflicts, else the request.
     */
    @Override
    public void lockForRead(final int window, final long pageNo) {
        if (fast != null && session.current() != null && fast.tryLockShared(window, pageNo)) {
            return;
        }
        final ByteBuffer r =
                session.call(session.request(Wire.LOCK_FOR_READ).putInt(window).putLong(pageNo));
        if (fast != null) {
            fast.learn(window, pageNo, -1, r.getLong());
        }
    }

    @Override
    public void releaseFrame(final int cacheFrame) {
        if (fast != null) {
            fast.forget(cacheFrame);
        }
        // a hit: the server never counted it; the mark is cleared here unless the slot is no longer this
        // connection's (the server cleared the marks when it cleaned the connection up, and the slot's next owner
        // sets the same bits)
        if (hits != null && hits.release(cacheFrame, fast.ownsSlot(session.connectionId()))) {
            return;
        }
        if (!closing) {
            session.call(session.request(Wire.RELEASE_FRAME).putInt(cacheFrame));
        }
    }

    @Override
    void transactionEnded(final boolean committed) {
        if (fast != null) {
            fast.transactionEnded();
        }
    }

    @Override
    public int cacheFd() {
        return cache.fd();
    }

    @Override
    void close() {
        cache.close();
    }
}
