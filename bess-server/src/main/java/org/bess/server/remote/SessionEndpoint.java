package org.bess.server.remote;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import jdk.net.UnixDomainPrincipal;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.nativeshim.Native;
import org.bess.server.BessServer;
import org.bess.server.SessionAccess;
import org.bess.server.lock.LockManager;
import org.bess.server.lock.SharedLockTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves client sessions of an engine over a Unix domain socket: a connection is authenticated by {@code SO_PEERCRED},
 * bound to a new session of the engine, and served by its own thread until it closes; then the session is closed,
 * which rolls back its open transaction, releases its locks and drops the cache frames its client had mapped.
 *
 * <p>A watchdog thread ({@code bess-sessions-watchdog}) expires hung clients: a connection waiting for its client's
 * next frame that has heard nothing (no request, no heartbeat) for {@link SessionSettings#heartbeat the expiry
 * timeout} gets an expiry notice and is closed, and is then cleaned up like a dead client's.
 *
 * <p>Thread safe.
 */
public final class SessionEndpoint implements AutoCloseable {
    /** The socket's file name in a node directory. */
    public static final String SOCKET_NAME = "sessions.sock";

    private static final Logger LOG = LoggerFactory.getLogger(SessionEndpoint.class);

    private final BessServer server;
    private final Path socket;
    private final ServerSocketChannel listener;
    private final Predicate<UnixDomainPrincipal> allowed;
    private final SessionSettings settings;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> transactionsByProcess = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final Thread acceptor;
    private final Thread watchdog;
    private volatile boolean closed;

    private SessionEndpoint(
            final BessServer server,
            final Path socket,
            final Predicate<UnixDomainPrincipal> allowed,
            final SessionSettings settings)
            throws IOException {
        this.server = server;
        this.socket = socket;
        this.allowed = allowed;
        this.settings = settings;
        Files.deleteIfExists(socket);
        this.listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        this.acceptor = new Thread(this::acceptLoop, "bess-sessions-accept");
        acceptor.setDaemon(true);
        this.watchdog = new Thread(this::watch, "bess-sessions-watchdog");
        watchdog.setDaemon(true);
    }

    /**
     * Starts serving sessions of {@code server} on {@code socket}, allowing only this process's own user.
     *
     * @return the running endpoint.
     */
    public static SessionEndpoint start(final BessServer server, final Path socket) {
        final String me = System.getProperty("user.name");
        return start(server, socket, peer -> peer.user().getName().equals(me));
    }

    /**
     * Starts serving sessions of {@code server} on {@code socket}.
     *
     * @param allowed which peers ({@code SO_PEERCRED} user and group) may connect.
     * @return the running endpoint.
     */
    public static SessionEndpoint start(
            final BessServer server, final Path socket, final Predicate<UnixDomainPrincipal> allowed) {
        return start(server, socket, allowed, new SessionSettings());
    }

    /**
     * Starts serving sessions of {@code server} on {@code socket}.
     *
     * @param allowed which peers ({@code SO_PEERCRED} user and group) may connect.
     * @param settings heartbeats, quotas, ids and the client listener.
     * @return the running endpoint.
     */
    public static SessionEndpoint start(
            final BessServer server,
            final Path socket,
            final Predicate<UnixDomainPrincipal> allowed,
            final SessionSettings settings) {
        attachLockTable(server);
        try {
            final SessionEndpoint e = new SessionEndpoint(server, socket, allowed, settings);
            e.acceptor.start();
            e.watchdog.start();
            LOG.info(
                    "session endpoint listening: socket={}, heartbeat={} ms, expiry={} ms",
                    socket,
                    settings.heartbeatMs(),
                    settings.expiryMs());
            return e;
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot listen on the session socket: socket=" + socket, e);
        }
    }

    /** Entries of the shared lock table (a power of two; 64 bytes each: 1 MiB). */
    static final int LOCK_TABLE_CAPACITY = 1 << 14;
    /** Shared-memory clients with a lock log at once (more connect, but lock by request only). */
    static final int LOCK_LOG_SLOTS = 256;
    /**
     * Fast-path locks per transaction (more go by request): 64 KiB of {@code /dev/shm} per slot, touched only as a
     * transaction appends. 512 until 2026-11-21, which a hot OO7 T1 (about 800 pages and segments) overflowed: past the
     * 512th lock every page was a {@code LOCK_FOR_READ} request.
     */
    static final int LOCK_LOG_ENTRIES = 4096;

    /**
     * Gives the engine's lock manager its shared-memory table ({@code locks} beside the cache file, {@code 0600},
     * created empty), once per engine: shared-memory clients take uncontended page S locks there without a request.
     */
    private static void attachLockTable(final BessServer server) {
        final LockManager locks = SessionAccess.lockManager(server);
        synchronized (locks) {
            if (locks.sharedTable() == null) {
                // first endpoint of this engine: no client has a recovery buffer yet, so any there is a dead server's
                SessionAccess.sweepRecoveryBufferFiles(server);
                final Path file = SessionAccess.cacheFile(server).resolveSibling("locks");
                locks.attachSharedTable(SharedLockTable.create(
                        file, LOCK_TABLE_CAPACITY, LOCK_LOG_SLOTS, LOCK_LOG_ENTRIES, Native.pid()));
                LOG.info("shared lock table: file={}", file);
            }
        }
    }

    /** The socket's path. */
    public Path socket() {
        return socket;
    }

    /** The engine. */
    BessServer server() {
        return server;
    }

    /** Connections open now. */
    public int connectionCount() {
        return connections.size();
    }

    private final java.util.concurrent.atomic.AtomicLong clientImagesRefused =
            new java.util.concurrent.atomic.AtomicLong();
    private volatile String lastClientImageRefused;

