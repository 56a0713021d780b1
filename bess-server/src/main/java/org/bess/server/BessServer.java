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
    private final EngineIoThreads io = new EngineIoThreads();
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
        // only the session thread may touch the virtual frames: on the I/O thread a full cache fails the operation
        cache.pressureHandler(() -> {
            if (!io.onIoThread()) {
                frames.invalidateAll(-1);
            }
        });
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

    EngineIoThreads io() {
        return io;
    }

    int allocateWindow() {
        return nextWindow++;
    }

    @Override
    public int acquireFrame(final int window, final long pageNo) {
        io.barrier();
        return cache.acquireMapping(window, pageNo);
    }

    @Override
    public void releaseFrame(final int cacheFrame) {
        io.barrier();
        cache.releaseMapping(cacheFrame);
    }

    @Override
    public void beforeFirstWrite(final int window, final long pageNo) {
        io.barrier();
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
        io.close();
        frames.close();
        cache.close();
    }
}
