package org.bess.server;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogRecordDescriptor;
import org.bess.server.log.LogWriter;
import org.bess.server.txn.PageDiff;
import org.bess.server.txn.TransactionManager;

/**
 * A session on an engine in this process. Transactions commit through the write-ahead log (group commit); checkpoints
 * write back the cache, store changed catalogs and log a checkpoint record; closing the session checkpoints, closes
 * every database and stops the engine.
 */
final class EmbeddedSession implements Session {
    private final BessServer server;
    private final TransactionManager txns;
    private final LogWriter log;
    private final Map<Path, EngineDatabase> databases = new LinkedHashMap<>();
    private EngineTransaction current;
    private long lastCheckpointLsn;
    private String recovery;
    private boolean closed;

    EmbeddedSession(final BessServer server) {
        this.server = server;
        this.txns = server.txns();
        this.log = server.log();
        this.lastCheckpointLsn = log.endLsn();
    }

    BessServer server() {
        return server;
    }

    void recovered(final String summary) {
        this.recovery = summary;
    }

    /** What restart recovery did when this session started, or null when the node was shut down cleanly. */
    String recovery() {
        return recovery;
    }

    private void checkOpen() {
        if (closed) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "session is closed");
        }
    }

    private static Path key(final Path path) {
        return path.toAbsolutePath().normalize();
    }

    @Override
    public Database createDatabase(final Path rootAreaPath, final long extentBytes) {
        server.io().barrier();
        checkOpen();
        checkNoTransaction("create a database");
        final EngineDatabase db = EngineDatabase.create(this, rootAreaPath, extentBytes);
        databases.put(key(rootAreaPath), db);
        runInternal(() -> null);
        checkpointNow();
        return db;
    }

    @Override
    public Database openDatabase(final Path rootAreaPath) {
        server.io().barrier();
        checkOpen();
        final EngineDatabase open = databases.get(key(rootAreaPath));
        if (open != null) {
            return open;
        }
        final EngineDatabase db = EngineDatabase.open(this, rootAreaPath);
        databases.put(key(rootAreaPath), db);
        return db;
    }

    EngineDatabase openForeign(final String path, final long databaseId) {
        final EngineDatabase db = (EngineDatabase) openDatabase(Path.of(path));
        if (db.id() != databaseId) {
            throw new BessException(
                    ErrorCode.INVALID_REFERENCE,
                    "forward object points to a database that was replaced: path=" + path + ", expectedId=" + databaseId
                            + ", actualId=" + db.id());
        }
        return db;
    }

    EngineDatabase databaseById(final long id) {
        for (final EngineDatabase db : databases.values()) {
            if (db.id() == id) {
                return db;
            }
        }
        return null;
    }

    @Override
    public List<Database> databases() {
        server.io().barrier();
        return new ArrayList<>(databases.values());
    }

    @Override
    public Transaction begin() {
        server.io().barrier();
        checkOpen();
        if (current != null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "a transaction is already open in this session");
        }
        log.requireUsable();
        txns.begin();
        current = new EngineTransaction(this);
        return current;
    }

    void checkNoTransaction(final String what) {
        if (current != null) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE, "cannot " + what + " while a transaction is open in the session");
        }
    }

    /** Runs an engine operation in its own transaction, committed (durably) or aborted on failure. */
    <T> T runInternal(final Supplier<T> op) {
        checkNoTransaction("run an internal operation");
        txns.begin();
        final T result;
        try {
            result = op.get();
        } catch (final RuntimeException e) {
            rollbackAfter(e);
            throw e;
        }
        try {
            commitLogged();
        } catch (final RuntimeException e) {
            rollbackAfter(e);
            throw e;
        }
        return result;
    }

    /** Runs in the open transaction, or in an internal one when none is open. */
    <T> T inTransactionOrInternal(final Supplier<T> op) {
        return current != null ? op.get() : runInternal(op);
    }

    private void commitLogged() {
        for (final EngineDatabase db : databases.values()) {
            db.applyDeferredFrees();
        }
        final List<ByteBuffer> catalogs = new ArrayList<>();
        for (final EngineDatabase db : databases.values()) {
            final ByteBuffer change = db.catalogChange();
            if (change != null) {
                catalogs.add(change);
            }
        }
        txns.commit(catalogs);
        endTransactionState();
    }

    void commit() {
        try {
            commitLogged();
        } catch (final RuntimeException e) {
            // never acknowledged: roll back, so that the session is not left holding a half-committed transaction
            try {
                rollbackAfter(e);
            } finally {
                current = null;
            }
            throw e;
        }
        current = null;
        if (log.endLsn() - lastCheckpointLsn > server.context().checkpointLogBytes()) {
            checkpointNow();
        }
    }

    boolean hasUncommittedChanges() {
        if (txns.changed() || server.updatePath().writtenCount() > 0) {
            return true;
        }
        for (final EngineDatabase db : databases.values()) {
            if (db.catalogChanged()) {
                return true;
            }
        }
        return false;
    }

    void abort() {
        try {
            rollback();
        } catch (final RuntimeException e) {
            log.failStop(e);
            throw e;
        } finally {
            current = null;
        }
    }

    /**
     * Rolls back after {@code failure}; a rollback that fails too leaves pages half restored in memory, which must
     * never be written back or checkpointed: the log is stopped, so only restart recovery goes on from the durable
     * log.
     */
    private void rollbackAfter(final RuntimeException failure) {
        try {
            rollback();
        } catch (final RuntimeException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
            log.failStop(rollbackFailure);
        }
    }

    private void rollback() {
        // a transaction that changed nothing has nothing to restore: it must not need the disk (a read-only
        // transaction's abort after a read error would otherwise fail again re-reading allocation hints)
        final boolean changed = hasUncommittedChanges();
        final UnsafeBuffer page = new UnsafeBuffer(0, 0);
        txns.abort((clr, lsn, flags) -> {
            final long[] id = PageDiff.pageId(clr);
            final int window = server.pages().window(id[0], (int) id[1]);
            if (window < 0) {
                return;
            }
            final boolean control = (flags & TransactionManager.FLAG_CONTROL_PAGE) != 0;
            final int frame = server.cache().pinAs(window, id[2], control);
            try {
                PageDiff.applyClr(clr, server.cache().wrap(page, frame));
                server.cache().markDirty(frame);
                server.cache().pageLsn(frame, lsn);
            } finally {
                server.cache().unpin(frame);
            }
        });
        if (changed) {
            for (final EngineDatabase db : databases.values()) {
                db.afterAbort();
            }
        }
        endTransactionState();
    }

    private void endTransactionState() {
        server.frames().endTransaction();
        server.updatePath().endTransaction();
        for (final EngineDatabase db : databases.values()) {
            db.endTransaction();
        }
    }

    void transactionEnded(final EngineTransaction tx) {
        if (current == tx) {
            current = null;
        }
    }

    /**
     * A checkpoint, between transactions: store changed catalogs (new chain, written back, then switched in by the
     * root header), write back every dirty page (each after the log is durable to its LSN), force the areas, then log
     * a {@code CHECKPOINT} record, force it, remember it in the master file and recycle the log before it.
     */
    void checkpointNow() {
        checkNoTransaction("checkpoint");
        final Map<EngineDatabase, long[]> stored = new LinkedHashMap<>();
        for (final EngineDatabase db : databases.values()) {
            if (db.catalogNeedsStore()) {
                stored.put(db, runInternal(db::writeCatalogPages));
            }
        }
        log.forceAll();
        server.cache().checkpoint();
        if (!stored.isEmpty()) {
            runInternal(() -> {
                for (final Map.Entry<EngineDatabase, long[]> e : stored.entrySet()) {
                    e.getKey().freeCatalogBlock(e.getKey().switchCatalog(e.getValue()));
                }
                return null;
            });
            log.forceAll();
            server.cache().checkpoint();
        }
        FaultPoints.hit("checkpoint.afterFlush");
        final long lsn = log.append(LogRecordDescriptor.TYPE_CHECKPOINT, (short) 0, 0, 0, checkpointPayload());
        log.force(lsn);
        MasterRecord.write(server.context().nodeDir().resolve("log"), lsn);
        log.recycleBefore(lsn);
        lastCheckpointLsn = lsn;
    }

    private ByteBuffer checkpointPayload() {
        final List<byte[]> paths = new ArrayList<>();
        int length = Long.BYTES + Integer.BYTES;
        for (final EngineDatabase db : databases.values()) {
            final byte[] p = db.path().toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8);
            paths.add(p);
            length += Long.BYTES + Integer.BYTES + p.length;
        }
        final ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(txns.nextTxnId()).putInt(databases.size());
        int i = 0;
        for (final EngineDatabase db : databases.values()) {
            b.putLong(db.id()).putInt(paths.get(i).length).put(paths.get(i));
            i++;
        }
        return b.flip();
    }

    /** Stops as a power cut would: nothing more is written, files are closed, the cache dropped (tests only). */
    void crash() {
        for (final EngineDatabase db : databases.values()) {
            db.closeFilesOnly();
        }
        databases.clear();
        closed = true;
        server.halt();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        server.io().close();
        if (current != null) {
            current.close();
        }
        RuntimeException failure = null;
        try {
            if (!log.failed()) {
                checkpointNow();
            }
        } catch (final RuntimeException e) {
            failure = e;
        }
        final boolean clean = failure == null && !log.failed();
        for (final EngineDatabase db : databases.values()) {
            try {
                db.close(clean);
            } catch (final RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        databases.clear();
        closed = true;
        server.close();
        if (failure != null) {
            throw failure;
        }
    }
}