    /** Requests served so far, over every connection (what the client paths that need none can be checked by). */
    public long requestsServed() {
        return served.get();
    }

    void served() {
        served.incrementAndGet();
    }

    /** A client-made before-image was refused (garbage, or of a page its transaction holds no X on). */
    void clientImageRefused(final String why) {
        clientImagesRefused.incrementAndGet();
        lastClientImageRefused = why;
    }

    /** Client-made before-images refused so far. */
    public long clientImagesRefused() {
        return clientImagesRefused.get();
    }

    /** Why the last client-made before-image was refused, or null. */
    public String lastClientImageRefused() {
        return lastClientImageRefused;
    }

    /** Connections refused because their peer was not allowed. */
    public long refusedCount() {
        return refused.get();
    }

    /** Clients expired for want of a heartbeat. */
    public long expiredCount() {
        return expired.get();
    }

    SessionSettings settings() {
        return settings;
    }

    /**
     * Counts a transaction of a client process against {@link SessionSettings#maxTransactionsPerProcess}.
     *
     * @return false (nothing counted) when the process has its maximum open.
     */
    boolean beginFor(final String process) {
        final AtomicInteger n = transactionsByProcess.computeIfAbsent(process, k -> new AtomicInteger());
        while (true) {
            final int v = n.get();
            if (v >= settings.maxTransactionsPerProcess()) {
                return false;
            }
            if (n.compareAndSet(v, v + 1)) {
                return true;
            }
        }
    }

    /** Uncounts a transaction {@link #beginFor} counted. */
    void endFor(final String process) {
        transactionsByProcess.computeIfPresent(process, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /**
     * One connected client as {@code bess-admin clients} lists it.
     *
     * @param id the connection id.
     * @param uid the peer's uid (declared in {@code HELLO}, checked against {@code SO_PEERCRED}); -1 before it.
     * @param gid the peer's gid; -1 before {@code HELLO}.
     * @param pid the pid the client declared; 0 before {@code HELLO}.
     * @param mode 0 shared memory, 1 copy-on-access, -1 before {@code HELLO}.
     * @param connectedSinceMs when it connected, epoch milliseconds.
     * @param inRequest 1 while the server works on one of its requests, else 0.
     * @param transactions its open transactions (0 or 1).
     * @param locks locks its transaction holds.
     */
    public record ClientView(
            long id,
            int uid,
            int gid,
            long pid,
            int mode,
            long connectedSinceMs,
            int inRequest,
            int transactions,
            int locks) {}

    /** The connected clients now. */
    public List<ClientView> clients() {
        final List<ClientView> list = new ArrayList<>();
        for (final Connection c : connections) {
            list.add(c.view());
        }
        return list;
    }

    /**
     * Disconnects a client (as {@code bess-admin kill-client} asks): its connection closes and is cleaned up like a
     * dead client's, once any request the server is working on for it returns.
     *
     * @return false when no client has that id.
     */
    public boolean disconnect(final long id) {
        for (final Connection c : connections) {
            if (c.id() == id) {
                LOG.info("client {} disconnected by request (kill-client)", id);
                c.disconnect();
                return true;
            }
        }
        return false;
    }

    /**
     * Client-mapped cache frames of every open connection (shared-memory clients): those the server counted for their
     * requests plus those they mapped by cache hits (their marks in the client-map file; a scan of it).
     */
    public long clientMappedFrames() {
        long total = SessionAccess.clientHitMaps(server);
        for (final Connection c : connections) {
            total += c.mappedFrames();
        }
        return total;
    }

    /** Ids of the open connections (for tools and tests). */
    public List<Long> connectionIds() {
        final List<Long> ids = new ArrayList<>();
        for (final Connection c : connections) {
            ids.add(c.id());
        }
        return ids;
    }

    private void acceptLoop() {
        while (!closed) {
            final SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (final ClosedChannelException e) {
                return;
            } catch (final IOException e) {
                if (!closed) {
                    LOG.warn("session endpoint: accept failed: {}", e.toString());
                }
                return;
            }
            final Connection c = new Connection(this, ch, settings.nextId());
            if (!c.authenticate(allowed)) {
                refused.incrementAndGet();
            }
            connections.add(c);
            final Thread t = new Thread(c, "bess-session-" + c.id());
            t.setDaemon(true);
            c.thread(t);
            t.start();
        }
    }

    void closed(final Connection c) {
        connections.remove(c);
    }

    /** The watchdog: every quarter of the expiry timeout (at most one heartbeat), expires silent idle clients. */
    private void watch() {
        final long period = Math.max(5, Math.min(settings.heartbeatMs(), settings.expiryMs() / 4));
        final long expiryNanos = TimeUnit.MILLISECONDS.toNanos(settings.expiryMs());
        while (!closed) {
            try {
                Thread.sleep(period);
            } catch (final InterruptedException e) {
                return;
            }
            final long now = System.nanoTime();
            for (final Connection c : connections) {
                if (c.expireIfSilent(now, expiryNanos)) {
                    expired.incrementAndGet();
                }
            }
        }
    }

    /**
     * Stops accepting, disconnects every client (their sessions roll back) and waits for the connection threads.
     */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (final IOException e) {
            LOG.warn("session endpoint: closing the listener: {}", e.toString());
        }
        for (final Connection c : connections) {
            c.disconnect();
        }
        for (final Connection c : connections) {
            c.join();
        }
        watchdog.interrupt();
        try {
            acceptor.join(10_000);
            Files.deleteIfExists(socket);
        } catch (final IOException e) {
            LOG.warn("session endpoint: removing the socket: {}", e.toString());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
