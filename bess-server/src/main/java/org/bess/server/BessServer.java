package org.bess.server;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bess.client.Session;
import org.bess.client.frame.FrameFaultHandler;
import org.bess.client.frame.VirtualFrames;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.cache.BufferCache;

/**
 * A node's engine: the page cache, the virtual frames of this process, and the update path. {@link #embedded(Path)}
 * runs it inside the application's process and returns a {@link Session}; the node daemon (its own issue) will run the
 * same engine behind a socket.
 *
 * <p>Not thread safe: one session thread.
 */
public final class BessServer implements FrameFaultHandler, AutoCloseable {
    private final Context context;
    private final BufferCache cache;
    private final VirtualFrames frames;
    private final UpdatePath updatePath;
    private int nextWindow;

    BessServer(final Context context) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "bess needs a little-endian machine");
        }
        this.context = context;
        try {
            Files.createDirectories(context.nodeDir());
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot create the node directory: nodeDir=" + context.nodeDir(), e);
        }
        this.cache = new BufferCache(context.cacheDir(), context.cacheFrames());
        try {
            this.frames =
                    new VirtualFrames(context.maxWindows(), context.windowSizeBytes(), context.frameBudget(), this);
        } catch (final RuntimeException e) {
            cache.close();
            throw e;
        }
        this.updatePath = new UpdatePath(cache);
        cache.pressureHandler(() -> frames.invalidateAll(-1));
    }

    /**
     * Starts an engine inside this process with defaults (cache in {@code /dev/shm}, 256 MiB).
     *
     * @param nodeDir the node directory (created if missing).
     * @return a session; closing it stops the engine.
     */
    public static Session embedded(final Path nodeDir) {
        return embedded(new Context().nodeDir(nodeDir));
    }

    /**
     * Starts an engine inside this process.
     *
     * @param context the configuration.
     * @return a session; closing it stops the engine.
     */
    public static Session embedded(final Context context) {
        return new EmbeddedSession(new BessServer(context));
    }

    /**
     * How many times the virtual frames of an embedded session took their slow path (a frame not yet mapped, turned
     * {@code PROTECTED} by the level-one clock, or not yet writable). Every {@code mmap} and {@code mprotect} made for
     * an object access happens on that path, so an unchanged count across accesses proves they made no system call.
     * For tests and benchmarks.
     *
     * @param session a session from {@link #embedded(Context)}.
     * @return the slow-path entries so far.
     * @throws BessException {@code BAD_ARGUMENT} when the session is not an embedded one.
     */
    public static long frameFaults(final Session session) {
        if (!(session instanceof EmbeddedSession embedded)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "not an embedded session: " + session);
        }
        return embedded.server().frames().faultCount();
    }

    /** The configuration. */
    public Context context() {
        return context;
    }

    BufferCache cache() {
        return cache;
    }

    VirtualFrames frames() {
        return frames;
    }

    UpdatePath updatePath() {
        return updatePath;
    }

    int allocateWindow() {
        return nextWindow++;
    }

    @Override
    public int acquireFrame(final int window, final long pageNo) {
        return cache.acquireMapping(window, pageNo);
    }

    @Override
    public void releaseFrame(final int cacheFrame) {
        cache.releaseMapping(cacheFrame);
    }

    @Override
    public void beforeFirstWrite(final int window, final long pageNo) {
        final int frame = cache.pin(window, pageNo, false);
        try {
            updatePath.onFirstWrite(window, pageNo, frame);
        } finally {
            cache.unpin(frame);
        }
    }

    @Override
    public int cacheFd() {
        return cache.cacheFd();
    }

    @Override
    public void close() {
        frames.close();
        cache.close();
    }
}
