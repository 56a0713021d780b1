package org.bess.server.daemon;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.wire.DatabaseInfo;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts the engine in the daemon: {@link BessServer#start} (restart recovery included) and one session of the daemon's
 * own, which one thread ({@code bess-engine}) uses for every control request that touches the engine, in submission
 * order (a session is used by one thread at a time), answering through a callback; the counters sample runs there
 * too, so a slow engine call delays samples, never the control thread. Client sessions of the later client modes will
 * be further sessions of the same engine.
 *
 * <p>Thread safe: any thread may submit.
 */
public final class EngineHost implements AutoCloseable {
    private final Logger log = LoggerFactory.getLogger(EngineHost.class);
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        final Thread t = new Thread(r, "bess-engine");
        t.setDaemon(true);
        return t;
    });
    private final NodeCatalog catalog;
    private final java.util.concurrent.atomic.AtomicBoolean samplePending =
            new java.util.concurrent.atomic.AtomicBoolean();
    private BessServer server;
    private Session session;
    private volatile org.bess.server.remote.SessionEndpoint endpoint;
    private boolean closed;

    /**
     * Starts the engine (restart recovery included) and reopens every database of the node catalog.
     *
     * @param context the engine's configuration.
     * @param catalog the node catalog.
     */
    public EngineHost(final Context context, final NodeCatalog catalog) {
        this.catalog = catalog;
        call(() -> {
            final long began = System.nanoTime();
            server = BessServer.start(context);
            session = server.openSession();
            final String recovery = server.recovery();
            log.info(
                    "engine started in {} ms: recovery={}",
                    (System.nanoTime() - began) / 1_000_000,
                    recovery == null ? "none (clean shutdown before)" : recovery);
            for (final NodeCatalog.DatabaseEntry e : catalog.databases()) {
                try {
                    final Database db = session.openDatabase(Path.of(e.path()));
                    log.info("hosting database: path={}, id={}", e.path(), db.id());
                } catch (final RuntimeException ex) {
                    log.warn(
                            "cannot reopen a database of the node catalog, left closed: path={}: {}",
                            e.path(),
                            ex.toString());
                }
            }
            return null;
        });
    }

    /**
     * Opens the session socket ({@code <nodeDir>/sessions.sock}) for client processes ({@code Bess.connect}): each
     * connection gets a session of the engine; peers are checked against {@code allowed} by {@code SO_PEERCRED}.
     *
     * @param socket the socket path.
     * @param allowed the allow-list check.
     */
    public void startSessions(
            final Path socket,
            final java.util.function.Predicate<jdk.net.UnixDomainPrincipal> allowed,
            final org.bess.server.remote.SessionSettings settings) {
        call(() -> {
            endpoint = org.bess.server.remote.SessionEndpoint.start(server, socket, allowed, settings);
            log.info("session endpoint listening: socket={}", socket);
            return null;
        });
    }

    /** The session clients connected now (any thread; none before the session socket opened). */
    public List<org.bess.server.remote.SessionEndpoint.ClientView> sessionClients() {
        final org.bess.server.remote.SessionEndpoint e = endpoint;
        return e == null ? List.of() : e.clients();
    }

    /**
     * Disconnects a session client (any thread); it is cleaned up like a dead one.
     *
     * @return false when no session client has that id.
     */
    public boolean disconnectSession(final long id) {
        final org.bess.server.remote.SessionEndpoint e = endpoint;
        return e != null && e.disconnect(id);
    }

    /** Runs a task on the engine thread and waits for it. */
    <T> T call(final Callable<T> task) {
        final Future<T> f = thread.submit(task);
        try {
            return f.get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BessException(ErrorCode.ILLEGAL_STATE, "interrupted while waiting for the engine", e);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new BessException(ErrorCode.GENERIC, "engine task failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Runs a task on the engine thread; the result or failure goes to {@code done} on the engine thread.
     *
     * @return false when the engine is stopping and the task was not queued.
     */
    public <T> boolean submit(final Callable<T> task, final Consumer<Outcome<T>> done) {
        try {
            thread.execute(() -> {
                T value = null;
                RuntimeException failure = null;
                try {
                    if (closed) {
                        throw new BessException(ErrorCode.ILLEGAL_STATE, "the node server is stopping");
                    }
                    value = task.call();
                } catch (final RuntimeException e) {
                    failure = e;
                } catch (final Exception e) {
                    failure = new BessException(ErrorCode.GENERIC, e.toString(), e);
                }
                done.accept(new Outcome<>(value, failure));
            });
            return true;
        } catch (final java.util.concurrent.RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * A task's result or failure.
     *
     * @param value the result, when it succeeded.
     * @param failure the failure, or null.
     * @param <T> the result type.
     */
    public record Outcome<T>(T value, RuntimeException failure) {}

    /** Samples the engine's statistics into the counters (engine thread; queued, at most one sample at a time). */
    public void sampleInto(final NodeCounters counters) {
        if (!samplePending.compareAndSet(false, true)) {
            return; // the engine is busy: one queued sample is enough
        }
        submit(
                () -> {
                    samplePending.set(false);
                    if (server != null && !closed) {
                        counters.engine(server);
                    }
                    return null;
                },
                o -> {
                    if (o.failure() != null) {
                        log.warn("counter sample failed: {}", o.failure().toString());
                    }
                });
    }

    /** The catalog's databases with their state in the engine (engine thread). */
    public List<DatabaseInfo> listDatabases() {
        final Map<String, Database> open = new HashMap<>();
        for (final Database db : session.databases()) {
            open.put(db.path().toAbsolutePath().normalize().toString(), db);
        }
        final List<DatabaseInfo> out = new ArrayList<>();
        for (final NodeCatalog.DatabaseEntry e : catalog.databases()) {
            final Database db = open.get(e.path());
            out.add(new DatabaseInfo(
                    e.id(), e.path(), db == null ? 0 : db.areas().size(), db != null));
        }
        return out;
    }

    /** Opens a database and records it in the node catalog (engine thread). */
    public DatabaseInfo openDatabase(final String path) {
        final Path p = checkedPath(path);
        final Database db = session.openDatabase(p);
        catalog.putDatabase(p.toString(), db.id());
        log.info("database opened: path={}, id={}", p, db.id());
        return new DatabaseInfo(db.id(), p.toString(), db.areas().size(), true);
    }

    /** Creates a database and records it in the node catalog (engine thread). */
    public DatabaseInfo createDatabase(final String path, final long extentBytes) {
        final Path p = checkedPath(path);
        final Database db = session.createDatabase(p, extentBytes);
        catalog.putDatabase(p.toString(), db.id());
        log.info("database created: path={}, id={}, extentBytes={}", p, db.id(), extentBytes);
        return new DatabaseInfo(db.id(), p.toString(), db.areas().size(), true);
    }

    private static Path checkedPath(final String path) {
        final Path p;
        try {
            p = Path.of(path);
        } catch (final java.nio.file.InvalidPathException e) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "not a path: '" + path + "': " + e.getReason());
        }
        if (!p.isAbsolute()) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "the root area path must be absolute: '" + path + "'");
        }
        return p.normalize();
    }

    /**
     * Stops the engine: waits for queued work, takes a checkpoint (logged), closes the daemon's session and the engine
     * (another checkpoint, then every database closed).
     * Idempotent.
     */
    @Override
    public void close() {
        if (thread.isShutdown()) {
            return;
        }
        try {
            call(() -> {
                closed = true;
                if (endpoint != null) {
                    endpoint.close();
                }
                if (server != null) {
                    final long began = System.nanoTime();
                    final long lsn = server.checkpoint();
                    log.info(
                            "shutdown checkpoint done: lsn={}, checkpointsThisRun={}, ms={}",
                            lsn,
                            server.cacheCounters()[5],
                            (System.nanoTime() - began) / 1_000_000);
                    session.close();
                    server.close();
                    log.info("engine closed");
                }
                return null;
            });
        } finally {
            thread.shutdown();
            try {
                if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                    log.warn("engine thread did not stop within 30 s");
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
