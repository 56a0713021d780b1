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
import org.bess.server.log.LogWriter;
import org.bess.server.txn.TransactionManager;

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
    private final LogWriter log;
    private final TransactionManager txns;
    private long[] windowDatabase = new long[16];
    private int[] windowArea = new int[16];
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
        try {
            cache.storageIo(context.storageIo());
            this.log = new LogWriter(
                    context.storageIo().openLog(context.nodeDir().resolve("log")), context.logSegmentBytes());
        } catch (final RuntimeException e) {
            frames.close();
            cache.close();
            throw e;
        }
        final long nextTxnId = RestartRecovery.nextTxnId(log, context.nodeDir().resolve("log"));
        this.txns = new TransactionManager(log, cache, new WindowPages(), nextTxnId, context.recoveryBufferPages());
        this.updatePath = new UpdatePath(cache, txns);
        // only the session thread may touch the virtual frames: on the I/O thread a full cache fails the operation
        cache.pressureHandler(() -> {
            if (!io.onIoThread()) {
                frames.invalidateAll(-1);
            }
        });
        cache.writeBackGate((window, pageNo, frame) -> {
            final long lsn = txns.beforeWriteBack(window, pageNo, frame);
            if (lsn > 0 && lsn >= log.durableLsn()) {
                log.force(lsn);
            }
            FaultPoints.hit("writeBack.afterLogForce");
        });
    }

    /** Durable page identities of windows, and the frames hook, for the transaction manager. */
    private final class WindowPages implements TransactionManager.Pages {
        @Override
        public long databaseId(final int window) {
            return windowDatabase[window];
        }

        @Override
        public int areaId(final int window) {
            return windowArea[window];
        }

        @Override
        public int window(final long databaseId, final int areaId) {
            for (int w = 0; w < nextWindow; w++) {
                if (windowDatabase[w] == databaseId && windowArea[w] == areaId) {
                    return w;
                }
            }
            return -1;
        }

        @Override
        public void protectWrittenFrames() {
            frames.endTransaction();
        }
    }

    /** Records which database and area a window shows (its durable page identity for the log). */
    void bindWindow(final int window, final long databaseId, final int areaId) {
        if (window >= windowDatabase.length) {
            windowDatabase = java.util.Arrays.copyOf(windowDatabase, window * 2);
            windowArea = java.util.Arrays.copyOf(windowArea, window * 2);
        }
        windowDatabase[window] = databaseId;
        windowArea[window] = areaId;
    }

    /** Forgets a window's identity (its area closed). */
    void unbindWindow(final int window) {
        windowDatabase[window] = 0;
        windowArea[window] = -1;
    }

    LogWriter log() {
        return log;
    }

    TransactionManager txns() {
        return txns;
    }

    TransactionManager.Pages pages() {
        return new WindowPages();
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
        final BessServer server = new BessServer(context);
        final EmbeddedSession session;
        try {
            session = new EmbeddedSession(server);
        } catch (final RuntimeException e) {
            server.close();
            throw e;
        }
        try {
            session.recovered(RestartRecovery.run(session));
        } catch (final RuntimeException e) {
            try {
                session.close();
            } catch (final RuntimeException suppressed) {
                // the recovery failure is the one to report; closing after it may fail too
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return session;
    }

    /**
     * What restart recovery did when an embedded session started.
     *
     * @return a one-line summary, or null when the node had been shut down cleanly.
     */
    public static String recoverySummary(final Session session) {
        return ((EmbeddedSession) session).recovery();
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

    EngineIoThreads io() {
        return io;
    }

    /** This node's identity in area headers: a hash of the node directory's absolute path, never 0. */
    int nodeHash() {
        final int h = context.nodeDir().toAbsolutePath().normalize().toString().hashCode();
        return h == 0 ? 1 : h;
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

    /** Stops without writing anything more: closes files and drops the cache, as a power cut would (tests only). */
    void halt() {
        try {
            log.device().close();
        } finally {
            frames.close();
            cache.close();
        }
    }

    @Override
    public void close() {
        io.close();
        try {
            log.close();
        } finally {
            frames.close();
            cache.close();
        }
    }
}
