package org.bess.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/** A session on an engine in this process. Closing it writes back and closes every database and stops the engine. */
final class EmbeddedSession implements Session {
    private final BessServer server;
    private final Map<Path, EngineDatabase> databases = new LinkedHashMap<>();
    private EngineTransaction current;
    private boolean closed;

    EmbeddedSession(final BessServer server) {
        this.server = server;
    }

    BessServer server() {
        return server;
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
        current = new EngineTransaction(this);
        return current;
    }

    void checkNoTransaction(final String what) {
        if (current != null) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE, "cannot " + what + " while a transaction is open in the session");
        }
    }

    boolean hasUncommittedChanges() {
        if (server.updatePath().writtenCount() > 0) {
            return true;
        }
        for (final EngineDatabase db : databases.values()) {
            if (db.catalog().isDirty()) {
                return true;
            }
        }
        return false;
    }

    void commit() {
        for (final EngineDatabase db : databases.values()) {
            db.checkpoint();
        }
        server.frames().endTransaction();
        server.updatePath().endTransaction();
    }

    void transactionEnded(final EngineTransaction tx) {
        if (current == tx) {
            current = null;
            server.frames().endTransaction();
            server.updatePath().endTransaction();
        }
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
        for (final EngineDatabase db : databases.values()) {
            try {
                db.close();
            } catch (final RuntimeException e) {
                failure = e;
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
