package org.bess.client.remote;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.bess.nativeshim.MappedFile;

/**
 * Shared-memory mode: the client maps frames of the server's cache file into its virtual frames, so its reads and
 * writes are the server's cache. A miss asks the server for the page's cache frame (shared lock taken, the frame
 * counted as mapped); a first write asks for the exclusive lock and before-image; unmapping releases the count.
 */
final class SharedMemoryFaults extends ClientFaults {
    private final MappedFile cache;
    /** The lock fast path, or null when the server offers none. */
    private final FastLocks fast;

    SharedMemoryFaults(final RemoteSession session, final Path cacheFile, final FastLocks fast) {
        super(session);
        this.cache = MappedFile.open(cacheFile, true);
        this.fast = fast;
    }

    FastLocks fastLocks() {
        return fast;
    }

    @Override
    public int acquireFrame(final int window, final long pageNo) {
        final ByteBuffer r =
                session.call(session.request(Wire.ACQUIRE_FRAME).putInt(window).putLong(pageNo));
        final int frame = r.getInt();
        if (fast != null) {
            fast.learn(window, pageNo, frame, r.getLong());
        }
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
