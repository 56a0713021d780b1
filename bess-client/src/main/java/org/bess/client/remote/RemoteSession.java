package org.bess.client.remote;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.bess.client.Bess;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.frame.VirtualFrames;
import org.bess.client.wire.ControlConnection;
import org.bess.exceptions.BessException;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.LockTimeoutException;
import org.bess.nativeshim.Native;

/**
 * A session of a node's engine used from this process: every operation is a request over the session socket, run by
 * the server on a session of its own; objects are read and written in place through this process's virtual frames
 * ({@link SharedMemoryFaults} or {@link CopyOnAccessFaults} behind them), so a hot access makes no request.
 *
 * <p>While connected, a shared background thread ({@code bess-heartbeat}) sends a {@link Wire#HEARTBEAT} frame
 * whenever the session sent nothing for one heartbeat interval (the server's setting, from {@code HELLO}): a server
 * that hears nothing from an idle connection for its expiry timeout takes the client for hung, cleans it up like a dead
 * one and tells it so ({@code SERVER_LOST}, {@code session expired}) if it ever runs again.
 *
 * <p>Not thread safe: one thread at a time uses a session (the heartbeat thread only writes heartbeat frames, under
 * the same lock as requests).
 */
public final class RemoteSession implements Session {
    /** One daemon thread sends the heartbeats of every session of this process. */
    private static final ScheduledExecutorService HEARTBEATS = heartbeatThread();

    private final SocketChannel channel;
    private final Path socket;
    private final Bess.Mode mode;
    private final Wire out = new Wire();
    private final ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer in = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private final Map<Integer, RemoteDatabase> databases = new HashMap<>();
    private final VirtualFrames frames;
    private final ClientFaults faults;
    private final int recoveryBufferPages;
    private final long serverPid;
    private final long connectionId;
    private final int heartbeatMs;
    private final int expiryMs;
    /** This session's recovery buffer on the server, mapped read-only; null when the server names none. */
    private RecoveryBufferMapping recoveryBuffer;
    /** The open transaction's id from the {@code BEGIN} reply, or -1 (none, or a server that does not send it). */
    private long currentTxnId = -1;
    /** Guards writes to the channel: requests (the session's thread) and heartbeats (the heartbeat thread). */
    private final Object writeLock = new Object();

    private final ByteBuffer heartbeat = heartbeatFrame();
    private volatile long lastSentNanos;
    private ScheduledFuture<?> beats;
    private long correlation;
    private long requests;
    /** The server's layout stamp, from the last reply: objects re-resolve when it moves. */
    int stamp;

    private RemoteTransaction current;
    /** What the current transaction opened, by reference (see {@link RemoteTransaction#open}). */
    private final SegmentSlots segmentSlots;

    private final org.bess.client.frame.OpenedObjects<RemoteObjectRef> opened =
            new org.bess.client.frame.OpenedObjects<>();

    private volatile String lost;
    private volatile boolean closed;

