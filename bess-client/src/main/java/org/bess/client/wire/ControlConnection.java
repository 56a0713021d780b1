package org.bess.client.wire;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.NotAuthorisedException;
import org.bess.exceptions.ProtocolException;

/**
 * A blocking client of a node server's control socket: connects, says {@code HELLO}, then sends one request at a time
 * and waits (bounded by the timeout) for its reply. An {@code ERROR} reply becomes a {@link BessException} with the
 * server's code and message; the server closing the socket becomes {@code SERVER_LOST}.
 *
 * <p>Thread safe: requests are serialised.
 */
public final class ControlConnection implements AutoCloseable {
    /** The socket's directory inside the node directory (searchable only by allowed users). */
    public static final String SOCKET_DIR = "control";
    /** The socket's file name. */
    public static final String SOCKET_NAME = "bess.sock";
    /** Default wait for a reply. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final int MAX_PATH_BYTES = 4096;
    private static final int MAX_LABEL_BYTES = 1024;

    private final Path socket;
    private final SocketChannel channel;
    private final Selector selector;
    private final long timeoutMs;
    private final FrameWriter writer = new FrameWriter();
    private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
    private final BodyReader body = new BodyReader();
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    private ByteBuffer in = ByteBuffer.allocate(4096);
    private long nextCorrelationId = 1;
    private HelloReply hello;

    private ControlConnection(final Path socket, final SocketChannel channel, final Duration timeout)
            throws IOException {
        this.socket = socket;
        this.channel = channel;
        this.timeoutMs = Math.max(1, timeout.toMillis());
        channel.configureBlocking(false);
        this.selector = Selector.open();
    }

    /** The control socket of a node directory. */
    public static Path socketPath(final Path nodeDir) {
        return nodeDir.resolve(SOCKET_DIR).resolve(SOCKET_NAME);
    }

    /**
     * Connects to the node server of {@code nodeDir} and says {@code HELLO}.
     *
     * @param nodeDir the node directory.
     * @param mode {@code ControlProtocol.MODE_*}.
     * @return the connection, after the server accepted it.
     * @throws BessException {@code SERVER_LOST} when no server listens, {@code NOT_AUTHORISED} when refused.
     */
    public static ControlConnection open(final Path nodeDir, final int mode) {
        return openSocket(socketPath(nodeDir), mode, DEFAULT_TIMEOUT);
    }

