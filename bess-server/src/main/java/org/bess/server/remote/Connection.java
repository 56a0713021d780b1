package org.bess.server.remote;

import static org.bess.client.remote.Wire.getBytes;
import static org.bess.client.remote.Wire.getString;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.bess.client.AreaInfo;
import org.bess.client.BessFile;
import org.bess.client.CompactionReport;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.FileInfo;
import org.bess.client.LargeObject;
import org.bess.client.LargeObjectInfo;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.frame.FrameFaultHandler;
import org.bess.client.remote.Wire;
import org.bess.exceptions.BessException;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.LockTimeoutException;
import org.bess.nativeshim.Native;
import org.bess.server.SessionAccess;
import org.bess.server.lock.LockManager;
import org.bess.server.lock.SharedLockTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: a session of the engine, the handles the client names its objects by, and the cache frames
 * the client mapped. Served by its own thread; a malformed, oversized or truncated frame closes the connection, and
 * closing (for any reason) rolls the session's transaction back, drops the client's frame mappings and closes the
 * session.
 *
 * <p>Liveness: any frame from the client (a request or a {@link Wire#HEARTBEAT}) counts as hearing from it; the
 * endpoint's watchdog calls {@link #expireIfSilent} and a connection idle (waiting for a frame) and silent for the
 * expiry timeout is expired: an expiry notice, then the same close and clean-up as for a dead client.
 */
final class Connection implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    /** This process's user: the owner of the node's shm files. */
    private static final int SERVER_UID = org.bess.client.wire.ControlConnection.procSelfAttribute("unix:uid");

    private final SessionEndpoint endpoint;
    private final SocketChannel channel;
    private final long id;
    private final ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer page = ByteBuffer.allocate(PAGE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    private final Wire out = new Wire();
    private ByteBuffer in = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
    private final Map<Integer, Object> handles = new HashMap<>();
    private final Map<Database, Integer> dbHandles = new IdentityHashMap<>();
    private final List<Integer> txHandles = new ArrayList<>();
    private final Map<Integer, Integer> mapped = new HashMap<>();
    private volatile int mappedTotal;
    private int nextHandle = 1;
    private Session session;
    private FrameFaultHandler faults;
    private Transaction tx;
    private long protections;
    private String peer = "?";
    private UnixDomainPrincipal principal;
    private Thread thread;
    private boolean authorised;
    /** Shared-memory mode: the client maps the cache and may take page locks by the fast path. */
    private boolean sharedMemory;
    /** This client's lock-log slot in the shared lock table, or -1. */
    private int lockLog = -1;
    /**
     * Per client slot of the recovery buffer (images the client makes at a first write by the lock fast path), whether
     * the open transaction's slot was adopted or refused already; empty when the client makes none.
     */
    private volatile boolean[] clientImages = new boolean[0];

    // what HELLO declared (read by listings on other threads)
    private volatile int uid = -1;
    private volatile int gid = -1;
    private volatile long pid;
    private volatile int mode = -1;
    private final long connectedSinceMs = System.currentTimeMillis();
    private volatile boolean txOpen;
    private boolean txCounted;
    /** Pages the open transaction wrote in place (first-write faults), as (window << 48) ^ page. */
    private final Set<Long> written = new HashSet<>();

    private volatile int writtenCount;
    /** A request frame over the frame quota was dropped: its length (0 when none). */
    private int dropped;

    private boolean closeAfterReply;

    // liveness, guarded by stateLock
    private final Object stateLock = new Object();
    private boolean inRequest;
    private boolean expired;
    private volatile long lastHeardNanos = System.nanoTime();

    Connection(final SessionEndpoint endpoint, final SocketChannel channel, final long id) {
        this.endpoint = endpoint;
        this.channel = channel;
        this.id = id;
    }

    /** This client as listings show it. */
    SessionEndpoint.ClientView view() {
        int locks = 0;
        final Session s = session;
        if (s != null && txOpen) {
            try {
                locks = SessionAccess.locksHeld(s);
            } catch (final RuntimeException e) {
                locks = -1; // the transaction ended while we looked
            }
        }
        final boolean busy;
        synchronized (stateLock) {
            busy = inRequest;
        }
        return new SessionEndpoint.ClientView(
                id, uid, gid, pid, mode, connectedSinceMs, busy ? 1 : 0, txOpen ? 1 : 0, locks);
    }

    /**
     * Expires this client when it is idle (the server waits for its next frame) and nothing came from it for {@code
     * expiryNanos}: logs it, kills a shared-memory client that has pages open for writing (see {@link
     * SessionSettings#fenceExpiredWriters}), sends the expiry notice and closes the connection; its thread then cleans
     * it up like a dead client's. Watchdog thread.
     *
     * @return whether it expired now.
     */
    boolean expireIfSilent(final long nowNanos, final long expiryNanos) {
        final long silentNanos;
        synchronized (stateLock) {
            silentNanos = nowNanos - lastHeardNanos;
            if (inRequest || expired || silentNanos < expiryNanos || !channel.isOpen()) {
                return false;
            }
            expired = true;
        }
        final long silentMs = TimeUnit.NANOSECONDS.toMillis(silentNanos);
        final String notice = "session expired: the server heard nothing from this client (pid=" + pid + ") for "
                + silentMs + " ms (heartbeat timeout " + endpoint.settings().expiryMs() + " ms); its transaction was"
                + " rolled back and its locks released";
        LOG.warn(
                "client {} ({}, pid={}, mode={}) expired: no heartbeat or request for {} ms (timeout {} ms); cleaning"
                        + " it up like a dead client",
                id,
                peer,
                pid,
                mode,
                silentMs,
                endpoint.settings().expiryMs());
        if (mode == 0
                && (writtenCount > 0 || wroteWithoutRequest())
                && endpoint.settings().fenceExpiredWriters()) {
            fence();
        }
        try {
            final Wire w = new Wire();
            w.reset().putLong(Wire.EXPIRY_CORRELATION).putInt(ErrorCode.SERVER_LOST.code());
            w.putInt(0).putInt(0).putString(notice);
            send(w.frame());
        } catch (final IOException e) {
            LOG.debug("client {}: the expiry notice was not delivered: {}", id, e.toString());
        }
        closeChannel();
        return true;
    }

    /**
     * Whether the open transaction made a frame writable by the first-write fast path: a client slot it sealed (adopted
     * already, or still pending). Read by the watchdog while the connection is idle (its thread is not in a request).
     */
    private boolean wroteWithoutRequest() {
        for (final boolean b : clientImages) {
            if (b) {
                return true;
            }
        }
        final Session s = session;
        return s != null && clientImages.length > 0 && SessionAccess.clientImagesPending(s, clientImages);
    }

    /**
     * Kills the expired shared-memory client's process: it may still write through cache frames mapped writable, and
     * its pages are about to be rolled back and given to others. Only a process of the client's own uid, never this
     * one.
     */
    private void fence() {
        final long p = pid;
        if (p <= 0 || p == Native.pid()) {
            LOG.warn("client {}: cannot fence pid {} (not a separate process); it keeps its mappings", id, p);
            return;
        }
        try {
            final Object owner = Files.getAttribute(Path.of("/proc/" + p), "unix:uid");
            if (!(owner instanceof Integer o) || o != uid) {
                LOG.warn("client {}: pid {} is not a process of uid {}; not fenced", id, p, uid);
                return;
            }
        } catch (final IOException | RuntimeException e) {
            LOG.warn("client {}: pid {} is gone or unreadable ({}); not fenced", id, p, e.toString());
            return;
        }
        final boolean killed =
                ProcessHandle.of(p).map(ProcessHandle::destroyForcibly).orElse(false);
        LOG.warn(
                "client {}: fenced: pid {} {} (a hung shared-memory client with pages open for writing)",
                id,
                p,
                killed ? "sent SIGKILL" : "could not be signalled");
    }

    private boolean startRequest() {
        synchronized (stateLock) {
            if (expired) {
                return false;
            }
            inRequest = true;
            return true;
        }
    }

    private void endRequest() {
        synchronized (stateLock) {
            inRequest = false;
            lastHeardNanos = System.nanoTime();
        }
    }

    private String process() {
        return uid + ":" + pid;
    }

    long id() {
        return id;
    }

    int mappedFrames() {
        return mappedTotal;
    }

    void thread(final Thread t) {
        this.thread = t;
    }

    /**
     * Checks the peer's credentials. A refused connection is still served once: its first request gets an error reply
     * ({@code not authorised}), then it is closed.
     *
     * @return whether the peer is allowed.
     */
    boolean authenticate(final Predicate<UnixDomainPrincipal> allowed) {
        try {
            final UnixDomainPrincipal p = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
            principal = p;
            peer = p.user().getName() + "/" + p.group().getName();
            authorised = allowed.test(p);
            if (!authorised) {
                LOG.warn("session endpoint: refused peer {} (not allowed)", peer);
            }
        } catch (final IOException | RuntimeException e) {
            LOG.warn("session endpoint: cannot read the peer's credentials: {}", e.toString());
            authorised = false;
        }
        return authorised;
    }

    private void refuse() throws IOException {
        if (readFrame()) {
            final long corr = in.getLong();
            error(corr, new BessException(ErrorCode.ILLEGAL_STATE, "not authorised: peer=" + peer));
            send(out.frame());
        }
    }

    void disconnect() {
        closeChannel();
    }

    void join() {
        final Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(30_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (final IOException e) {
            LOG.debug("closing a client connection: {}", e.toString());
        }
    }

    @Override
    public void run() {
        try {
            if (!authorised) {
                refuse();
                return;
            }
            session = SessionAccess.openClientSession(endpoint.server());
            faults = (FrameFaultHandler) session;
            while (readFrame()) {
                final long corr = in.getLong();
                final int op = in.getInt();
                if (op == Wire.HEARTBEAT) {
                    continue; // heard from: readFrame noted the time
                }
                if (!startRequest()) {
                    break; // expired while the frame arrived
                }
                try {
                    if (dropped > 0) {
                        dropped(corr);
                    } else {
                        serve(corr, op);
                    }
                    send(out.frame());
                } finally {
                    endRequest();
                }
                if (closeAfterReply) {
                    break;
                }
            }
        } catch (final IOException e) {
            LOG.debug("client {} gone: {}", id, e.toString());
        } catch (final BufferUnderflowException | MalformedFrame e) {
            LOG.warn("client {} ({}) sent a malformed frame, closing its connection: {}", id, peer, e.toString());
        } catch (final RuntimeException e) {
            LOG.warn("client {} ({}): connection failed", id, peer, e);
        } finally {
            cleanUp();
        }
    }

    /** Reads one request into {@code in}; false at a clean end of stream before a frame. */
    private boolean readFrame() throws IOException {
        header.clear();
        if (!readFully(header, true)) {
            return false;
        }
        lastHeardNanos = System.nanoTime();
        final int length = header.getInt(0);
        if (length < Wire.REQUEST_HEADER || length > Wire.MAX_FRAME) {
            throw new MalformedFrame("bad frame length: " + length);
        }
        dropped = 0;
        if (length > endpoint.settings().maxFrameBytes()) {
            return dropOversized(length);
        }
        if (in.capacity() < length) {
            in = ByteBuffer.allocate(Math.max(length, in.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        }
        in.clear().limit(length);
        if (!readFully(in, false)) {
            throw new MalformedFrame("truncated frame: expected " + length + " bytes");
        }
        in.flip();
        return true;
    }

    /** Reads and drops a frame over the frame quota, keeping its correlation id and op for the QUOTA reply. */
    private boolean dropOversized(final int length) throws IOException {
        in.clear().limit(Wire.REQUEST_HEADER);
        if (!readFully(in, false)) {
            throw new MalformedFrame("truncated frame: expected " + length + " bytes");
        }
        final long corr = in.getLong(0);
        final int op = in.getInt(8);
        int left = length - Wire.REQUEST_HEADER;
        while (left > 0) {
            in.clear().limit(Math.min(left, in.capacity()));
            readFully(in, false);
            left -= in.position();
        }
        in.clear();
        in.putLong(corr).putInt(op).flip();
        dropped = length;
        return true;
    }

    private void dropped(final long corr) {
        LOG.warn(
                "client {} ({}): request frame of {} bytes over its quota of {} bytes dropped",
                id,
                peer,
                dropped,
                endpoint.settings().maxFrameBytes());
        error(
                corr,
                new BessException(
                        ErrorCode.QUOTA,
                        "request frame of " + dropped + " bytes exceeds this client's frame quota of "
                                + endpoint.settings().maxFrameBytes() + " bytes (quota.session.frame.bytes)"));
        dropped = 0;
        out.patchInt(16, txOpen ? Wire.FLAG_TXN_OPEN : 0);
        out.patchInt(20, SessionAccess.layoutStamp(session));
    }

    private boolean readFully(final ByteBuffer b, final boolean eofOk) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                if (eofOk && b.position() == 0) {
                    return false;
                }
                throw new MalformedFrame("truncated frame at end of stream");
            }
        }
        return true;
    }

    private void send(final ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    private void serve(final long corr, final int op) {
        out.reset().putLong(corr).putInt(Wire.OK).putInt(0).putInt(0);
        endpoint.served();
        try {
            if (clientImages.length > 0 && tx != null) {
                adoptClientImages(false);
            }
            dispatch(op);
        } catch (final BufferUnderflowException | MalformedFrame e) {
            throw e;
        } catch (final RuntimeException e) {
            error(corr, e);
        }
        int flags = 0;
        if (SessionAccess.inTransaction(session)) {
            flags |= Wire.FLAG_TXN_OPEN;
        } else if (tx != null || txCounted) {
            txEnded();
        }
        txOpen = (flags & Wire.FLAG_TXN_OPEN) != 0;
        final long p = SessionAccess.writtenProtections(session);
        if (p != protections) {
            protections = p;
            flags |= Wire.FLAG_PROTECT_WRITTEN;
        }
        out.patchInt(16, flags);
        out.patchInt(20, SessionAccess.layoutStamp(session));
    }

    private void error(final long corr, final RuntimeException e) {
        final ErrorCode code = e instanceof BessException b ? b.errorCode() : ErrorCode.GENERIC;
        if (!(e instanceof BessException)) {
            LOG.warn("client {}: unexpected failure", id, e);
        }
        out.reset().putLong(corr).putInt(code.code()).putInt(0).putInt(0);
        out.putString(e.getMessage() == null ? e.toString() : e.getMessage());
        if (e instanceof LockTimeoutException t) {
            out.putLong(t.txnId()).putLong(t.resource());
        } else if (e instanceof DeadlockException d) {
            out.putLong(d.txnId()).putLong(d.resource());
            final long[] cycle = d.cycleTxnIds();
            out.putInt(cycle.length);
            for (final long c : cycle) {
                out.putLong(c);
            }
        }
    }

    private void txEnded() {
        tx = null;
        if (txCounted) {
            txCounted = false;
            endpoint.endFor(process());
        }
        written.clear();
        writtenCount = 0;
        java.util.Arrays.fill(clientImages, false);
        for (final Integer h : txHandles) {
            final Object o = handles.remove(h);
            if (o instanceof Cursor c) {
                c.close();
            }
        }
        txHandles.clear();
    }

    // ---- handles

    private int handle(final Object o, final boolean txScoped) {
        final int h = nextHandle++;
        handles.put(h, o);
        if (txScoped) {
            txHandles.add(h);
        }
        return h;
    }

    private <T> T get(final int h, final Class<T> type) {
        final Object o = handles.get(h);
        if (!type.isInstance(o)) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT, "no such " + type.getSimpleName() + " handle (ended transaction?): " + h);
        }
        return type.cast(o);
    }

    private Database db() {
        return get(in.getInt(), Database.class);
    }

    private Transaction tx() {
        if (tx == null || !tx.isActive()) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "no transaction is open in the session");
        }
        return tx;
    }

    private void putDb(final Database db) {
        Integer h = dbHandles.get(db);
        if (h == null) {
            h = handle(db, false);
            dbHandles.put(db, h);
        }
        out.putInt(h).putString(db.path().toString()).putLong(db.id());
    }

    private void putType(final TypeId t) {
        out.putInt(t.id()).putString(t.name()).putInt(t.size());
        final int[] offsets = t.refOffsets();
        out.putInt(offsets.length);
        for (final int o : offsets) {
            out.putInt(o);
        }
    }

    private void putPlacement(final ObjectRef o) {
        final long[] p = SessionAccess.placement(session, o);
        out.putInt((int) p[0])
                .putLong(p[1])
                .putInt((int) p[2])
                .putInt((int) p[3])
                .putInt((int) p[4])
                .putLong(p[5]);
    }

    private void putObject(final ObjectRef o) {
        out.putInt(handle(o, true));
        putDb(o.database());
        out.putLong(o.ref().word());
        putPlacement(o);
    }

    private void putLarge(final LargeObject lo) {
        out.putInt(handle(lo, true));
        putDb(lo.database());
        out.putLong(lo.ref().word());
    }

    private void putLargeInfo(final LargeObjectInfo i) {
        putDb(i.ref().database());
        out.putLong(i.ref().word())
                .putString(i.file())
                .putLong(i.length())
                .putInt(i.segments())
                .putInt(i.nodes())
                .putInt(i.height());
        out.putInt(i.segmentsByArea().size());
        for (final Map.Entry<Path, Integer> e : i.segmentsByArea().entrySet()) {
            out.putString(e.getKey().toString()).putInt(e.getValue());
        }
    }

    private Ref ref() {
        final Database d = db();
        return new Ref(d, in.getLong());
    }

    // ---- requests

    private void dispatch(final int op) {
        if (op >= Wire.ACQUIRE_FRAME) {
            fault(op);
        } else if (op >= Wire.CREATE_LARGE && op <= Wire.LO_PREFETCH) {
            large(op);
        } else if (op >= Wire.BEGIN) {
            transaction(op);
        } else {
            database(op);
        }
    }

    private void database(final int op) {
        switch (op) {
            case Wire.HELLO -> hello();
            case Wire.CREATE_DB -> putDb(session.createDatabase(Path.of(getString(in)), in.getLong()));
            case Wire.OPEN_DB -> putDb(session.openDatabase(Path.of(getString(in))));
            case Wire.DATABASES -> {
                final List<Database> dbs = session.databases();
                out.putInt(dbs.size());
                dbs.forEach(this::putDb);
            }
            case Wire.ADD_AREA -> {
                final Database d = db();
                putArea(d.addArea(Path.of(getString(in)), in.getLong()));
            }
            case Wire.REMOVE_AREA -> db().removeArea(Path.of(getString(in)));
            case Wire.AREAS -> {
                final List<AreaInfo> areas = db().areas();
                out.putInt(areas.size());
                areas.forEach(this::putArea);
            }
            case Wire.DEFINE_TYPE -> {
                final Database d = db();
                final String name = getString(in);
                final int size = in.getInt();
                final int n = in.getInt();
                Wire.checkCount(in, n * 4);
                final int[] offsets = new int[n];
                for (int i = 0; i < n; i++) {
                    offsets[i] = in.getInt();
                }
                putType(d.defineType(name, size, offsets));
            }
            case Wire.TYPE -> {
                final Database d = db();
                putType(d.type(getString(in)));
            }
            case Wire.TYPES -> {
                final List<TypeId> types = db().types();
                out.putInt(types.size());
                types.forEach(this::putType);
            }
            case Wire.FILES -> {
                final List<FileInfo> files = db().files();
                out.putInt(files.size());
                for (final FileInfo f : files) {
                    out.putString(f.name()).putString(f.area().toString()).putInt(f.segments());
                    out.putLong(f.objects()).putLong(f.liveBytes());
                }
            }
            case Wire.LARGE_OBJECTS -> {
                final Database d = db();
                final List<LargeObjectInfo> infos = d.largeObjects(getString(in));
                out.putInt(infos.size());
                infos.forEach(this::putLargeInfo);
            }
            case Wire.MOVE_FILE -> {
                final Database d = db();
                d.moveFile(getString(in), Path.of(getString(in)));
            }
            case Wire.COMPACT -> {
                final Database d = db();
                final String name = getString(in);
                final CompactionReport r = d.compact(name.isEmpty() ? null : name);
                out.putInt(r.segmentsCompacted()).putInt(r.segmentsShrunk()).putInt(r.extentsFreed());
                out.putLong(r.bytesTruncated());
            }
            default -> throw new MalformedFrame("unknown op code: " + op);
        }
    }

    private void hello() {
        final int helloMode = in.getInt();
        final int version = in.getInt();
        if (version != Wire.VERSION) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "session protocol version mismatch: client=" + version + ", server=" + Wire.VERSION);
        }
        final long helloPid = in.getLong();
        final int helloUid = in.getInt();
        final int helloGid = in.getInt();
        if (this.mode >= 0) {
            throw new MalformedFrame("second HELLO on one connection");
        }
        if (helloMode < 0 || helloMode > 1 || helloPid <= 0) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT, "bad HELLO: mode=" + helloMode + " (0 or 1), pid=" + helloPid);
        }
        if (!declaredIdsMatch(helloUid, helloGid)) {
            closeAfterReply = true;
            throw new BessException(
                    ErrorCode.NOT_AUTHORISED,
                    "HELLO declares uid=" + helloUid + ", gid=" + helloGid + " but the socket's peer is " + peer);
        }
        this.uid = helloUid;
        this.gid = helloGid;
        this.pid = helloPid;
        this.mode = helloMode;
        endpoint.settings().hello(helloMode);
        LOG.info("client {} connected: peer={}, uid={}, pid={}, mode={}", id, peer, helloUid, helloPid, helloMode);
        out.putString(SessionAccess.cacheFile(endpoint.server()).toString());
        out.putInt(endpoint.server().context().maxWindows());
        out.putLong(endpoint.server().context().windowSizeBytes());
        out.putInt(endpoint.server().context().frameBudget());
        out.putInt(endpoint.server().context().recoveryBufferPages());
        out.putLong(Native.pid());
        out.putLong(id);
        // the lock fast path: the shared lock table and this client's lock log in it
        sharedMemory = mode == 0;
        final SharedLockTable table =
                SessionAccess.lockManager(endpoint.server()).sharedTable();
        if (sharedMemory && table != null && lockLog < 0) {
            lockLog = table.claimLog(id);
        }
        out.putString(lockLog >= 0 ? table.path().toString() : "");
        out.putInt(lockLog);
        out.putInt(endpoint.settings().heartbeatMs());
        out.putInt(endpoint.settings().expiryMs());
        // appended last (older clients ignore it): this session's before-images, mapped read-only by the client; a
        // client
        // of another user cannot open the 0600 file, so it is named only to the server's own user
        // a shared-memory client with a lock log writes the before-images of pages it X-locks by the fast path in the
        // last slots of the file (only one of the server's own user can open the 0600 file)
        final int clientSlots =
                lockLog >= 0 && helloUid == SERVER_UID ? endpoint.settings().clientImageSlots() : 0;
        final Path recovery = SessionAccess.recoveryBufferFile(session, id, clientSlots);
        clientImages = new boolean[clientSlots];
        out.putString(helloUid == SERVER_UID ? recovery.toString() : "");
    }

    /** Whether the uid and gid HELLO declared are the peer's ({@code SO_PEERCRED} principals compare by id). */
    private boolean declaredIdsMatch(final int declaredUid, final int declaredGid) {
        if (principal == null) {
            return false;
        }
        try {
            final UserPrincipalLookupService lookup =
                    java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService();
            return lookup.lookupPrincipalByName(Integer.toString(declaredUid)).equals(principal.user())
                    && lookup.lookupPrincipalByGroupName(Integer.toString(declaredGid))
                            .equals(principal.group());
        } catch (final IOException e) {
            return false;
        }
    }

    private void putArea(final AreaInfo a) {
        out.putInt(a.id()).putString(a.path().toString()).putLong(a.sizeBytes()).putInt(a.extents());
        out.putLong(a.freeBytes());
    }

    private void transaction(final int op) {
        switch (op) {
            case Wire.BEGIN -> {
                begin();
                final long txnId = SessionAccess.txnId(session);
                if (lockLog >= 0) {
                    // this client's fast-path locks are held by this transaction until the server releases them
                    SessionAccess.lockManager(endpoint.server()).sharedTable().bind(lockLog, txnId);
                }
                // appended (older clients ignore it): the id the client writes in the before-images it makes itself
                out.putLong(txnId);
            }
            case Wire.COMMIT -> tx().commit();
            case Wire.ABORT -> {
                if (tx != null && tx.isActive()) {
                    tx.abort();
                }
            }
            case Wire.CREATE_FILE -> {
                final Database d = db();
                final String name = getString(in);
                final String area = getString(in);
                final BessFile f = area.isEmpty() ? tx().createFile(d, name) : tx().createFile(d, name, Path.of(area));
                out.putInt(handle(f, false));
            }
            case Wire.FILE -> {
                final Database d = db();
                out.putInt(handle(tx().file(d, getString(in)), false));
            }
            case Wire.DROP_FILE -> tx().dropFile(get(in.getInt(), BessFile.class));
            case Wire.ALLOCATE -> {
                final BessFile f = get(in.getInt(), BessFile.class);
                final TypeId t = typeById(f.database(), in.getInt());
                final int size = in.getInt();
                putObject(size < 0 ? tx().allocate(f, t) : tx().allocate(f, t, size));
            }
            case Wire.ALLOCATE_NEAR -> {
                final ObjectRef near = get(in.getInt(), ObjectRef.class);
                final TypeId t = typeById(near.database(), in.getInt());
                putObject(tx().allocateNear(near, t, in.getInt()));
            }
            case Wire.OPEN -> putObject(tx().open(ref()));
            case Wire.SEGMENT_SLOTS -> segmentSlots();
            case Wire.SEGMENT_SLOTS_MANY -> segmentSlotsMany();
            case Wire.FREE -> tx().free(get(in.getInt(), ObjectRef.class));
            case Wire.RESIZE -> {
                final ObjectRef o = get(in.getInt(), ObjectRef.class);
                tx().resize(o, in.getInt());
                putPlacement(o);
            }
            case Wire.SET_ROOT -> {
                final Database d = db();
                final String name = getString(in);
                final boolean present = in.getInt() != 0;
                final Ref r = ref();
                tx().setRoot(d, name, present ? r : null);
            }
            case Wire.ROOT -> {
                final Database d = db();
                final Ref r = tx().root(d, getString(in));
                out.putInt(r == null ? 0 : 1);
                if (r != null) {
                    putDb(r.database());
                    out.putLong(r.word());
                }
            }
            case Wire.STORED_WORD -> {
                final Database d = db();
                out.putLong(SessionAccess.storedWord(tx(), d, ref()));
            }
            case Wire.RESOLVE -> putPlacement(get(in.getInt(), ObjectRef.class));
            case Wire.OBJECT_TYPE -> putType(get(in.getInt(), ObjectRef.class).type());
            case Wire.SCAN -> {
                final Cursor c = tx().scan(get(in.getInt(), BessFile.class));
                // appended: the file's first segment, for a client that walks the chain itself (SEGMENT_SLOTS and
                // SEGMENT_SLOTS_MANY name each segment's next)
                out.putInt(handle(c, true)).putLong(SessionAccess.firstSegment(session, c));
            }
            case Wire.CURSOR_NEXT -> cursorNext(get(in.getInt(), Cursor.class));
            case Wire.CURSOR_NEXT_REFS -> cursorNextRefs();
            case Wire.CURSOR_CLOSE -> {
                final int h = in.getInt();
                get(h, Cursor.class).close();
                handles.remove(h);
            }
            default -> throw new MalformedFrame("unknown op code: " + op);
        }
    }

    private void begin() {
        if (!txCounted) {
            if (!endpoint.beginFor(process())) {
                throw new BessException(
                        ErrorCode.QUOTA,
                        "transaction quota: client process uid=" + uid + " pid=" + pid + " already has "
                                + endpoint.settings().maxTransactionsPerProcess()
                                + " transaction(s) open (quota.transactions)");
            }
            txCounted = true;
        }
        tx = session.begin();
    }

    private TypeId typeById(final Database d, final int typeId) {
        for (final TypeId t : d.types()) {
            if (t.id() == typeId) {
                return t;
            }
        }
        throw new BessException(ErrorCode.NAME, "no such type: id=" + typeId + ", database=" + d.path());
    }

    private void cursorNext(final Cursor c) {
        final boolean has = c.next();
        out.putInt(has ? 1 : 0);
        if (has) {
            final boolean large = c.isLarge();
            out.putInt(large ? 1 : 0);
            if (large) {
                putLarge(c.largeObject());
            } else {
                putObject(c.object());
            }
        }
    }

    /** Steps a cursor up to {@code max} times and sends the references only; the client opens the objects itself. */
    /** {@code SEGMENT_SLOTS}: a segment's slots, the areas, then (appended) the root window and the page's key. */
    private void segmentSlots() {
        final int dbHandle = in.getInt();
        final long segPage = in.getLong();
        final Database d = get(dbHandle, Database.class);
        tx();
        final byte[] slots = SessionAccess.segmentSlots(session, d, segPage);
        out.putBytes(slots, 0, slots.length);
        final long[] areas = SessionAccess.areaWindows(session, d);
        out.putInt(areas.length / 3);
        for (int i = 0; i < areas.length; i += 3) {
            out.putInt((int) areas[i]).putInt((int) areas[i + 1]).putLong(areas[i + 2]);
        }
        // appended: the root window and, for a client with a lock log, the page's key in the shared table (the
        // transaction holds S now): its next transactions read the slots in place without this request
        final int rootWindow = SessionAccess.rootWindow(session, d);
        out.putInt(rootWindow).putLong(sharePage(rootWindow, segPage));
        // appended after them: the next segment of the file's chain (a client's own scan walks it)
        out.putLong(SessionAccess.nextSegment(session, d, segPage));
    }

    /**
     * {@code CURSOR_NEXT_REFS}: the bound is checked first, so a frame out of bounds closes the connection whatever its
     * handle.
     */
    private void cursorNextRefs() {
        final int h = in.getInt();
        final int max = in.getInt();
        if (max < 1 || max > Wire.CURSOR_BATCH_MAX) {
            throw new MalformedFrame(
                    "cursor batch out of bounds: max=" + max + ", allowed 1.." + Wire.CURSOR_BATCH_MAX);
        }
        cursorNextRefs(get(h, Cursor.class), max);
    }

    private void cursorNextRefs(final Cursor c, final int max) {
        if (max < 1 || max > Wire.CURSOR_BATCH_MAX) {
            throw new MalformedFrame(
                    "cursor batch out of bounds: max=" + max + ", allowed 1.." + Wire.CURSOR_BATCH_MAX);
        }
        final int countAt = out.position();
        out.putInt(0);
        int n = 0;
        while (n < max && c.next()) {
            out.putInt(c.isLarge() ? 1 : 0);
            out.putLong(c.ref().word());
            n++;
        }
        out.patchInt(countAt, n);
    }

    private void large(final int op) {
        switch (op) {
            case Wire.CREATE_LARGE -> {
                final BessFile f = get(in.getInt(), BessFile.class);
                final int n = in.getInt();
                if (n < 0) {
                    putLarge(tx().createLarge(f));
                    return;
                }
                Wire.checkCount(in, n);
                final List<Path> areas = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    areas.add(Path.of(getString(in)));
                }
                putLarge(tx().createLarge(f, areas));
            }
            case Wire.OPEN_LARGE -> putLarge(tx().openLarge(ref()));
            case Wire.FREE_LARGE -> tx().free(get(in.getInt(), LargeObject.class));
            default -> largeOp(op, get(in.getInt(), LargeObject.class));
        }
    }

    private void largeOp(final int op, final LargeObject lo) {
        switch (op) {
            case Wire.LO_LENGTH -> out.putLong(lo.length());
            case Wire.LO_READ -> {
                final long position = in.getLong();
                final int length = in.getInt();
                if (length < 0 || length > Wire.MAX_FRAME / 2) {
                    throw new BessException(ErrorCode.BAD_ARGUMENT, "read too large for one request: " + length);
                }
                final byte[] b = new byte[length];
                lo.read(position, b, 0, length);
                out.putBytes(b, 0, length);
            }
            case Wire.LO_WRITE -> {
                final long position = in.getLong();
                final byte[] b = getBytes(in);
                lo.write(position, b, 0, b.length);
            }
            case Wire.LO_INSERT -> {
                final long position = in.getLong();
                final byte[] b = getBytes(in);
                lo.insert(position, b, 0, b.length);
            }
            case Wire.LO_DELETE -> lo.delete(in.getLong(), in.getLong());
            case Wire.LO_APPEND -> {
                final byte[] b = getBytes(in);
                out.putLong(lo.append(b, 0, b.length));
            }
            case Wire.LO_TRUNCATE -> lo.truncate(in.getLong());
            case Wire.LO_COMPARE -> {
                final long position = in.getLong();
                final byte[] b = getBytes(in);
                out.putInt(lo.compare(position, b, 0, b.length));
            }
            case Wire.LO_COPY -> {
                final long src = in.getLong();
                final LargeObject dst = get(in.getInt(), LargeObject.class);
                lo.copy(src, dst, in.getLong(), in.getLong());
            }
            case Wire.LO_INDEX_BYTE -> {
                final byte v = (byte) in.getInt();
                out.putLong(lo.indexOf(v, in.getLong()));
            }
            case Wire.LO_INDEX_PATTERN -> {
                final byte[] b = getBytes(in);
                out.putLong(lo.indexOf(b, in.getLong()));
            }
            case Wire.LO_INFO -> putLargeInfo(lo.info());
            case Wire.LO_PREFETCH -> lo.prefetch(in.getLong(), in.getLong());
            default -> throw new MalformedFrame("unknown op code: " + op);
        }
    }

    private void fault(final int op) {
        switch (op) {
            case Wire.ACQUIRE_FRAME -> {
                final int window = in.getInt();
                final long pageNo = in.getLong();
                SessionAccess.checkPage(session, window, pageNo);
                final int frame = faults.acquireFrame(window, pageNo);
                mapped.merge(frame, 1, Integer::sum);
                mappedTotal++;
                out.putInt(frame);
                out.putLong(sharePage(window, pageNo));
            }
            case Wire.LOCK_FOR_READ -> {
                final int window = in.getInt();
                final long pageNo = in.getLong();
                SessionAccess.checkPage(session, window, pageNo);
                faults.lockForRead(window, pageNo);
                out.putLong(sharePage(window, pageNo));
            }
            case Wire.RELEASE_FRAME -> {
                final int frame = in.getInt();
                final Integer count = mapped.get(frame);
                if (count == null) {
                    throw new BessException(ErrorCode.BAD_ARGUMENT, "frame not mapped by this client: " + frame);
                }
                if (count == 1) {
                    mapped.remove(frame);
                } else {
                    mapped.put(frame, count - 1);
                }
                mappedTotal--;
                faults.releaseFrame(frame);
            }
            case Wire.BEFORE_FIRST_WRITE -> beforeFirstWrite(in.getInt(), in.getLong());
            case Wire.FETCH_PAGE -> {
                page.clear();
                SessionAccess.fetchPage(session, in.getInt(), in.getLong(), page);
                page.flip();
                out.putRaw(page);
            }
            case Wire.FETCH_PAGES -> fetchPages();
            case Wire.SHIP_PAGES -> {
                final int pages = in.getInt();
                for (int i = 0; i < pages; i++) {
                    final int window = in.getInt();
                    final long pageNo = in.getLong();
                    final int ranges = in.getInt();
                    SessionAccess.applyRanges(session, window, pageNo, ranges, in);
                }
            }
            case Wire.LOCK_COUNTERS -> {
                final long[] c = endpoint.server().lockCounters();
                out.putInt(c.length);
                for (final long v : c) {
                    out.putLong(v);
                }
            }
            default -> throw new MalformedFrame("unknown op code: " + op);
        }
    }

    private int[] batchWindows;
    private long[] batchPages;
    private long[] batchDigests;
    private int[] batchStatus;
    private ByteBuffer batchBytes;

    /** {@code FETCH_PAGES}: a copy-on-access client's page and the pages it predicts, revalidated by digest. */
    private void fetchPages() {
        final int n = in.getInt();
        if (n < 1 || n > Wire.BATCH_MAX) {
            throw new MalformedFrame("bad page count in FETCH_PAGES: " + n);
        }
        readPageBatch(n, "FETCH_PAGES");
        SessionAccess.checkPage(session, batchWindows[0], batchPages[0]);
        writePageBatch(n, true);
    }

    /** Reads {@code n} pages of a batch (window, page, digest of the client's copy each) into the batch arrays. */
    private void readPageBatch(final int n, final String op) {
        if (in.remaining() < n * (Integer.BYTES + 2 * Long.BYTES)) {
            throw new MalformedFrame("truncated " + op + ": pages=" + n + ", bytes=" + in.remaining());
        }
        if (batchWindows == null) {
            batchWindows = new int[Wire.BATCH_MAX];
            batchPages = new long[Wire.BATCH_MAX];
            batchDigests = new long[Wire.BATCH_MAX];
            batchStatus = new int[Wire.BATCH_MAX];
        }
        for (int i = 0; i < n; i++) {
            batchWindows[i] = in.getInt();
            batchPages[i] = in.getLong();
            batchDigests[i] = in.getLong();
        }
    }

    /**
     * Locks and revalidates the {@code n} pages of the batch arrays and writes the reply's part: a status per page,
     * then the pages of status 2.
     *
     * @param firstWaits whether the first page is locked waiting if it must ({@code FETCH_PAGES}); else every page is
     *     locked only when S needs no wait (the pages appended to {@code SEGMENT_SLOTS_MANY}).
     */
    private void writePageBatch(final int n, final boolean firstWaits) {
        if (batchBytes == null) {
            batchBytes = ByteBuffer.allocate(Wire.BATCH_MAX * PAGE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        }
        batchBytes.clear();
        SessionAccess.fetchPages(
                session, n, batchWindows, batchPages, batchDigests, batchStatus, batchBytes, firstWaits);
        for (int i = 0; i < n; i++) {
            out.putInt(batchStatus[i]);
        }
        batchBytes.flip();
        out.putRaw(batchBytes);
    }

    /** {@code SEGMENT_SLOTS_MANY}: the slots of a segment and of the segments the client predicts. */
    private void segmentSlotsMany() {
        final int dbHandle = in.getInt();
        final int n = in.getInt();
        if (n < 1 || n > Wire.BATCH_MAX) {
            throw new MalformedFrame("bad segment count in SEGMENT_SLOTS_MANY: " + n);
        }
        if (in.remaining() < n * Long.BYTES) {
            throw new MalformedFrame("truncated SEGMENT_SLOTS_MANY: segments=" + n + ", bytes=" + in.remaining());
        }
        final long[] segPages = new long[n];
        for (int i = 0; i < n; i++) {
            segPages[i] = in.getLong();
        }
        // appended: per segment the digest of the client's kept slot array (0: none); absent from an older client
        final long[] digests = new long[n];
        if (in.remaining() >= n * Long.BYTES) {
            for (int i = 0; i < n; i++) {
                digests[i] = in.getLong();
            }
        }
        // appended after the digests: the pages the client predicts it will read (count, then window, page, digest
        // each, as FETCH_PAGES), each locked only when S needs no wait; absent from an older client
        int pageCount = 0;
        if (in.remaining() >= Integer.BYTES) {
            pageCount = in.getInt();
            if (pageCount < 1 || pageCount > Wire.BATCH_MAX) {
                throw new MalformedFrame("bad page count in SEGMENT_SLOTS_MANY: " + pageCount);
            }
            readPageBatch(pageCount, "SEGMENT_SLOTS_MANY");
        }
        final Database d = get(dbHandle, Database.class);
        tx();
        final byte[][] slots = SessionAccess.segmentSlotsMany(session, d, segPages, digests, n);
        out.putInt(SessionAccess.rootWindow(session, d));
        final long[] areas = SessionAccess.areaWindows(session, d);
        out.putInt(areas.length / 3);
        for (int i = 0; i < areas.length; i += 3) {
            out.putInt((int) areas[i]).putInt((int) areas[i + 1]).putLong(areas[i + 2]);
        }
        for (int i = 0; i < n; i++) {
            if (slots[i] == null) {
                out.putInt(0);
            } else if (slots[i] == SessionAccess.CURRENT_SLOTS) {
                out.putInt(2); // the client's kept copy is the segment's slots (digested under the S just taken)
            } else {
                out.putInt(1);
                out.putBytes(slots[i], 0, slots[i].length);
            }
        }
        // appended: per segment, the next one of its file's chain (0 for a skipped segment or the last)
        for (int i = 0; i < n; i++) {
            out.putLong(slots[i] == null ? 0 : SessionAccess.nextSegment(session, d, segPages[i]));
        }
        // appended when the client sent pages: their statuses and bytes, as a FETCH_PAGES reply
        if (pageCount > 0) {
            writePageBatch(pageCount, false);
        }
    }

    /**
     * The lock resource of a page the client just locked, given an entry in the shared lock table so that the
     * client's next S lock on it takes the fast path; 0 when the client has no fast path or the page is not locked.
     */
    private long sharePage(final int window, final long pageNo) {
        if (lockLog < 0) {
            return 0;
        }
        final long key = SessionAccess.pageResource(session, window, pageNo);
        return key != 0 && SessionAccess.lockManager(endpoint.server()).share(key) ? key : 0;
    }

    /** Releases what this client's lock log still holds and gives its slot back (after the rollback). */
    private void releaseLockLog() {
        final LockManager locks = SessionAccess.lockManager(endpoint.server());
        try {
            final int released = locks.releaseFastPathLog(lockLog);
            if (released > 0) {
                LOG.info("client {}: released {} fast-path locks left in its lock log", id, released);
            }
        } finally {
            locks.sharedTable().freeLog(lockLog);
            lockLog = -1;
        }
    }

    private void beforeFirstWrite(final int window, final long pageNo) {
        final long key = ((long) window << 48) ^ pageNo;
        if (!written.contains(key) && written.size() >= endpoint.settings().maxWrittenPages()) {
            throw new BessException(
                    ErrorCode.QUOTA,
                    "recovery-buffer quota: this client's transaction already wrote " + written.size()
                            + " pages in place (quota.recovery.buffer.pages); commit or abort first");
        }
        SessionAccess.checkPage(session, window, pageNo);
        faults.beforeFirstWrite(window, pageNo);
        written.add(key);
        writtenCount = written.size();
    }

    /**
     * Adopts the before-images the client made itself since the last request (the pages it X-locked by the lock fast
     * path and wrote without telling the server): they join the transaction's buffer, so that the commit logs them and
     * an abort restores them. Slots refused are logged; one of a page the transaction holds X on makes it damaged (its
     * commit and rollback fail with {@code CORRUPT_PAGE}).
     */
    private void adoptClientImages(final boolean dead) {
        if (!SessionAccess.clientImagesPending(session, clientImages)) {
            return;
        }
        final List<String> problems = new ArrayList<>(0);
        final int adopted = SessionAccess.adoptClientImages(session, clientImages, problems);
        for (final String p : problems) {
            LOG.warn("client {}: {}", id, p);
        }
        if (dead && adopted > 0) {
            LOG.info("client {}: adopted {} before-images it made itself, to roll them back", id, adopted);
        }
        if (!problems.isEmpty()) {
            endpoint.clientImageRefused(problems.get(problems.size() - 1));
        }
    }

    private void cleanUp() {
        closeChannel();
        boolean rolledBack = false;
        int released = 0;
        if (lockLog >= 0) {
            // a client still running (disconnected by the server) stops taking fast-path locks from here on
            SessionAccess.lockManager(endpoint.server()).sharedTable().revoke(lockLog);
        }
        try {
            if (session != null) {
                // in this order: roll back (before-images and CLRs through the log, then the locks go), then the
                // client's frame mappings, then the session; each step runs even when one before it failed
                try {
                    if (tx != null && tx.isActive() && clientImages.length > 0) {
                        // what the client X-locked by the fast path and before-imaged itself: found in its recovery
                        // buffer's client slots (a sealed slot of a page its lock log holds X on), restored by the
                        // abort
                        adoptClientImages(true);
                    }
                } catch (final RuntimeException e) {
                    LOG.warn("client {}: adopting the before-images it made itself failed", id, e);
                }
                try {
                    if (tx != null && tx.isActive()) {
                        tx.abort();
                        rolledBack = true;
                    }
                } catch (final RuntimeException e) {
                    LOG.warn("client {}: rolling back its transaction failed", id, e);
                }
                try {
                    for (final Map.Entry<Integer, Integer> e : mapped.entrySet()) {
                        for (int i = 0; i < e.getValue(); i++) {
                            faults.releaseFrame(e.getKey());
                            released++;
                        }
                    }
                } catch (final RuntimeException e) {
                    LOG.warn("client {}: releasing its frames failed", id, e);
                }
                mapped.clear();
                mappedTotal = 0;
                if (lockLog >= 0) {
                    try {
                        // frames the client mapped by cache hits (its marks in the client-map file), before its slot
                        // goes to another client
                        released += SessionAccess.releaseClientMaps(endpoint.server(), lockLog);
                    } catch (final RuntimeException e) {
                        LOG.warn("client {}: releasing its cache-hit frames failed", id, e);
                    }
                    try {
                        releaseLockLog();
                    } catch (final RuntimeException e) {
                        LOG.warn("client {}: releasing its lock log failed", id, e);
                    }
                }
                session.close();
            }
        } catch (final RuntimeException e) {
            LOG.warn("client {}: closing its session failed", id, e);
        } finally {
            if (txCounted) {
                txCounted = false;
                endpoint.endFor(process());
            }
            txOpen = false;
            if (mode >= 0) {
                endpoint.settings().gone(mode);
            }
            endpoint.closed(this);
            // ./bess demo shows this line: what the server undid for a client that died
            LOG.info(
                    "client {} disconnected and cleaned up: rolledBack={}, framesReleased={}",
                    id,
                    rolledBack,
                    released);
        }
    }

    /** A frame the server cannot parse: the connection closes. */
    private static final class MalformedFrame extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedFrame(final String message) {
            super(message);
        }
    }
}