    private RemoteSession(final Path socket, final Bess.Mode mode) {
        this.socket = socket;
        this.mode = mode;
        this.segmentSlots = new SegmentSlots(mode == Bess.Mode.COPY_ON_ACCESS);
        try {
            this.channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (final IOException e) {
            throw new BessException(
                    ErrorCode.IO, "cannot connect to the node server: socket=" + socket + " (is it running?)", e);
        }
        try {
            final ByteBuffer r = call(request(Wire.HELLO)
                    .putInt(mode.ordinal())
                    .putInt(Wire.VERSION)
                    .putLong(Native.pid())
                    .putInt(ControlConnection.procSelfAttribute("unix:uid"))
                    .putInt(ControlConnection.procSelfAttribute("unix:gid")));
            final Path cache = Path.of(Wire.getString(r));
            final int maxWindows = r.getInt();
            final long windowBytes = r.getLong();
            final int budget = r.getInt();
            this.recoveryBufferPages = r.getInt();
            this.serverPid = r.getLong();
            this.connectionId = r.getLong();
            final String lockTable = Wire.getString(r);
            final int lockLogSlot = r.getInt();
            this.heartbeatMs = r.getInt();
            this.expiryMs = r.getInt();
            // appended after expiryMs: a server that does not send it keeps before-images in its heap
            final String recoveryFile = r.hasRemaining() ? Wire.getString(r) : "";
            this.recoveryBuffer = recoveryFile.isEmpty() ? null : RecoveryBufferMapping.map(Path.of(recoveryFile));
            if (mode == Bess.Mode.SHARED_MEMORY) {
                this.faults = new SharedMemoryFaults(this, cache, FastLocks.open(lockTable, lockLogSlot), lockLogSlot);
            } else {
                this.faults = new CopyOnAccessFaults(this, budget + 64, Math.max(1, recoveryBufferPages / 2));
            }
            this.frames = new VirtualFrames(maxWindows, windowBytes, budget, faults);
            faults.frames(frames);
            if (heartbeatMs > 0) {
                beats = HEARTBEATS.scheduleWithFixedDelay(this::beat, heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
            }
        } catch (final RuntimeException e) {
            closeChannel();
            if (recoveryBuffer != null) {
                recoveryBuffer.close();
            }
            throw e;
        }
    }

    /**
     * Connects to the session socket of a node server.
     *
     * @param socket the socket ({@code <nodeDir>/sessions.sock}).
     * @param mode how this process reaches pages.
     * @return the session.
     */
    public static RemoteSession connect(final Path socket, final Bess.Mode mode) {
        return new RemoteSession(socket, mode);
    }

    /** The mode. */
    public Bess.Mode mode() {
        return mode;
    }

    /** The server's process id. */
    public long serverPid() {
        return serverPid;
    }

    /** The server's id of this connection. */
    public long connectionId() {
        return connectionId;
    }

    /** Requests sent to the server so far (each a round trip over the socket). */
    public long requestCount() {
        return requests;
    }

    /** Page locks this session took by the shared-memory fast path, without a request. */
    public long fastPathLocks() {
        return faults instanceof SharedMemoryFaults s && s.fastLocks() != null
                ? s.fastLocks().acquired()
                : 0;
    }

    /** First writes this session made without a request: X by the lock fast path, its own before-image. */
    public long fastPathWrites() {
        return faults instanceof SharedMemoryFaults s ? s.fastWrites() : 0;
    }

    /** The open transaction's id as the server named it, or -1. */
    long currentTxnId() {
        return current == null ? -1 : currentTxnId;
    }

    /** Pages this session mapped by a cache hit without a request (shared-memory mode). */
    public long cacheHits() {
        return faults instanceof SharedMemoryFaults s && s.cacheHits() != null
                ? s.cacheHits().hits()
                : 0;
    }

    /** Frames this session has mapped by a cache hit now (each marked in the server's client-map file). */
    public int cacheHitFramesMapped() {
        return faults instanceof SharedMemoryFaults s && s.cacheHits() != null
                ? s.cacheHits().mapped()
                : 0;
    }

    /** Slotted segments whose slots this session read itself, in place, without a request (shared-memory mode). */
    public long localSlotSnapshots() {
        return segmentSlots.localSnapshots();
    }

    /** Pages (copy-on-access) and segments' slots received in a batch, without a request of their own, so far. */
    public long batchedFetches() {
        return segmentSlots.batchedSegments() + (faults instanceof CopyOnAccessFaults c ? c.batchedPages() : 0);
    }

    /**
     * Slot arrays a copy-on-access session kept from earlier transactions and a batch's reply named current (the
     * server sent no bytes for them), so far.
     */
    public long keptSlotArraysReused() {
        return segmentSlots.keptReused();
    }

    /** Slotted segments' cache frames this session keeps from replacement now, for slot reads in place. */
    public int slotFramesPinned() {
        return faults instanceof SharedMemoryFaults s && s.cacheHits() != null
                ? s.cacheHits().controlPinned()
                : 0;
    }

    /**
     * For benchmarks: takes the S lock of an open object's first page exactly as a fault on its mapped frame does
     * (shared-memory mode: the fast path, or the {@code LOCK_FOR_READ} request when {@code fastPath} is false or the
     * fast path declines), then gives a fast-path lock back at once with the client's own CAS, so that every call
     * locks again. Needs an open transaction.
     *
     * @return whether the fast path took the lock.
     */
    public boolean relockForBenchmark(final ObjectRef object, final boolean fastPath) {
        final RemoteObjectRef o = (RemoteObjectRef) object;
        final int window = o.window();
        final long page = o.firstPage();
        if (fastPath && faults instanceof SharedMemoryFaults s && s.fastLocks() != null && current != null) {
            if (s.fastLocks().tryLockShared(window, page)) {
                s.fastLocks().releaseShared(window, page);
                return true;
            }
        }
        call(request(Wire.LOCK_FOR_READ).putInt(window).putLong(page));
        return false;
    }

    /** The server's heartbeat interval for this session, in milliseconds (0: none). */
    public int heartbeatMs() {
        return heartbeatMs;
    }

    /** How long the server waits without hearing from an idle session before it expires it, in milliseconds. */
    public int expiryMs() {
        return expiryMs;
    }

    private static ScheduledExecutorService heartbeatThread() {
        final ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            final Thread t = new Thread(r, "bess-heartbeat");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    private static ByteBuffer heartbeatFrame() {
        final ByteBuffer b = ByteBuffer.allocate(4 + Wire.REQUEST_HEADER).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(Wire.REQUEST_HEADER)
                .putLong(Wire.EXPIRY_CORRELATION)
                .putInt(Wire.HEARTBEAT)
                .flip();
        return b;
    }

    /** Heartbeat thread: one frame when the session sent nothing for half an interval. */
    private void beat() {
        if (lost != null || closed) {
            stopBeats();
            return;
        }
        if (System.nanoTime() - lastSentNanos < TimeUnit.MILLISECONDS.toNanos(heartbeatMs) / 2) {
            return;
        }
        synchronized (writeLock) {
            try {
                heartbeat.rewind();
                while (heartbeat.hasRemaining()) {
                    channel.write(heartbeat);
                }
                lastSentNanos = System.nanoTime();
            } catch (final IOException e) {
                // the server closed the connection (or this session did): the session's next call finds out why
                stopBeats();
            }
        }
    }

    /**
     * Stops this session's heartbeats, as if the process hung (for tests and tools): once the server's expiry timeout
     * passes with the session idle, the server expires it and the next call fails with {@code SERVER_LOST}.
     */
    public void stopHeartbeats() {
        stopBeats();
    }

    private void stopBeats() {
        final ScheduledFuture<?> f = beats;
        if (f != null) {
            f.cancel(false);
        }
    }

    /** How many times this process's virtual frames took their slow path (each fault is at most a request). */
    public long frameFaults() {
        return frames.faultCount();
    }

    /** Frames mapped now. */
    public int mappedFrames() {
        return frames.mappedCount();
    }

    /**
     * The virtual address of an open object's first byte (for protection tests: a stray write there must kill this
     * process when the frame is not writable).
     */
    public static long addressOf(final ObjectRef object) {
        return ((RemoteObjectRef) object).address();
    }

    /** The engine's lock counters: {held, waiting, deadlocks, timeouts}. */
    public long[] serverLockCounters() {
        final ByteBuffer r = call(request(Wire.LOCK_COUNTERS));
        final long[] c = new long[r.getInt()];
        for (int i = 0; i < c.length; i++) {
            c[i] = r.getLong();
        }
        return c;
    }

    /**
     * Drops the connection without ending the open transaction, as a crashed process would: the server rolls the
     * transaction back and releases its locks and mappings. The session is unusable afterwards (for tests and tools).
     */
    public void abandon() {
        stopBeats();
        closeChannel();
        lost = "session abandoned";
    }

    VirtualFrames frames() {
        return frames;
    }

    ClientFaults faults() {
        return faults;
    }

    RemoteTransaction current() {
        return current;
    }

    // ---- requests

    /** Starts a request in the session's buffer. */
    Wire request(final int op) {
        return request(op, out);
    }

    /** Starts a request in another buffer (one built while a request is pending in the session's buffer). */
    Wire request(final int op, final Wire w) {
        return w.reset().putLong(++correlation).putInt(op);
    }

    /**
     * Sends the request built in {@code w} and waits for its reply.
     *
     * @return the reply's payload (valid until the next call).
     */
    ByteBuffer call(final Wire w) {
        if (lost != null) {
            throw new BessException(ErrorCode.IO, lost);
        }
        if (closed) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "session is closed");
        }
        final ByteBuffer b = w.frame();
        final long corr = b.getLong(4);
        requests++;
        try {
            try {
                synchronized (writeLock) {
                    while (b.hasRemaining()) {
                        channel.write(b);
                    }
                    lastSentNanos = System.nanoTime();
                }
            } catch (final IOException e) {
                // the server closed the connection: it may have said why before (an expiry notice)
                throw expiryNotice(e);
            }
            header.clear();
            readFully(header);
            final int length = header.getInt(0);
            if (length < Wire.REPLY_HEADER - 4 || length > Wire.MAX_FRAME) {
                throw serverLost("bad reply length " + length, null);
            }
            if (in.capacity() < length) {
                in = ByteBuffer.allocate(Math.max(length, in.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
            }
            in.clear().limit(length);
            readFully(in);
            in.flip();
        } catch (final IOException e) {
            throw serverLost(e.toString(), e);
        }
        final long replyCorr = in.getLong();
        final int status = in.getInt();
        if (replyCorr == Wire.EXPIRY_CORRELATION && status == ErrorCode.SERVER_LOST.code()) {
            in.getInt();
            in.getInt();
            throw expired(Wire.getString(in));
        }
        if (replyCorr != corr && !(replyCorr == 0 && status != Wire.OK)) {
            // correlation 0 with an error: the server refused the connection before reading a request
            throw serverLost("reply " + replyCorr + " to request " + corr, null);
        }
        final int flags = in.getInt();
        stamp = in.getInt();
        afterReply(flags);
        if (status != Wire.OK) {
            throw failure(status);
        }
        return in;
    }

    private void readFully(final ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new IOException("end of stream");
            }
        }
    }

    /**
     * After a failed write: reads what the server sent before it closed (bounded: the peer is gone, so a read ends at
     * its end of stream); an expiry notice becomes a {@code SERVER_LOST} "session expired", anything else server lost.
     */
    private BessException expiryNotice(final IOException writeFailure) {
        try {
            header.clear();
            readFully(header);
            final int length = header.getInt(0);
            if (length >= Wire.REPLY_HEADER && length <= 1 << 16) {
                final ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
                readFully(b);
                b.flip();
                if (b.getLong() == Wire.EXPIRY_CORRELATION && b.getInt() == ErrorCode.SERVER_LOST.code()) {
                    b.getInt();
                    b.getInt();
                    return expired(Wire.getString(b));
                }
            }
        } catch (final IOException | RuntimeException e) {
            // nothing (readable) was left: the plain server-lost report below
        }
        return serverLost(writeFailure.toString(), writeFailure);
    }

    private BessException expired(final String notice) {
        final BessException e = serverLost(notice, null);
        return new BessException(ErrorCode.SERVER_LOST, e.getMessage());
    }

    private BessException serverLost(final String why, final Throwable cause) {
        lost = "server lost: the node server closed the session connection (socket=" + socket + ", " + why
                + "); the open transaction is rolled back by the server's recovery";
        closeChannel();
        if (current != null) {
            current.ended();
            current = null;
        }
        return new BessException(ErrorCode.IO, lost, cause);
    }

    private void afterReply(final int flags) {
        if ((flags & Wire.FLAG_PROTECT_WRITTEN) != 0 && frames != null) {
            frames.protectWritten();
            faults.writtenProtected();
        }
        if ((flags & Wire.FLAG_TXN_OPEN) == 0 && current != null) {
            // the server rolled the transaction back (deadlock victim, lock timeout)
            final RemoteTransaction t = current;
            current = null;
            t.ended();
            faults.transactionEnded(false);
            frames.endTransaction();
        }
    }

    private BessException failure(final int status) {
        ErrorCode code = ErrorCode.GENERIC;
        for (final ErrorCode c : ErrorCode.values()) {
            if (c.code() == status) {
                code = c;
            }
        }
        final String message = Wire.getString(in);
        if (code == ErrorCode.LOCK_TIMEOUT) {
            return new LockTimeoutException(in.getLong(), in.getLong(), message);
        }
        if (code == ErrorCode.DEADLOCK) {
            final long txn = in.getLong();
            final long resource = in.getLong();
            final long[] cycle = new long[in.getInt()];
            for (int i = 0; i < cycle.length; i++) {
                cycle[i] = in.getLong();
            }
            return new DeadlockException(txn, resource, cycle, message);
        }
        return new BessException(code, message);
    }

    // ---- decoding shared by the API classes

    RemoteDatabase readDatabase(final ByteBuffer r) {
        final int handle = r.getInt();
        final String path = Wire.getString(r);
        final long id = r.getLong();
        return databases.computeIfAbsent(handle, h -> new RemoteDatabase(this, h, Path.of(path), id));
    }

    /** This session's database at {@code path}, opened here when needed. */
    RemoteDatabase databaseAt(final Path path) {
        final Path want = path.toAbsolutePath().normalize();
        for (final RemoteDatabase d : databases.values()) {
            if (d.path().toAbsolutePath().normalize().equals(want)) {
                return d;
            }
        }
        return (RemoteDatabase) openDatabase(want);
    }

    static TypeId readType(final ByteBuffer r) {
        final int id = r.getInt();
        final String name = Wire.getString(r);
        final int size = r.getInt();
        final int n = r.getInt();
        Wire.checkCount(r, n * 4);
        final int[] offsets = new int[n];
        for (int i = 0; i < n; i++) {
            offsets[i] = r.getInt();
        }
        return new TypeId(id, name, size, offsets);
    }

    // ---- Session

    @Override
    public Database createDatabase(final Path rootAreaPath, final long extentBytes) {
        return readDatabase(call(request(Wire.CREATE_DB)
                .putString(rootAreaPath.toAbsolutePath().toString())
                .putLong(extentBytes)));
    }

    @Override
    public Database openDatabase(final Path rootAreaPath) {
        return readDatabase(call(
                request(Wire.OPEN_DB).putString(rootAreaPath.toAbsolutePath().toString())));
    }

    @Override
    public List<Database> databases() {
        final ByteBuffer r = call(request(Wire.DATABASES));
        final int n = r.getInt();
        final List<Database> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(readDatabase(r));
        }
        return list;
    }