    /**
     * Connects to a control socket and says {@code HELLO}.
     *
     * @param socket the socket's path.
     * @param mode {@code ControlProtocol.MODE_*}.
     * @param timeout the longest wait for any reply.
     * @return the connection, after the server accepted it.
     */
    public static ControlConnection openSocket(final Path socket, final int mode, final Duration timeout) {
        final SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot open a unix domain socket: " + e.getMessage(), e);
        }
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (final IOException e) {
            closeQuietly(channel);
            throw new BessException(
                    ErrorCode.SERVER_LOST,
                    "cannot connect to the node server: socket=" + socket + ": " + e.getMessage()
                            + " (is the server running, and may this user search " + socket.getParent() + "?)",
                    e);
        }
        final ControlConnection c;
        try {
            c = new ControlConnection(socket, channel, timeout);
        } catch (final IOException e) {
            closeQuietly(channel);
            throw new BessException(ErrorCode.IO, "cannot set up the control connection: " + e.getMessage(), e);
        }
        try {
            c.hello = c.sayHello(mode);
        } catch (final RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    private static void closeQuietly(final SocketChannel channel) {
        try {
            channel.close();
        } catch (final IOException ignored) {
            // nothing more to release
        }
    }

    /** The server's answer to this connection's {@code HELLO}. */
    public HelloReply hello() {
        return hello;
    }

    private HelloReply sayHello(final int mode) {
        final long pid = ProcessHandle.current().pid();
        final int uid = procSelfAttribute("unix:uid");
        final int gid = procSelfAttribute("unix:gid");
        final BodyReader r = call(ControlProtocol.HELLO, w -> w.putInt(ControlProtocol.VERSION)
                .putInt(mode)
                .putLong(pid)
                .putInt(uid)
                .putInt(gid));
        final HelloReply reply =
                new HelloReply(r.getInt("version"), r.getInt("clientId"), r.getLong("serverPid"), r.getLong("nodeId"));
        r.end("HELLO_REPLY");
        return reply;
    }

    /**
     * This process's effective uid or gid: the owner of {@code /proc/self} (the server checks the same ids with
     * {@code SO_PEERCRED}).
     *
     * @param attribute {@code unix:uid} or {@code unix:gid}.
     * @return the id.
     */
    public static int procSelfAttribute(final String attribute) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), attribute);
        } catch (final IOException | UnsupportedOperationException e) {
            throw new BessException(ErrorCode.IO, "cannot read this process's " + attribute + " from /proc/self", e);
        }
    }

    /**
     * Round trip: the server echoes {@code payload}.
     *
     * @return the echoed payload.
     */
    public synchronized long ping(final long payload) {
        final BodyReader r = call(ControlProtocol.PING, w -> w.putLong(payload));
        final long echoed = r.getLong("payload");
        r.end("PING_REPLY");
        return echoed;
    }

    /** The server's live counters. */
    public synchronized List<CounterValue> stat() {
        final BodyReader r = call(ControlProtocol.STAT, w -> w);
        final int n = r.getCount("count", 20);
        final List<CounterValue> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new CounterValue(
                    r.getInt("id"), r.getInt("typeId"), r.getLong("value"), r.getString("label", MAX_LABEL_BYTES)));
        }
        r.end("STAT_REPLY");
        return out;
    }

    /** The connected clients (this one included). */
    public synchronized List<ClientInfo> listClients() {
        final BodyReader r = call(ControlProtocol.LIST_CLIENTS, w -> w);
        final int n = r.getCount("count", 48);
        final List<ClientInfo> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new ClientInfo(
                    r.getInt("id"),
                    r.getInt("uid"),
                    r.getInt("gid"),
                    r.getLong("pid"),
                    r.getInt("mode"),
                    r.getLong("connectedSinceMs"),
                    r.getInt("outstanding"),
                    r.getInt("session"),
                    r.getInt("transactions"),
                    r.getInt("locks")));
        }
        r.end("LIST_CLIENTS_REPLY");
        return out;
    }

    /**
     * Disconnects a client (the server cleans up after it).
     *
     * @param clientId its id from {@link #listClients()}.
     * @throws BessException {@code NAME} when no client has that id.
     */
    public synchronized void killClient(final int clientId) {
        call(ControlProtocol.KILL_CLIENT, w -> w.putInt(clientId)).end("KILL_CLIENT_REPLY");
    }

    /** The databases of the node catalog. */
    public synchronized List<DatabaseInfo> listDatabases() {
        final BodyReader r = call(ControlProtocol.LIST_DATABASES, w -> w);
        final int n = r.getCount("count", 20);
        final List<DatabaseInfo> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(readDatabase(r));
        }
        r.end("LIST_DATABASES_REPLY");
        return out;
    }

    /** Opens a database in the server (and adds it to the node catalog). */
    public synchronized DatabaseInfo openDatabase(final Path rootAreaPath) {
        final BodyReader r = call(
                ControlProtocol.OPEN_DATABASE,
                w -> w.putString(rootAreaPath.toAbsolutePath().normalize().toString()));
        final DatabaseInfo db = readDatabase(r);
        r.end("OPEN_DATABASE_REPLY");
        return db;
    }

    /** Creates a database in the server (and adds it to the node catalog). */
    public synchronized DatabaseInfo createDatabase(final Path rootAreaPath, final long extentBytes) {
        final BodyReader r = call(ControlProtocol.CREATE_DATABASE, w -> w.putLong(extentBytes)
                .putString(rootAreaPath.toAbsolutePath().normalize().toString()));
        final DatabaseInfo db = readDatabase(r);
        r.end("CREATE_DATABASE_REPLY");
        return db;
    }

    private static DatabaseInfo readDatabase(final BodyReader r) {
        final long id = r.getLong("id");
        final String path = r.getString("path", MAX_PATH_BYTES);
        final int areas = r.getInt("areas");
        final int open = r.getInt("open");
        return new DatabaseInfo(id, path, areas, open != 0);
    }

    /** Fills a request body. */
    @FunctionalInterface
    private interface Body {
        FrameWriter write(FrameWriter w);
    }

    private synchronized BodyReader call(final int type, final Body fill) {
        final long correlationId = nextCorrelationId++;
        try {
            send(fill.write(writer.begin(type, correlationId)).finish());
        } catch (final BessException e) {
            // a server that refuses a connection writes one ERROR (correlation id 0) and closes: report that error
            refusal(e);
            throw e;
        }
        final int length = receive(type);
        view.wrap(in.array(), 0, length);
        header.wrap(view, 0, length, ControlProtocol.MAX_FRAME_LENGTH);
        if (header.type() == ControlProtocol.ERROR && header.correlationId() == 0) {
            body.wrap(view, header);
            throw remoteError(ErrorCode.fromCode(body.getInt("code")), body.getString("message", 1 << 16));
        }
        if (header.correlationId() != correlationId) {
            throw new ProtocolException("reply to another request: expected correlationId=" + correlationId + ", got="
                    + header.correlationId());
        }
        body.wrap(view, header);
        if (header.type() == ControlProtocol.ERROR) {
            final int code = body.getInt("code");
            final String message = body.getString("message", 1 << 16);
            throw remoteError(ErrorCode.fromCode(code), message);
        }
        if (header.type() != ControlProtocol.replyType(type)) {
            throw new ProtocolException("unexpected reply: request=" + ControlProtocol.typeName(type) + ", reply="
                    + ControlProtocol.typeName(header.type()));
        }
        return body;
    }

    /** After a failed send: throws the server's connection-level ERROR if one is waiting, else returns. */
    private void refusal(final BessException sendFailure) {
        try {
            final int length = receive(ControlProtocol.HELLO);
            view.wrap(in.array(), 0, length);
            header.wrap(view, 0, length, ControlProtocol.MAX_FRAME_LENGTH);
            if (header.type() == ControlProtocol.ERROR) {
                body.wrap(view, header);
                final BessException e =
                        remoteError(ErrorCode.fromCode(body.getInt("code")), body.getString("message", 1 << 16));
                e.addSuppressed(sendFailure);
                throw e;
            }
        } catch (final ProtocolException ignored) {
            // nothing usable was waiting: report the send failure
        } catch (final BessException e) {
            if (e.errorCode() != ErrorCode.SERVER_LOST) {
                throw e;
            }
        }
    }

    private static BessException remoteError(final ErrorCode code, final String message) {
        return switch (code) {
            case NOT_AUTHORISED -> new NotAuthorisedException(message);
            case PROTOCOL -> new ProtocolException(message);
            default -> new BessException(code, message);
        };
    }

    private void send(final ByteBuffer frame) {
        try {
            final long deadline = System.currentTimeMillis() + timeoutMs;
            while (frame.hasRemaining()) {
                if (channel.write(frame) == 0) {
                    await(SelectionKey.OP_WRITE, deadline, "sending a request");
                }
            }
        } catch (final IOException e) {
            throw lost("sending a request", e);
        }
    }

    /** Reads one whole frame into {@code in} from position 0; returns its length. */
    private int receive(final int requestType) {
        final String what = "waiting for the reply to " + ControlProtocol.typeName(requestType);
        final long deadline = System.currentTimeMillis() + timeoutMs;
        try {
            in.clear().limit(Integer.BYTES);
            fill(deadline, what);
            final int length = in.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            FrameHeaderFlyweight.checkLength(length, ControlProtocol.MAX_FRAME_LENGTH);
            if (length > in.capacity()) {
                final ByteBuffer bigger = ByteBuffer.allocate(length);
                bigger.put(in.flip());
                in = bigger;
            }
            in.limit(length);
            fill(deadline, what);
            return length;
        } catch (final IOException e) {
            throw lost(what, e);
        }
    }

    private void fill(final long deadline, final String what) throws IOException {
        while (in.hasRemaining()) {
            final int n = channel.read(in);
            if (n < 0) {
                throw lost(what, null);
            }
            if (n == 0) {
                await(SelectionKey.OP_READ, deadline, what);
            }
        }
    }

    private void await(final int op, final long deadline, final String what) throws IOException {
        final long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
            throw new BessException(
                    ErrorCode.SERVER_LOST,
                    "no answer from the node server within " + timeoutMs + " ms: socket=" + socket + ", " + what);
        }
        final SelectionKey key = channel.register(selector, op);
        try {
            selector.select(left);
        } finally {
            key.interestOps(0);
            selector.selectedKeys().clear();
        }
    }

    private BessException lost(final String what, final IOException cause) {
        final String why = cause == null ? "the server closed the connection" : cause.getMessage();
        return new BessException(
                ErrorCode.SERVER_LOST,
                "connection to the node server lost: socket=" + socket + ", " + what + ": " + why,
                cause);
    }

    @Override
    public synchronized void close() {
        try {
            selector.close();
        } catch (final IOException ignored) {
            // closing the channel below is what matters
        }
        closeQuietly(channel);
    }
}
