package org.bess.server;

import java.nio.file.Path;
import java.util.List;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.frame.FrameFaultHandler;
import org.bess.client.frame.VirtualFrames;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.lock.LockMode;
import org.bess.server.txn.TransactionManager;

/**
 * A session on an engine in this process: what a client process is to the node server. It owns its virtual frames
 * (its own reserved address range, mapping the shared cache) and at most one open transaction; several sessions on one
 * engine run transactions concurrently on their own threads, isolated by page locks. Every entry into the engine holds
 * the engine latch ({@link #enter()}); the hot path of an open object (a frame-state check and a memory access) does
 * not.
 *
 * <p>Not thread safe: one thread at a time uses a session.
 */
@SuppressWarnings("try") // the latch guard is used for its close() only
final class EmbeddedSession implements Session, FrameFaultHandler {
    /** Releases the engine latch at the end of a {@code try} block. */
    final class Guard implements AutoCloseable {
        @Override
        public void close() {
            server.exit();
        }
    }

    private final BessServer server;
    private final VirtualFrames frames;
    private final Guard guard = new Guard();
    private EngineTransaction current;
    /**
     * Where the objects the current transaction opened under the latch are, by reference: their slots, placed (see
     * {@link EngineTransaction#resolveOpen}).
     */
    private final org.bess.client.frame.OpenedObjects<ObjectStore.Slot> opened =
            new org.bess.client.frame.OpenedObjects<>();

    /** The slot arrays the current transaction resolves opens from without the latch (see {@link SlotSnapshots}). */
    private final SlotSnapshots snapshots;

    private TransactionManager.Txn txn;
    /**
     * Where this session's transactions keep their before-images: off the heap, made at the first transaction (an
     * anonymous mapping) or by the endpoint for a client (a file the client maps); reused by every transaction.
     */
    private org.bess.server.txn.RecoveryBuffer recoveryBuffer;

    private boolean closed;
    /** The thread that entered last (the engine's thread-to-session map is updated when it changes). */
    Thread lastThread;

    private long writtenProtections;

    EmbeddedSession(final BessServer server) {
        this(server, true);
    }

    /**
     * A session; {@code localFrames} false for the session of a client process (its frames live in the client, so
     * this one reserves no address range).
     */
    EmbeddedSession(final BessServer server, final boolean localFrames) {
        this.server = server;
        final Context context = server.context();
        this.frames = new VirtualFrames(
                context.maxWindows(), context.windowSizeBytes(), context.frameBudget(), this, localFrames);
        this.snapshots = new SlotSnapshots(server.cache(), server.snapshotBudget(), frames);
    }

    BessServer server() {
        return server;
    }

    VirtualFrames frames() {
        return frames;
    }

    /** The logging state of the open transaction, or null. */
    TransactionManager.Txn txn() {
        return txn;
    }

    /**
     * The recovery buffer was logged early: written frames go back to read-only (here, and, through {@link
     * #writtenProtections()}, in a client process working for this session).
     */
    void protectWritten() {
        frames.protectWritten();
        writtenProtections++;
    }

    /** How many times written frames had to go back to read-only (a remote client follows this count). */
    long writtenProtections() {
        return writtenProtections;
    }

    EngineTransaction current() {
        return current;
    }

    /**
     * Enters the engine: waits for the engine's queued asynchronous operations (outside the latch), takes the engine
     * latch and makes this session and its transaction current. Use in a {@code try} block.
     */
    Guard enter() {
        server.enter(this);
        return guard;
    }

    /** What restart recovery did when the engine started, or null when the node was shut down cleanly. */
    String recovery() {
        return server.recovery();
    }