    @Override
    public Transaction begin() {
        if (current != null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "a transaction is already open in this session");
        }
        final ByteBuffer r = call(request(Wire.BEGIN));
        // appended to the reply: the transaction's id (what the client writes in the before-images it makes itself)
        currentTxnId = r.remaining() >= Long.BYTES ? r.getLong() : -1;
        opened.begin();
        segmentSlots.newTransaction();
        current = new RemoteTransaction(this);
        return current;
    }

    /** The slot snapshots of the current transaction. */
    SegmentSlots segmentSlots() {
        return segmentSlots;
    }

    /** The transaction changed pages on the server: drop what the fault handler and the slot snapshots copied. */
    void afterServerChange() {
        segmentSlots.clear();
        faults.afterServerChange();
    }

    /** The objects the current transaction opened. */
    org.bess.client.frame.OpenedObjects<RemoteObjectRef> opened() {
        return opened;
    }

    /** Commits the open transaction: shipped changes first (copy-on-access), then the commit request. */
    void commit(final RemoteTransaction t) {
        boolean done = false;
        try {
            faults.beforeCommit();
            call(request(Wire.COMMIT));
            done = true;
        } finally {
            if (current == t) {
                current = null;
                t.ended();
                faults.transactionEnded(done);
                frames.endTransaction();
                if (!done && lost == null) {
                    abortQuietly();
                }
            }
        }
    }

    private void abortQuietly() {
        try {
            call(request(Wire.ABORT));
        } catch (final BessException e) {
            // the commit's failure is the one the caller sees
        }
    }

    /** Rolls the open transaction back. */
    void abort(final RemoteTransaction t) {
        try {
            if (current == t) {
                call(request(Wire.ABORT));
            }
        } finally {
            if (current == t) {
                current = null;
                t.ended();
                faults.transactionEnded(false);
                frames.endTransaction();
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        stopBeats();
        try {
            if (current != null && lost == null) {
                abort(current);
            }
        } finally {
            faults.closing();
            try {
                frames.close();
            } catch (final RuntimeException e) {
                // the server drops this connection's mappings when the socket closes
            }
            closed = true;
            faults.close();
            closeChannel();
            if (recoveryBuffer != null) {
                recoveryBuffer.close();
            }
        }
    }

    /** This session's recovery buffer, mapped read-only (null when the server names none). */
    public RecoveryBufferMapping recoveryBuffer() {
        return recoveryBuffer;
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (final IOException e) {
            // closing a broken connection: nothing more to do
        }
    }
}
