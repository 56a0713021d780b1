package org.bess.server.remote;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.lock.LockContext;

/**
 * The node a client test runs against: an engine, its session endpoint on the node's socket, the sessions the test
 * opened and a thread pool for the test's second parties. {@link #close()} ends them in reverse (the pool, then every
 * session, tolerating those a test broke on purpose, then the endpoint and the engine) and may be called again.
 */
final class TestNode implements AutoCloseable {
    /** How long {@link #close()} waits for the test's pool threads to end. */
    private static final long POOL_WAIT_SECONDS = 30;

    private final Path nodeDir;
    private BessServer server;
    private SessionEndpoint endpoint;
    private final List<Session> sessions = new ArrayList<>();
    private ExecutorService pool;

    private TestNode(
            final Path nodeDir, final BessServer server, final Function<BessServer, SessionEndpoint> endpoint) {
        this.nodeDir = nodeDir;
        this.server = server;
        try {
            this.endpoint = endpoint.apply(server);
        } catch (final RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The engine's defaults for these tests on {@code nodeDir}: an 8 MiB cache and a 20 s lock timeout. */
    static Context context(final Path nodeDir) {
        return new Context()
                .nodeDir(nodeDir)
                .cacheSizeBytes(8L << 20)
                .lockContext(new LockContext().lockTimeoutNs(TimeUnit.SECONDS.toNanos(20)));
    }

    /** Starts the default node on {@code dir/node}. */
    static TestNode start(final Path dir) {
        return start(context(dir.resolve("node")));
    }

    /** Starts the engine of {@code context} and an endpoint with the default allow-list on its node's socket. */
    static TestNode start(final Context context) {
        return start(context, s -> SessionEndpoint.start(s, socket(context.nodeDir())));
    }

    /** Starts the engine of {@code context} and the endpoint {@code endpoint} makes for it. */
    static TestNode start(final Context context, final Function<BessServer, SessionEndpoint> endpoint) {
        return new TestNode(context.nodeDir(), BessServer.start(context), endpoint);
    }

    /** The session socket of the node in {@code nodeDir}. */
    static Path socket(final Path nodeDir) {
        return nodeDir.resolve(SessionEndpoint.SOCKET_NAME);
    }

    Path nodeDir() {
        return nodeDir;
    }

    BessServer server() {
        return server;
    }

    SessionEndpoint endpoint() {
        return endpoint;
    }

    /** A client session in {@code mode}, closed with the node. */
    Session connect(final Bess.Mode mode) {
        return track(Bess.connect(nodeDir, mode));
    }

    /** An embedded session on the engine, closed with the node. */
    Session embedded() {
        return track(server.openSession());
    }

    /** Closes {@code session} with the node. */
    <S extends Session> S track(final S session) {
        sessions.add(session);
        return session;
    }

    /** The test's thread pool, shut down (and waited for) first when the node closes. */
    ExecutorService pool() {
        if (pool == null) {
            pool = Executors.newCachedThreadPool();
        }
        return pool;
    }

    @Override
    public void close() {
        try {
            if (pool != null) {
                pool.shutdownNow();
                if (!pool.awaitTermination(POOL_WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError("the test's pool threads did not end in " + POOL_WAIT_SECONDS + " s");
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for the test's pool threads", e);
        } finally {
            pool = null;
            closeSessionsAndNode();
        }
    }

    private void closeSessionsAndNode() {
        for (final Session s : sessions) {
            try {
                s.close();
            } catch (final RuntimeException e) {
                // a test may have broken it on purpose
            }
        }
        sessions.clear();
        if (endpoint != null) {
            endpoint.close();
            endpoint = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /**
     * Commits {@code count} new objects of type {@code type} ({@code size} bytes) in a new file {@code file} of
     * {@code db}, object {@code i} holding {@code i} in its first long; their references in allocation order.
     */
    static List<Ref> numbered(
            final Session s, final Database db, final String type, final int size, final String file, final int count) {
        final TypeId t = db.defineType(type, size, new int[0]);
        final List<Ref> refs = new ArrayList<>();
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, file);
            for (int i = 0; i < count; i++) {
                final ObjectRef o = tx.allocate(f, t);
                o.putLong(0, i);
                refs.add(o.ref());
            }
            tx.commit();
        }
        return refs;
    }

    /** Waits, bounded and with backoff (1 ms doubling to 100 ms), until {@code condition} holds. */
    static void await(final String what, final long timeoutSeconds, final BooleanSupplier condition)
            throws InterruptedException {
        long sleepMs = 1;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(sleepMs);
            sleepMs = Math.min(100, sleepMs * 2);
        }
    }

    /** {@link #await(String, long, BooleanSupplier)} with a 20 s bound. */
    static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        await(what, 20, condition);
    }

    /**
     * Whether the server closes {@code ch} within 20 seconds: end of stream, or a reset because our bytes were left
     * unread. Whatever the server sends before it closes is read and dropped.
     */
    static boolean closedByServer(final SocketChannel ch) throws InterruptedException {
        try {
            ch.configureBlocking(false);
            final ByteBuffer b = ByteBuffer.allocate(4096);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            long sleepMs = 1;
            while (System.nanoTime() < deadline) {
                final int n = ch.read(b);
                if (n == -1) {
                    return true;
                }
                b.clear();
                if (n == 0) {
                    Thread.sleep(sleepMs);
                    sleepMs = Math.min(100, sleepMs * 2);
                }
            }
            return false;
        } catch (final IOException e) {
            return true;
        }
    }
}
