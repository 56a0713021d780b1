package org.bess.server.daemon;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.wire.BodyReader;
import org.bess.client.wire.ClientInfo;
import org.bess.client.wire.ControlProtocol;
import org.bess.client.wire.ControlRequest;
import org.bess.client.wire.CounterValue;
import org.bess.client.wire.DatabaseInfo;
import org.bess.client.wire.FrameHeaderFlyweight;
import org.bess.client.wire.FrameWriter;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.ProtocolException;
import org.bess.format.NodeCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local control channel: a Unix domain socket in a directory only allowed users can search, served by one
 * selector thread ({@code bess-control}) that accepts, authenticates ({@code SO_PEERCRED} against the {@link
 * AllowList}, before anything is read), reads length-prefixed frames into a per-connection buffer bounded by the frame
 * quota, decodes them with flyweights, answers control requests itself and hands engine requests to the {@link
 * EngineHost}, whose answers come back through a queue and a selector wake-up. The thread blocks in {@code select}
 * with a timeout (the heartbeat period): no busy-spin.
 *
 * <p>A malformed, oversized, truncated or stalled frame closes that connection only (logged, counted); a client over
 * its outstanding-request quota gets a {@code QUOTA} error for the request, a client over the connection quotas is
 * refused at accept.
 *
 * <p>Thread safe at its boundary ({@link #start}, {@link #close}); everything else runs on the control thread.
 */
public final class ControlServer implements AutoCloseable {
    private static final int MAX_QUEUED_REPLY_BYTES = 4 << 20;
    private static final int READS_PER_WAKEUP = 16;

    private final Logger log = LoggerFactory.getLogger(ControlServer.class);
    private final NodeConfig config;
    private final AllowList allow;
    private final Path socketPath;
    private final NodeCounters counters;
    private final EngineHost engine;
    private final long nodeId;
    private final Map<Integer, ClientConnection> clients = new LinkedHashMap<>();
    private final Map<String, Integer> perUser = new HashMap<>();
    private final ConcurrentLinkedQueue<Completion> completions = new ConcurrentLinkedQueue<>();
    private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
    private final BodyReader body = new BodyReader();
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    private final FrameWriter writer = new FrameWriter();
    private final Selector selector;
    private final ServerSocketChannel listener;
    private final Thread thread;
    private volatile boolean running = true;
    private final java.util.function.IntSupplier clientIds;
    private long nextTickMs;

    /** An engine request's outcome, queued for the control thread. */
    private record Completion(ClientConnection conn, long correlationId, int type, EngineHost.Outcome<?> outcome) {}

    /**
     * Binds the socket (replacing a stale one) and prepares the thread; {@link #start} runs it.
     *
     * @throws BessException {@code IO} when the socket cannot be bound (path too long, directory not writable).
     */
    public ControlServer(
            final NodeConfig config,
            final AllowList allow,
            final Path socketPath,
            final NodeCounters counters,
            final EngineHost engine,
            final long nodeId,
            final java.util.function.IntSupplier clientIds) {
        this.clientIds = clientIds;
        this.config = config;
        this.allow = allow;
        this.socketPath = socketPath;
        this.counters = counters;
        this.engine = engine;
        this.nodeId = nodeId;
        try {
            prepareDirectory(socketPath.getParent());
            Files.deleteIfExists(socketPath);
            this.selector = Selector.open();
            this.listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            listener.bind(UnixDomainSocketAddress.of(socketPath), 64);
            Files.setPosixFilePermissions(
                    socketPath,
                    PosixFilePermissions.fromString(
                            allow.othersAllowed() ? "rw-rw-rw-" : allow.groupsAllowed() ? "rw-rw----" : "rw-------"));
            listener.configureBlocking(false);
            listener.register(selector, SelectionKey.OP_ACCEPT);
        } catch (final IOException | RuntimeException e) {
            throw new BessException(
                    ErrorCode.IO,
                    "cannot listen on the control socket: path=" + socketPath + " ("
                            + socketPath.toString().length() + " chars; the limit is about 107): " + e,
                    e);
        }
        this.thread = new Thread(this::run, "bess-control");
    }

    /**
     * The socket's directory: {@code 0700} when only the server's uid may connect, {@code 0710} owned by the first
     * allowed group when groups are allowed, {@code 0711} when other uids are (then {@code SO_PEERCRED} is the guard).
     */
    private void prepareDirectory(final Path dir) throws IOException {
        Files.createDirectories(dir);
        final String mode = allow.othersAllowed() ? "rwx--x--x" : allow.groupsAllowed() ? "rwx--x---" : "rwx------";
        if (allow.groupsAllowed()) {
            Files.getFileAttributeView(dir, PosixFileAttributeView.class).setGroup(allow.firstGroup());
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
    }

    /** Starts the control thread. */
    public void start() {
        thread.start();
    }

    /** The socket's path. */
    public Path socketPath() {
        return socketPath;
    }

    private void run() {
        nextTickMs = System.currentTimeMillis();
        while (running) {
            try {
                final long now = System.currentTimeMillis();
                if (now >= nextTickMs) {
                    tick(now);
                    nextTickMs = now + config.heartbeatMs();
                }
                selector.select(Math.max(1, nextTickMs - System.currentTimeMillis()));
                drainCompletions();
                for (final SelectionKey key : selector.selectedKeys()) {
                    handle(key);
                }
                selector.selectedKeys().clear();
            } catch (final IOException | RuntimeException e) {
                // one bad event must not stop the channel for everyone; the connection involved is closed in handle
                log.error("control loop error (continuing): {}", e.toString(), e);
            }
        }
        for (final ClientConnection c : new ArrayList<>(clients.values())) {
            close(c, "server stopping");
        }
    }

    private void tick(final long now) {
        counters.file().heartbeat(now);
        engine.sampleInto(counters);
        for (final ClientConnection c : new ArrayList<>(clients.values())) {
            if (c.partialSinceMs != 0 && now - c.partialSinceMs > config.frameTimeoutMs()) {
                protocolClose(
                        c,
                        new ProtocolException("frame not completed within frame.timeout.ms=" + config.frameTimeoutMs()
                                + ": bytes=" + c.in.position() + ", declaredLength=" + c.pendingLength()));
            }
        }
    }

    private void handle(final SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        if (key.isAcceptable()) {
            accept();
            return;
        }
        final ClientConnection c = (ClientConnection) key.attachment();
        try {
            if (key.isReadable()) {
                read(c);
            }
            if (key.isValid() && key.isWritable()) {
                flush(c);
            }
        } catch (final IOException e) {
            close(c, "i/o error: " + e.getMessage());
        }
    }

    private void accept() {
        final SocketChannel ch;
        try {
            ch = listener.accept();
            if (ch == null) {
                return;
            }
            ch.configureBlocking(false);
        } catch (final IOException e) {
            log.warn("accept failed: {}", e.toString());
            return;
        }
        final UnixDomainPrincipal peer;
        try {
            peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
        } catch (final IOException | UnsupportedOperationException e) {
            refuse(ch, ErrorCode.NOT_AUTHORISED, "cannot read the peer's credentials (SO_PEERCRED): " + e, "unknown");
            return;
        }
        final String who =
                "user=" + peer.user().getName() + ", group=" + peer.group().getName();
        if (!allow.allows(peer)) {
            refuse(
                    ch,
                    ErrorCode.NOT_AUTHORISED,
                    "not authorised: " + who + "; allow it with allow.uids or allow.gids in the node's config",
                    who);
            return;
        }
        final String user = peer.user().getName();
        final int fromUser = perUser.getOrDefault(user, 0);
        if (clients.size() >= config.maxConnections() || fromUser >= config.maxConnectionsPerUid()) {
            refuse(
                    ch,
                    ErrorCode.QUOTA,
                    "too many connections: total=" + clients.size() + " (quota.connections="
                            + config.maxConnections() + "), " + who + " has " + fromUser
                            + " (quota.connections.per.uid="
                            + config.maxConnectionsPerUid() + ")",
                    who);
            return;
        }
        final ClientConnection c = new ClientConnection(clientIds.getAsInt(), ch, peer, System.currentTimeMillis());
        try {
            c.key = ch.register(selector, SelectionKey.OP_READ, c);
        } catch (final IOException e) {
            closeQuietly(ch);
            return;
        }
        clients.put(c.id, c);
        perUser.merge(user, 1, Integer::sum);
        log.info("client {} connected: {}", c.id, who);
    }

    private void refuse(final SocketChannel ch, final ErrorCode code, final String message, final String who) {
        counters.get(NodeCounter.CONNECTIONS_REFUSED).increment();
        log.warn("connection refused ({}): {}", code, message);
        try {
            ch.write(writer.error(0, code, message));
        } catch (final IOException ignored) {
            // best effort: the peer may be gone already
        }
        closeQuietly(ch);
        log.debug("refused peer: {}", who);
    }

    private static void closeQuietly(final SocketChannel ch) {
        try {
            ch.close();
        } catch (final IOException ignored) {
            // nothing more to release
        }
    }

    private void read(final ClientConnection c) throws IOException {
        for (int reads = 0; reads < READS_PER_WAKEUP && !c.closing && c.channel.isOpen(); reads++) {
            if (!c.in.hasRemaining()) {
                // frames() leaves room for the rest of any frame it has not handled, so this is a broken invariant
                protocolClose(c, new ProtocolException("receive buffer full: bytes=" + c.in.position()));
                return;
            }
            final int n = c.channel.read(c.in);
            if (n < 0) {
                if (c.in.position() > 0) {
                    protocolClose(
                            c,
                            new ProtocolException(
                                    "truncated frame: the client closed after " + c.in.position() + " bytes of a frame"
                                            + (c.pendingLength() >= 0 ? " of " + c.pendingLength() : "")));
                } else {
                    close(c, "closed by the client");
                }
                return;
            }
            if (n == 0) {
                return;
            }
            try {
                frames(c);
            } catch (final ProtocolException e) {
                protocolClose(c, e);
                return;
            }
        }
    }

    /** Handles every whole frame at the start of the connection's buffer. */
    private void frames(final ClientConnection c) {
        while (!c.closing && c.in.position() >= Integer.BYTES) {
            final int length = c.pendingLength();
            FrameHeaderFlyweight.checkLength(length, config.maxFrameBytes());
            if (c.in.position() < length) {
                c.ensureCapacity(length);
                break;
            }
            view.wrap(c.in.array(), 0, length);
            header.wrap(view, 0, length, config.maxFrameBytes());
            if (!ControlProtocol.isRequest(header.type())) {
                throw new ProtocolException("not a request type: type=" + header.type() + " ("
                        + ControlProtocol.typeName(header.type()) + ")");
            }
            final ControlRequest request = ControlRequest.decode(view, header, body);
            counters.get(NodeCounter.REQUESTS).increment();
            dispatch(c, request);
            c.in.flip().position(length);
            c.in.compact();
        }
        c.partialSinceMs =
                c.in.position() == 0 ? 0 : c.partialSinceMs != 0 ? c.partialSinceMs : System.currentTimeMillis();
    }

    private void dispatch(final ClientConnection c, final ControlRequest request) {
        if (request instanceof ControlRequest.Hello hello) {
            hello(c, hello);
            return;
        }
        if (!c.helloDone()) {
            throw new ProtocolException(
                    "request before HELLO: " + request.getClass().getSimpleName());
        }
        final long corr = request.correlationId();
        if (request instanceof ControlRequest.Ping ping) {
            send(
                    c,
                    writer.begin(ControlProtocol.replyType(ControlProtocol.PING), corr)
                            .putLong(ping.payload())
                            .finish());
        } else if (request instanceof ControlRequest.Stat) {
            stat(c, corr);
        } else if (request instanceof ControlRequest.ListClients) {
            listClients(c, corr);
        } else if (request instanceof ControlRequest.KillClient kill) {
            kill(c, corr, kill.clientId());
        } else if (request instanceof ControlRequest.ListDatabases) {
            toEngine(c, corr, ControlProtocol.LIST_DATABASES, engine::listDatabases);
        } else if (request instanceof ControlRequest.OpenDatabase open) {
            toEngine(c, corr, ControlProtocol.OPEN_DATABASE, () -> engine.openDatabase(open.path()));
        } else if (request instanceof ControlRequest.CreateDatabase create) {
            toEngine(
                    c,
                    corr,
                    ControlProtocol.CREATE_DATABASE,
                    () -> engine.createDatabase(create.path(), create.extentBytes()));
        } else {
            throw new ProtocolException("unhandled request: " + request);
        }
    }

    private void hello(final ClientConnection c, final ControlRequest.Hello hello) {
        final long corr = hello.correlationId();
        if (c.helloDone()) {
            throw new ProtocolException("second HELLO on one connection");
        }
        if (hello.version() != ControlProtocol.VERSION) {
            errorAndClose(
                    c,
                    corr,
                    ErrorCode.PROTOCOL,
                    "protocol version mismatch: client=" + hello.version() + ", server=" + ControlProtocol.VERSION);
            return;
        }
        if (hello.mode() < 0 || hello.mode() >= ControlProtocol.MODE_COUNT) {
            errorAndClose(c, corr, ErrorCode.BAD_ARGUMENT, "unknown mode in HELLO: mode=" + hello.mode());
            return;
        }
        if (hello.pid() <= 0) {
            errorAndClose(c, corr, ErrorCode.BAD_ARGUMENT, "bad pid in HELLO: pid=" + hello.pid());
            return;
        }
        if (!allow.matches(c.peer, hello.uid(), hello.gid())) {
            errorAndClose(
                    c,
                    corr,
                    ErrorCode.NOT_AUTHORISED,
                    "HELLO declares uid=" + hello.uid() + ", gid="
                            + hello.gid() + " but the socket's peer is user="
                            + c.peer.user().getName() + ", group="
                            + c.peer.group().getName());
            return;
        }
        c.mode = hello.mode();
        c.pid = hello.pid();
        c.uid = hello.uid();
        c.gid = hello.gid();
        counters.clients(c.mode).increment();
        log.info("{}: HELLO", c);
        send(
                c,
                writer.begin(ControlProtocol.replyType(ControlProtocol.HELLO), corr)
                        .putInt(ControlProtocol.VERSION)
                        .putInt(c.id)
                        .putLong(ProcessHandle.current().pid())
                        .putLong(nodeId)
                        .finish());
    }

    private void stat(final ClientConnection c, final long corr) {
        final List<CounterValue> values = counters.file().read();
        final FrameWriter w = writer.begin(ControlProtocol.replyType(ControlProtocol.STAT), corr)
                .putInt(values.size());
        for (final CounterValue v : values) {
            w.putInt(v.id()).putInt(v.typeId()).putLong(v.value()).putString(v.label());
        }
        send(c, w.finish());
    }

    private void listClients(final ClientConnection c, final long corr) {
        final List<ClientInfo> all = new ArrayList<>();
        for (final ClientConnection o : clients.values()) {
            all.add(new ClientInfo(o.id, o.uid, o.gid, o.pid, o.mode, o.connectedSinceMs, o.outstanding, 0, 0, 0));
        }
        for (final org.bess.server.remote.SessionEndpoint.ClientView v : engine.sessionClients()) {
            // session modes are 0 shared memory, 1 copy-on-access; the control protocol's are 1 and 2
            all.add(new ClientInfo(
                    (int) v.id(),
                    v.uid(),
                    v.gid(),
                    v.pid(),
                    v.mode() < 0 ? -1 : v.mode() + 1,
                    v.connectedSinceMs(),
                    v.inRequest(),
                    1,
                    v.transactions(),
                    v.locks()));
        }
        final FrameWriter w = writer.begin(ControlProtocol.replyType(ControlProtocol.LIST_CLIENTS), corr)
                .putInt(all.size());
        for (final ClientInfo i : all) {
            w.putInt(i.id())
                    .putInt(i.uid())
                    .putInt(i.gid())
                    .putLong(i.pid())
                    .putInt(i.mode())
                    .putLong(i.connectedSinceMs())
                    .putInt(i.outstanding())
                    .putInt(i.session())
                    .putInt(i.transactions())
                    .putInt(i.locks());
        }
        send(c, w.finish());
    }

    private void kill(final ClientConnection c, final long corr, final int clientId) {
        final ClientConnection target = clients.get(clientId);
        if (target == null) {
            if (engine.disconnectSession(clientId)) {
                log.info("{} disconnects session client {} (KILL_CLIENT)", c, clientId);
                send(
                        c,
                        writer.begin(ControlProtocol.replyType(ControlProtocol.KILL_CLIENT), corr)
                                .finish());
                return;
            }
            sendError(c, corr, ErrorCode.NAME, "no client with id " + clientId);
            return;
        }
        send(
                c,
                writer.begin(ControlProtocol.replyType(ControlProtocol.KILL_CLIENT), corr)
                        .finish());
        log.info("{} disconnects {} (KILL_CLIENT)", c, target);
        if (target == c) {
            c.closing = true; // after its reply is written
            if (c.out.isEmpty()) {
                close(c, "killed by itself");
            }
        } else {
            close(target, "killed by client " + c.id);
        }
    }

    private void toEngine(final ClientConnection c, final long corr, final int type, final Callable<?> task) {
        if (c.outstanding >= config.maxOutstandingRequests()) {
            sendError(
                    c,
                    corr,
                    ErrorCode.QUOTA,
                    "too many requests in progress: " + c.outstanding + " (quota.outstanding.requests="
                            + config.maxOutstandingRequests() + ")");
            return;
        }
        c.outstanding++;
        final boolean queued = engine.submit(task, outcome -> {
            completions.add(new Completion(c, corr, type, outcome));
            selector.wakeup();
        });
        if (!queued) {
            c.outstanding--;
            sendError(c, corr, ErrorCode.ILLEGAL_STATE, "the node server is stopping");
        }
    }

    private void drainCompletions() {
        Completion done;
        while ((done = completions.poll()) != null) {
            final ClientConnection c = done.conn();
            c.outstanding--;
            if (!c.channel.isOpen()) {
                continue;
            }
            final RuntimeException failure = done.outcome().failure();
            if (failure != null) {
                final ErrorCode code = failure instanceof BessException b ? b.errorCode() : ErrorCode.GENERIC;
                final String message = failure instanceof BessException ? failure.getMessage() : failure.toString();
                sendError(c, done.correlationId(), code, message == null ? failure.toString() : message);
                continue;
            }
            final FrameWriter w = writer.begin(ControlProtocol.replyType(done.type()), done.correlationId());
            final Object value = done.outcome().value();
            if (value instanceof DatabaseInfo db) {
                putDatabase(w, db);
            } else if (value instanceof List<?> list) {
                w.putInt(list.size());
                for (final Object o : list) {
                    putDatabase(w, (DatabaseInfo) o);
                }
            }
            send(c, w.finish());
        }
    }

    private static void putDatabase(final FrameWriter w, final DatabaseInfo db) {
        w.putLong(db.id()).putString(db.path()).putInt(db.areas()).putInt(db.open() ? 1 : 0);
    }

    private void sendError(final ClientConnection c, final long corr, final ErrorCode code, final String message) {
        send(c, writer.error(corr, code, message));
    }

    private void errorAndClose(final ClientConnection c, final long corr, final ErrorCode code, final String message) {
        log.warn("{}: {} ({}), closing", c, message, code);
        sendError(c, corr, code, message);
        c.closing = true;
        flushQuietly(c);
        if (c.channel.isOpen()) {
            close(c, "refused in HELLO");
        }
    }

    private void send(final ClientConnection c, final ByteBuffer frame) {
        c.out.add(frame);
        c.queuedBytes += frame.remaining();
        if (c.queuedBytes > MAX_QUEUED_REPLY_BYTES) {
            close(c, "not reading its replies: queued=" + c.queuedBytes + " bytes");
            return;
        }
        flushQuietly(c);
    }

    private void flushQuietly(final ClientConnection c) {
        try {
            flush(c);
        } catch (final IOException e) {
            close(c, "i/o error: " + e.getMessage());
        }
    }

    private void flush(final ClientConnection c) throws IOException {
        while (!c.out.isEmpty()) {
            final ByteBuffer head = c.out.peek();
            final int n = c.channel.write(head);
            c.queuedBytes -= n;
            if (head.hasRemaining()) {
                c.key.interestOps(c.key.interestOps() | SelectionKey.OP_WRITE);
                return;
            }
            c.out.poll();
        }
        if (c.key.isValid()) {
            c.key.interestOps(c.key.interestOps() & ~SelectionKey.OP_WRITE);
        }
        if (c.closing && c.channel.isOpen()) {
            close(c, "closing after its last reply");
        }
    }

    private void protocolClose(final ClientConnection c, final ProtocolException e) {
        counters.get(NodeCounter.PROTOCOL_ERRORS).increment();
        log.warn("{}: protocol error, closing the connection: {}", c, e.getMessage());
        c.out.clear();
        try {
            c.channel.write(writer.error(0, ErrorCode.PROTOCOL, e.getMessage()));
        } catch (final IOException ignored) {
            // best effort: the connection is going anyway
        }
        close(c, "protocol error");
    }

    private void close(final ClientConnection c, final String why) {
        c.closing = true; // stops the frame loop of a connection closed from inside it
        if (clients.remove(c.id) == null) {
            return;
        }
        if (c.key != null) {
            c.key.cancel();
        }
        closeQuietly(c.channel);
        perUser.computeIfPresent(c.peer.user().getName(), (u, n) -> n > 1 ? n - 1 : null);
        if (c.helloDone()) {
            counters.clients(c.mode).decrement();
        }
        log.info("{} disconnected: {}", c, why);
    }

    /** Stops accepting, closes every connection, stops the thread, removes the socket. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        if (thread.isAlive()) {
            try {
                thread.join(10_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            listener.close();
            selector.close();
            Files.deleteIfExists(socketPath);
        } catch (final IOException e) {
            log.warn("closing the control socket: {}", e.toString());
        }
    }
}
