package org.bess.client.remote;

import java.nio.file.Path;
import org.bess.nativeshim.MappedFile;

/**
 * Shared-memory mode: the client maps frames of the server's cache file into its virtual frames, so its reads and
 * writes are the server's cache. A miss asks the server for the page's cache frame (shared lock taken, the frame
 * counted as mapped); a first write asks for the exclusive lock and before-image; unmapping releases the count.
 */
final class SharedMemoryFaults extends ClientFaults {
    private final MappedFile cache;

    SharedMemoryFaults(final RemoteSession session, final Path cacheFile) {
        super(session);
        this.cache = MappedFile.open(cacheFile, true);
    }

    @Override
    public int acquireFrame(final int window, final long pageNo) {
        return session.call(session.request(Wire.ACQUIRE_FRAME).putInt(window).putLong(pageNo))
                .getInt();
    }

    @Override
    public void releaseFrame(final int cacheFrame) {
        if (!closing) {
            session.call(session.request(Wire.RELEASE_FRAME).putInt(cacheFrame));
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