    private void checkOpen() {
        if (closed) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "session is closed");
        }
    }

    @Override
    public Database createDatabase(final Path rootAreaPath, final long extentBytes) {
        try (Guard g = enter()) {
            checkOpen();
            checkNoTransaction("create a database");
            return server.createDatabase(rootAreaPath, extentBytes);
        }
    }

    @Override
    public Database openDatabase(final Path rootAreaPath) {
        try (Guard g = enter()) {
            checkOpen();
            return server.openDatabase(rootAreaPath);
        }
    }

    @Override
    public List<Database> databases() {
        try (Guard g = enter()) {
            return server.databases();
        }
    }

    @Override
    public Transaction begin() {
        try (Guard g = enter()) {
            checkOpen();
            if (current != null) {
                throw new BessException(ErrorCode.ILLEGAL_STATE, "a transaction is already open in this session");
            }
            server.log().requireUsable();
            if (recoveryBuffer == null) {
                recoveryBuffer = server.txns().newArea();
            }
            txn = server.txns().begin(recoveryBuffer);
            opened.begin();
            snapshots.begin();
            current = new EngineTransaction(this);
            return current;
        }
    }

    /**
     * Puts this session's recovery buffer in a file of the node's shared memory, where the client process working
     * through this session can map it (replacing an unused anonymous one).
     *
     * @return the area.
     */
    org.bess.server.txn.RecoveryBuffer recoveryBufferFile(
            final Path file, final long connectionId, final int clientSlots) {
        try (Guard g = enter()) {
            checkOpen();
            checkNoTransaction("move the recovery buffer");
            final org.bess.server.txn.RecoveryBuffer area = server.txns().createArea(file, connectionId, clientSlots);
            if (recoveryBuffer != null) {
                recoveryBuffer.close();
            }
            recoveryBuffer = area;
            return area;
        }
    }

    /** This session's recovery-buffer area, or null before its first transaction. */
    org.bess.server.txn.RecoveryBuffer recoveryBuffer() {
        return recoveryBuffer;
    }

    /** Unmaps the recovery buffer and deletes its file (the session is closing, or the engine halted). */
    void closeRecoveryBuffer() {
        final org.bess.server.txn.RecoveryBuffer area = recoveryBuffer;
        recoveryBuffer = null;
        if (area != null) {
            area.close();
        }
    }

    /** The slot snapshots of the current transaction. */
    SlotSnapshots snapshots() {
        return snapshots;
    }

    /** The placed slots of the objects the current transaction opened under the latch. */
    org.bess.client.frame.OpenedObjects<ObjectStore.Slot> opened() {
        return opened;
    }

    void checkNoTransaction(final String what) {
        if (current != null) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE, "cannot " + what + " while a transaction is open in the session");
        }
    }

    /**
     * First half of committing the open transaction, with the latch held: logs it (see {@link
     * BessServer#commitLogged}) and ends it in the session, whose frames go back to read-only or unlocked before its
     * locks are released. The caller then lets the latch go and calls {@link #commitDurable}.
     *
     * @return the LSN to force, or 0.
     */
    long commitLogged(final TransactionManager.Txn t) {
        try {
            return server.commitLogged(t);
        } finally {
            ended();
        }
    }

    /** Last half of a commit, normally without the latch: see {@link BessServer#commitDurable}. */
    void commitDurable(final TransactionManager.Txn t, final long commitLsn) {
        server.commitDurable(this, t, commitLsn);
    }

    /** Rolls back the open transaction (called with the latch held). */
    void abort() {
        final TransactionManager.Txn t = txn;
        try {
            server.rollback(t);
        } finally {
            ended();
        }
    }

    private void ended() {
        // the snapshots' pins, before the locks that made them safe go (commitDurable releases those later)
        snapshots.end();
        current = null;
        txn = null;
        server.txns().use(null);
        frames.endTransaction();
    }

    /**
     * A lock wait or deadlock ended the transaction's chances: roll it back now, so that its locks go and the waiters
     * behind it proceed; the application sees the exception and a transaction that is no longer active.
     */
    void rollbackVictim() {
        if (current != null) {
            current.deactivate();
            abort();
        }
    }

    // ---- the fault handler of this session's virtual frames: each entry holds the latch

    @Override
    public int acquireFrame(final int window, final long pageNo) {
        try (Guard g = enter()) {
            server.lockPageForAccess(window, pageNo, LockMode.S);
            return server.cache().acquireMapping(window, pageNo);
        }
    }

    @Override
    public void lockForRead(final int window, final long pageNo) {
        try (Guard g = enter()) {
            server.lockPageForAccess(window, pageNo, LockMode.S);
        }
    }

    @Override
    public void releaseFrame(final int cacheFrame) {
        try (Guard g = enter()) {
            server.cache().releaseMapping(cacheFrame);
        }
    }

    @Override
    public void beforeFirstWrite(final int window, final long pageNo) {
        try (Guard g = enter()) {
            if (current == null) {
                throw new BessException(
                        ErrorCode.ILLEGAL_STATE, "object written outside a transaction: window=" + window);
            }
            server.lockPageForAccess(window, pageNo, LockMode.X);
            final int frame = server.cache().pin(window, pageNo, false);
            try {
                server.updatePath().onFirstWrite(window, pageNo, frame);
            } finally {
                server.cache().unpin(frame);
            }
        }
    }

    @Override
    public int cacheFd() {
        return server.cache().cacheFd();
    }

    /** Stops as a power cut would: nothing more is written, files are closed, the cache dropped (tests only). */
    void crash() {
        closed = true;
        server.halt();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        RuntimeException failure = null;
        try (Guard g = enter()) {
            if (current != null) {
                current.deactivate();
                abort();
            }
        } catch (final RuntimeException e) {
            failure = e;
        }
        closed = true;
        try {
            frames.close();
        } catch (final RuntimeException e) {
            failure = failure == null ? e : failure;
        }
        try (Guard g = enter()) {
            // after the rollback: its before-images came from here
            closeRecoveryBuffer();
        } catch (final RuntimeException e) {
            failure = failure == null ? e : failure;
        }
        try {
            server.sessionClosed(this);
        } catch (final RuntimeException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }
}
