package org.bess.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.exceptions.BessException;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.LockTimeoutException;
import org.bess.format.LogRecordDescriptor;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;
import org.bess.server.lock.LockManager;
import org.bess.server.lock.LockMode;
import org.bess.server.lock.LockResource;
import org.bess.server.log.LogWriter;
import org.bess.server.txn.PageDiff;
import org.bess.server.txn.TransactionManager;

/**
 * A node's engine: the page cache, the log, the transactions and their locks, and the open databases, shared by the
 * sessions on it. {@link #embedded(Path)} runs it inside the application's process with one session; {@link
 * #start(Context)} and {@link #openSession()} give several sessions (one per thread) running transactions
 * concurrently; the node daemon runs the same engine behind a socket.
 *
 * <p>Concurrency: one engine latch (a {@link ReentrantLock}) serializes every entry into the engine's structures;
 * transactions are isolated by strict two-phase page locks ({@link LockManager}). A session waiting for a page lock,
 * and a committer waiting for its log force, let the latch go while they wait, so other sessions run, and many commits
 * share one {@code fdatasync} (group commit).
 */
@SuppressWarnings("try") // the latch guard is used for its close() only
public final class BessServer implements AutoCloseable {
    private static final ThreadLocal<EmbeddedSession> THREAD_SESSION = new ThreadLocal<>();

    private final Context context;
    private final BufferCache cache;
    private final SlotSnapshots.Budget snapshotBudget;
    private final UpdatePath updatePath;
    private final EngineIoThreads io;
    private final LogWriter log;
    private final TransactionManager txns;
    private final LockManager locks;
    private final long lockTimeoutNs;
    private final ReentrantLock latch = new ReentrantLock();
    private EmbeddedSession currentSession;
    private final Map<Path, EngineDatabase> databases = new LinkedHashMap<>();
    private final Set<EmbeddedSession> sessions = new LinkedHashSet<>();
    private long[] windowDatabase = new long[16];
    private int[] windowArea = new int[16];
    private EngineDatabase[] windowDb = new EngineDatabase[16];
    /** Pages per extent of each window's area: which pages are metadata (never locked), without an area lookup. */
    private int[] windowExtentPages = new int[16];

    private int nextWindow;
    private int nextDatabaseNumber;
    /** Written under the latch; read without it by committers ({@link #checkpointDue()}). */
    private volatile long lastCheckpointLsn;

    private volatile long lastCheckpointNanos = System.nanoTime();
    private long checkpoints;
    private boolean closeWithLastSession;
    private String recovery;
    /** What the log's open scan found for restart recovery; taken (and dropped) by it. */
    private RestartRecovery.Analysis recoveryAnalysis;

    private boolean closed;
    /** A fuzzy checkpoint has let the latch go for its areas' force (guarded by the latch). */
    private boolean fuzzyCheckpointRunning;

    BessServer(final Context context) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "bess needs a little-endian machine");
        }
        this.context = context;
        sweepStaleCaches(context.cacheDir());
        try {
            Files.createDirectories(context.nodeDir());
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot create the node directory: nodeDir=" + context.nodeDir(), e);
        }
        this.cache = new BufferCache(context.cacheDir(), context.cacheFrames());
        nameNode(context.cacheDir(), context.nodeDir());
        this.snapshotBudget = new SlotSnapshots.Budget(cache.frameCount());
        RestartRecovery.Analysis analysis = null;
        try {
            cache.storageIo(context.storageIo());
            // the open scan that finds the log's end is also restart's analysis and redo pass: restart recovery runs
            // it (RestartRecovery.run) once the engine around the log exists, since redo opens databases
            analysis = RestartRecovery.Analysis.forLog(context.nodeDir().resolve("log"), cache);
            this.log = LogWriter.unopened(
                    context.storageIo().openLog(context.nodeDir().resolve("log")), context.logSegmentBytes());
            this.recoveryAnalysis = analysis;
        } catch (final RuntimeException e) {
            if (analysis != null) {
                analysis.stopPrefault();
            }
            cache.close();
            throw e;
        }
        // the next transaction id is known once the log's open scan ran (logOpened)
        this.txns = new TransactionManager(log, cache, new WindowPages(), 1, context.recoveryBufferPages());
        txns.fullPageImages(context.fullPageImages());
        this.updatePath = new UpdatePath(this, cache, txns);
        this.locks = new LockManager(context.lockContext());
        this.lockTimeoutNs = context.lockContext().lockTimeoutNs();
        this.io = new EngineIoThreads(this);
        this.lastCheckpointLsn = log.endLsn();
        // a full cache asks the session on the latch to unmap its frames (only its own: other sessions' frames belong
        // to their threads)
        cache.pressureHandler(() -> {
            final EmbeddedSession s = currentSession;
            if (s != null && !io.onIoThread()) {
                s.frames().invalidateAll(-1);
            }
        });
        cache.pinHook((window, pageNo) -> lockPageForAccess(window, pageNo, LockMode.S));
        cache.recLsnSource(log::endLsn);
        cache.writeBackGate(new org.bess.server.cache.WriteBackGate() {
            @Override
            public void beforeWriteBack(final int window, final long pageNo, final int frame) {
                final long lsn = txns.beforeWriteBack(window, pageNo, frame);
                // before the log is open (restart's redo inside its open scan) every record is one the scan read from
                // the log files, as durable as the log open makes the rest of them: nothing to force
                if (lsn > 0 && log.isOpen() && lsn >= log.durableLsn()) {
                    log.force(lsn);
                }
                FaultPoints.hit("writeBack.afterLogForce");
            }

            @Override
            public boolean mayWriteBack(final int window, final long pageNo, final int frame) {
                // only the owner's own thread may write a page its transaction is changing in place
                final TransactionManager.Txn owner = txns.bufferOwner(window, pageNo);
                if (owner == null || owner == txns.current() || cache.accessCount(frame) == 0) {
                    return true;
                }
                final EmbeddedSession mine = THREAD_SESSION.get();
                return mine != null && mine.txn() == owner;
            }

            @Override
            public boolean clientExclusive(final int window, final long pageNo) {
                // a shared-memory client's X by the lock fast path: changed in place, nothing logged or told yet
                return locks.isFastPathExclusive(pageResourceOrZero(window, pageNo));
            }
        });
    }

    /**
     * Deletes the cache directories that engines left behind when their process died (SIGKILL, SIGSEGV, power cut):
     * siblings named {@code bess-<node>-<pid>} whose process is gone and that are either of this node directory or of
     * a node directory that no longer exists (their {@value #CACHE_NODE_FILE} file names it; test runs and scratch
     * nodes leave many). Caches of live processes, and of other existing node directories, are left alone: their node
     * directory's next engine sweeps them.
     */
    private static void sweepStaleCaches(final Path cacheDir) {
        final Path parent = cacheDir.toAbsolutePath().getParent();
        final String name = cacheDir.getFileName().toString();
        final int dash = name.lastIndexOf('-');
        if (parent == null || !name.startsWith("bess-") || dash <= "bess-".length()) {
            return;
        }
        final String prefix = name.substring(0, dash + 1);
        try (java.nio.file.DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, "bess-*-*")) {
            for (final Path d : dirs) {
                final String other = d.getFileName().toString();
                final String pid = other.substring(other.lastIndexOf('-') + 1);
                if (d.equals(cacheDir) || !pid.matches("[0-9]{1,18}")) {
                    continue;
                }
                if (ProcessHandle.of(Long.parseLong(pid)).isPresent()) {
                    continue;
                }
                if (other.startsWith(prefix) || nodeGone(d)) {
                    deleteQuietly(d);
                }
            }
        } catch (final IOException | RuntimeException e) {
            // best effort: a stale cache only costs memory
        }
    }

    /** The file in a cache directory that names the engine's node directory (one line, its absolute path). */
    static final String CACHE_NODE_FILE = org.bess.server.cache.BufferCache.NODE_FILE;

    /** Whether a cache directory names its node directory and that directory no longer exists. */
    private static boolean nodeGone(final Path cache) {
        final Path file = cache.resolve(CACHE_NODE_FILE);
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > 4096) {
                return false;
            }
            final String node = Files.readString(file).trim();
            return !node.isEmpty() && node.startsWith("/") && !Files.exists(Path.of(node));
        } catch (final IOException | RuntimeException e) {
            return false;
        }
    }

    /** Names the node directory in the cache directory, for {@link #sweepStaleCaches} of other engines. */
    private static void nameNode(final Path cacheDir, final Path nodeDir) {
        try {
            Files.writeString(
                    cacheDir.resolve(CACHE_NODE_FILE), nodeDir.toAbsolutePath().normalize() + "\n");
        } catch (final IOException e) {
            // best effort: without it, only this node's next engine sweeps the cache if this process dies
        }
    }

    private static void deleteQuietly(final Path dir) {
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (final IOException e) {
                    // best effort
                }
            });
        } catch (final IOException e) {
            // best effort
        }
    }

    /** Durable page identities of windows, and the frames hook, for the transaction manager. */
    private final class WindowPages implements TransactionManager.Pages {
        @Override
        public long databaseId(final int window) {
            return windowDatabase[window];
        }

        @Override
        public int areaId(final int window) {
            return windowArea[window];
        }

        @Override
        public int window(final long databaseId, final int areaId) {
            for (int w = 0; w < nextWindow; w++) {
                if (windowDatabase[w] == databaseId && windowArea[w] == areaId) {
                    return w;
                }
            }
            return -1;
        }

        @Override
        public void protectWrittenFrames() {
            final EmbeddedSession s = currentSession;
            if (s != null && !io.onIoThread()) {
                s.protectWritten();
            }
        }
    }

    // ---- starting, sessions, stopping

    /**
     * Starts an engine inside this process with defaults (cache in {@code /dev/shm}, 256 MiB), running restart
     * recovery first when the node was not shut down cleanly.
     *
     * @param nodeDir the node directory (created if missing).
     * @return the engine; open sessions with {@link #openSession()}, stop it with {@link #close()}.
     */
    public static BessServer start(final Path nodeDir) {
        return start(new Context().nodeDir(nodeDir));
    }

    /**
     * Starts an engine inside this process, running restart recovery first when the node was not shut down cleanly.
     *
     * @param context the configuration.
     * @return the engine; open sessions with {@link #openSession()}, stop it with {@link #close()}.
     */
    public static BessServer start(final Context context) {
        final BessServer server = new BessServer(context);
        try {
            final EmbeddedSession recoverySession = new EmbeddedSession(server);
            server.sessions.add(recoverySession);
            try (EmbeddedSession.Guard g = recoverySession.enter()) {
                server.recovery = RestartRecovery.run(server);
            } finally {
                recoverySession.close();
            }
        } catch (final RuntimeException e) {
            // a failed recovery leaves pages half restored in the cache: they must never be written back (no
            // checkpoint at close), and the next start recovers from the log again
            server.log().failStop(e);
            // not takeRecoveryAnalysis(): recovery took it when it ran, and its failure is the one to report
            final RestartRecovery.Analysis untaken = server.recoveryAnalysis;
            server.recoveryAnalysis = null;
            if (untaken != null) {
                // recovery never ran: stop populating frames before the cache closes
                untaken.stopPrefault();
            }
            try {
                server.close();
            } catch (final RuntimeException suppressed) {
                // the recovery failure is the one to report; closing after it may fail too
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return server;
    }

    /**
     * Opens a session: one thread at a time uses it; sessions on one engine run their transactions concurrently.
     *
     * @return a new session.
     */
    public Session openSession() {
        return openSession(true);
    }

    /** Opens a session; {@code localFrames} false for a client process's session (see {@link EmbeddedSession}). */
    Session openSession(final boolean localFrames) {
        latch.lock();
        try {
            if (closed) {
                throw new BessException(ErrorCode.ILLEGAL_STATE, "engine is closed: " + context.nodeDir());
            }
            final EmbeddedSession s = new EmbeddedSession(this, localFrames);
            sessions.add(s);
            return s;
        } finally {
            latch.unlock();
        }
    }

    /**
     * Starts an engine inside this process with defaults (cache in {@code /dev/shm}, 256 MiB).
     *
     * @param nodeDir the node directory (created if missing).
     * @return a session; closing it stops the engine.
     */
    public static Session embedded(final Path nodeDir) {
        return embedded(new Context().nodeDir(nodeDir));
    }

    /**
     * Starts an engine inside this process with one session.
     *
     * @param context the configuration.
     * @return a session; closing it stops the engine.
     */
    public static Session embedded(final Context context) {
        final BessServer server = start(context);
        server.closeWithLastSession = true;
        return server.openSession();
    }

    /**
     * What restart recovery did when an embedded session's engine started.
     *
     * @return a one-line summary, or null when the node had been shut down cleanly.
     */
    public static String recoverySummary(final Session session) {
        return ((EmbeddedSession) session).recovery();
    }

    /** What restart recovery did when this engine started, or null when the node had been shut down cleanly. */
    public String recovery() {
        return recovery;
    }

    /**
     * How many times the virtual frames of an embedded session took their slow path (a frame not yet mapped, turned
     * {@code PROTECTED} by the level-one clock, not yet locked by the transaction, or not yet writable). Every {@code
     * mmap} and {@code mprotect} made for an object access happens on that path, so an unchanged count across accesses
     * proves they made no system call. For tests and benchmarks.
     *
     * @param session a session of an engine in this process.
     * @return the slow-path entries so far.
     * @throws BessException {@code BAD_ARGUMENT} when the session is not an embedded one.
     */
    public static long frameFaults(final Session session) {
        if (!(session instanceof EmbeddedSession embedded)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "not an embedded session: " + session);
        }
        return embedded.frames().faultCount();
    }

    /** The configuration. */
    public Context context() {
        return context;
    }

    /**
     * Cache and checkpoint counters: {cache hits, misses, evictions, frames holding a page, frames, checkpoints taken
     * since the engine started}. Counting the frames in use scans the frame descriptors: for statistics only.
     */
    public long[] cacheCounters() {
        latch.lock();
        try {
            if (closed) {
                throw new BessException(ErrorCode.ILLEGAL_STATE, "engine is closed: " + context.nodeDir());
            }
            return new long[] {
                cache.hits(), cache.misses(), cache.evictions(), cache.framesInUse(), cache.frameCount(), checkpoints
            };
        } finally {
            latch.unlock();
        }
    }

    /**
     * Takes a checkpoint now (the node daemon's at shutdown, before {@link #close()}, which takes another).
     *
     * @return the log's durable end after it.
     */
    public long checkpoint() {
        io.barrier();
        latch.lock();
        try {
            if (closed) {
                throw new BessException(ErrorCode.ILLEGAL_STATE, "engine is closed: " + context.nodeDir());
            }
            checkpointNow();
            return log.durableLsn();
        } finally {
            latch.unlock();
        }
    }

    /** The lock manager (the session endpoint lists each client's locks and attaches the shared lock table to it). */
    LockManager locks() {
        return locks;
    }

    /** Lock-manager counters: {locks held, requests waiting, deadlock victims, lock wait timeouts}. */
    public long[] lockCounters() {
        return new long[] {locks.lockCount(), locks.waiterCount(), locks.deadlockCount(), locks.timeoutCount()};
    }

    /** Transaction counters: {commits, aborts, log bytes appended, log forces}. */
    public long[] transactionCounters() {
        latch.lock();
        try {
            return new long[] {txns.commits(), txns.aborts(), log.bytesAppended(), log.forces()};
        } finally {
            latch.unlock();
        }
    }

    void sessionClosed(final EmbeddedSession s) {
        boolean last;
        latch.lock();
        try {
            sessions.remove(s);
            for (final EngineDatabase db : databases.values()) {
                db.forgetSession(s);
            }
            last = sessions.isEmpty() && closeWithLastSession;
        } finally {
            latch.unlock();
        }
        if (last) {
            close();
        }
    }

    // ---- the latch

    /** Takes the engine latch for a session (waiting first, outside it, for queued asynchronous operations). */
    void enter(final EmbeddedSession s) {
        if (!latch.isHeldByCurrentThread()) {
            io.barrier();
        }
        latch.lock();
        if (latch.getHoldCount() == 1) {
            currentSession = s;
            txns.use(s.txn());
            final Thread thread = Thread.currentThread();
            if (s.lastThread != thread) {
                s.lastThread = thread;
                THREAD_SESSION.set(s);
            }
        }
    }

    /**
     * Waits for the engine's queued asynchronous operations, as {@link #enter} does before it takes the latch: for a
     * session call answered without the latch (an open resolved from the session's slot snapshots).
     */
    void awaitQueued() {
        // nothing queued (the usual case): no look at the latch
        if (!io.idle() && !latch.isHeldByCurrentThread()) {
            io.barrier();
        }
    }

    /** Takes the engine latch on the I/O thread, for an operation a session submitted. */
    void enterFromIo(final EmbeddedSession s) {
        latch.lock();
        if (latch.getHoldCount() == 1) {
            currentSession = s;
            txns.use(s == null ? null : s.txn());
        }
    }

    void exit() {
        if (latch.getHoldCount() == 1) {
            currentSession = null;
            txns.use(null);
        }
        latch.unlock();
    }

    /** The session holding the latch now, or null. */
    EmbeddedSession currentSession() {
        return currentSession;
    }

    /** The session this thread used last (for calls on shared objects such as a {@link Database}). */
    EmbeddedSession threadSession() {
        final EmbeddedSession s = THREAD_SESSION.get();
        if (s != null && s.server() == this) {
            return s;
        }
        if (sessions.size() == 1) {
            return sessions.iterator().next();
        }
        throw new BessException(
                ErrorCode.ILLEGAL_STATE,
                "no session of this engine was used on this thread: begin a transaction in a session first");
    }

    /**
     * Runs {@code wait} with the latch let go (every hold of it), then takes it back and restores the current session
     * and transaction.
     */
    private void withoutLatch(final Runnable wait) {
        final EmbeddedSession s = currentSession;
        final TransactionManager.Txn t = txns.current();
        final int holds = latch.getHoldCount();
        for (int i = 0; i < holds; i++) {
            latch.unlock();
        }
        try {
            wait.run();
        } finally {
            for (int i = 0; i < holds; i++) {
                latch.lock();
            }
            currentSession = s;
            txns.use(t);
        }
    }

    // ---- locks

    /** The lock resource of a page of an open window. */
    long pageResource(final int window, final long pageNo) {
        final EngineDatabase db = windowDb[window];
        return LockResource.page(db.number(), windowArea[window], pageNo);
    }

    /** The lock resource of a page, or 0 when its window is not open or the page is area metadata (never locked). */
    long pageResourceOrZero(final int window, final long pageNo) {
        if (window < 0 || window >= windowDb.length || windowDb[window] == null) {
            return 0;
        }
        if (StorageArea.isMetaPage(pageNo, windowExtentPages[window])) {
            return 0;
        }
        return LockResource.page(windowDb[window].number(), windowArea[window], pageNo);
    }

    /**
     * Adopts the before-images a shared-memory client sealed in the client slots of its recovery buffer for the pages
     * its transaction X-locked by the lock fast path (docs/format/recovery-buffer.md, "Images the client makes"). A
     * slot the transaction holds no X on is refused and left alone (the client could not have changed that page); a
     * slot of a page it holds X on that is not sound (state, transaction, flags, image checksum) marks the transaction
     * damaged: it can then be neither committed nor rolled back, and its rollback stops the log. Under the latch.
     *
     * @param adopted per client slot, whether it was handled in this transaction already (updated).
     * @param problems receives one line per slot refused.
     * @return slots adopted.
     */
    int adoptClientImages(
            final TransactionManager.Txn t,
            final org.bess.server.txn.RecoveryBuffer area,
            final boolean[] adopted,
            final List<String> problems) {
        if (t == null || area == null) {
            return 0;
        }
        int n = 0;
        final int first = area.serverSlots();
        for (int i = 0; i < Math.min(adopted.length, area.clientSlots()); i++) {
            final int slot = first + i;
            if (adopted[i] || area.state(slot) == org.bess.format.RecoveryBufferDescriptor.STATE_FREE) {
                continue;
            }
            adopted[i] = true;
            final long key = area.entryKey(slot);
            final int window = (int) (key >>> 40) - 1;
            final long pageNo = key & ((1L << 40) - 1);
            final long resource = pageResourceOrZero(window, pageNo);
            if (resource == 0 || !locks.holds(t.id(), resource, LockMode.X)) {
                problems.add("client-made before-image refused, not restored: file=" + area.file() + ", slot=" + slot
                        + ", key=0x" + Long.toHexString(key) + ": transaction " + t.id()
                        + " holds no X lock on that page");
                continue;
            }
            final int frame = cache.frameOf(window, pageNo);
            try {
                if (frame < 0) {
                    throw new BessException(
                            ErrorCode.CORRUPT_PAGE,
                            "a page X-locked by a client's lock fast path is not cached: window=" + window + ", page="
                                    + pageNo);
                }
                final int pinned = cache.pinUnlocked(window, pageNo, false);
                try {
                    txns.adoptClientImage(t, slot, key, pinned);
                } finally {
                    cache.unpin(pinned);
                }
                n++;
            } catch (final BessException e) {
                if (e.errorCode() != ErrorCode.CORRUPT_PAGE) {
                    throw e;
                }
                t.damaged(e.getMessage());
                problems.add(e.getMessage());
            }
        }
        return n;
    }

    /**
     * Locks a page for the current transaction before the engine or the application reads ({@code S}) or changes
     * ({@code X}) it: none for area metadata (changed only as nested top actions), outside transactions, or inside a
     * nested top action. Waits with the latch let go; a deadlock or a timeout rolls the transaction back and throws.
     */
    void lockPageForAccess(final int window, final long pageNo, final LockMode mode) {
        final TransactionManager.Txn t = txns.current();
        if (t == null || updatePath.inStructureChange()) {
            return;
        }
        final EngineDatabase db = windowDb[window];
        if (db == null) {
            return;
        }
        final long resource = LockResource.page(db.number(), windowArea[window], pageNo);
        final boolean exclusive = mode == LockMode.X;
        // the page this transaction locked last (a traversal pins one slotted segment many times in a row)
        if (t == lastLockTxn && resource == lastLockResource && (lastLockExclusive || !exclusive)) {
            return;
        }
        if (!t.holdsLocally(resource, exclusive)) {
            if (StorageArea.isMetaPage(pageNo, windowExtentPages[window])) {
                return;
            }
            lock(t, resource, mode);
        }
        lastLockTxn = t;
        lastLockResource = resource;
        lastLockExclusive = exclusive;
    }

    /**
     * Takes S on a page for the current transaction when that needs no wait (a copy-on-access client's batch of pages
     * it predicts it will read, {@code FETCH_PAGES}): never waits, so it adds no wait and no deadlock to the
     * transaction.
     *
     * @return whether the transaction holds S (or more) on the page now.
     */
    boolean tryLockPageForRead(final int window, final long pageNo) {
        final TransactionManager.Txn t = txns.current();
        if (t == null || window < 0 || window >= windowDb.length || pageNo < 0) {
            return false;
        }
        final EngineDatabase db = windowDb[window];
        if (db == null || updatePath.inStructureChange()) {
            return false;
        }
        if (StorageArea.isMetaPage(pageNo, windowExtentPages[window])) {
            return true;
        }
        final long resource = LockResource.page(db.number(), windowArea[window], pageNo);
        if (t.holdsLocally(resource, false)) {
            return true;
        }
        if (!locks.tryLock(t.id(), resource, LockMode.S)) {
            return false;
        }
        t.rememberLock(resource, false);
        return true;
    }

    /** The last page lock {@link #lockPageForAccess} found held or took, and by which transaction (under the latch). */
    private TransactionManager.Txn lastLockTxn;

    private long lastLockResource;
    private boolean lastLockExclusive;

    /** Locks a resource for the current transaction (a page, a database's catalog); see {@link #lockPageForAccess}. */
    void lock(final TransactionManager.Txn t, final long resource, final LockMode mode) {
        final boolean exclusive = mode == LockMode.X;
        // the local set knows S and X only: an intention mode always asks the lock manager (which answers a covered
        // request at once)
        final boolean plain = exclusive || mode == LockMode.S;
        if (plain && t.holdsLocally(resource, exclusive)) {
            return;
        }
        if (locks.tryLock(t.id(), resource, mode)) {
            if (plain) {
                t.rememberLock(resource, exclusive);
            }
            return;
        }
        final EmbeddedSession s = currentSession;
        try {
            withoutLatch(() -> locks.lock(t.id(), resource, mode, lockTimeoutNs));
        } catch (final DeadlockException | LockTimeoutException e) {
            if (s != null && s.txn() == t) {
                s.rollbackVictim();
            }
            throw e;
        }
        if (plain) {
            t.rememberLock(resource, exclusive);
        }
    }

    /** Whether the current transaction holds {@code resource} in a mode covering {@code mode}. */
    boolean holds(final long resource, final LockMode mode) {
        final TransactionManager.Txn t = txns.current();
        return t != null && locks.holds(t.id(), resource, mode);
    }

    // ---- transactions

    /**
     * First half of a commit, under the latch: frees what the transaction freed (as nested top actions), logs its
     * diffs, catalogs and {@code COMMIT}. A failure rolls the transaction back and is thrown: never acknowledged.
     *
     * @return the LSN the log must be durable past before the commit is acknowledged, or 0 when nothing was logged.
     */
    long commitLogged(final TransactionManager.Txn t) {
        try {
            return commitAppend(t);
        } catch (final RuntimeException e) {
            // never acknowledged: roll back, so that the session is not left with a half-committed transaction
            rollbackAfter(t, e);
            throw e;
        }
    }

    /**
     * Last half of a commit, after {@link #commitLogged}: waits for the log force (group commit), logs {@code END},
     * releases the transaction's locks. The caller normally has let the latch go already: none of this needs it (the
     * log and the lock manager are thread safe, and the transaction is no longer active), so a committer woken by its
     * force does not queue for the latch again. When the caller still holds it, it is let go for the wait. A
     * checkpoint due by log volume or time then runs under the latch.
     */
    void commitDurable(final EmbeddedSession s, final TransactionManager.Txn t, final long commitLsn) {
        try {
            if (commitLsn > 0) {
                // a failed force is sticky: the commit is not acknowledged, and restart recovery decides its fate
                if (latch.isHeldByCurrentThread()) {
                    withoutLatch(() -> forceCommit(t, commitLsn));
                } else {
                    forceCommit(t, commitLsn);
                }
            }
        } finally {
            locks.releaseAll(t.id());
        }
        if (checkpointDue()) {
            try (EmbeddedSession.Guard g = s.enter()) {
                if (checkpointDue() && !log.failed() && !fuzzyCheckpointRunning) {
                    checkpointNow(true);
                }
            }
        }
    }

    /** The commit's group force; its {@code END} is appended in the same hold of the log's lock. */
    private void forceCommit(final TransactionManager.Txn t, final long commitLsn) {
        txns.forceCommitAndEnd(t, commitLsn);
        FaultPoints.hit("commit.afterForce");
    }

    /** Whether a fuzzy checkpoint is due by log volume or by time (read without the latch). */
    private boolean checkpointDue() {
        return log.endLsn() - lastCheckpointLsn > context.checkpointLogBytes()
                || System.nanoTime() - lastCheckpointNanos > context.checkpointIntervalMs() * 1_000_000L;
    }

    /** Frees what the transaction freed, logs its diffs, catalogs and {@code COMMIT}: the part under the latch. */
    private long commitAppend(final TransactionManager.Txn t) {
        for (final EngineDatabase db : databases.values()) {
            db.applyDeferredFrees(t);
        }
        final List<ByteBuffer> catalogs = new ArrayList<>();
        for (final EngineDatabase db : databases.values()) {
            final ByteBuffer change = db.catalogChange(t);
            if (change != null) {
                catalogs.add(change);
            }
        }
        try {
            return txns.commitAppend(t, catalogs);
        } finally {
            endTransactionState(t);
        }
    }

    /**
     * Rolls back after {@code failure}; a rollback that fails too leaves pages half restored in memory, which must
     * never be written back or checkpointed: the log is stopped, so that only restart recovery goes on, from the
     * durable log.
     */
    private void rollbackAfter(final TransactionManager.Txn t, final RuntimeException failure) {
        try {
            rollback(t);
        } catch (final RuntimeException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
            log.failStop(rollbackFailure);
        }
    }

    /** Rolls a transaction back: restores its pages and undoes its logged work, then releases its locks. */
    void rollback(final TransactionManager.Txn t) {
        // a transaction that changed nothing has nothing to restore: it must not need the disk (a read-only
        // transaction's abort after a read error would otherwise fail again re-reading allocation hints)
        final boolean changed = t.changed() || catalogChangedBy(t);
        try {
            final UnsafeBuffer page = new UnsafeBuffer(0, 0);
            txns.abort(
                    t,
                    (clr, lsn, flags) -> {
                        final long[] id = PageDiff.pageId(clr);
                        final int window = pages().window(id[0], (int) id[1]);
                        if (window < 0) {
                            return;
                        }
                        final boolean control = (flags & TransactionManager.FLAG_CONTROL_PAGE) != 0;
                        final int frame = cache.pinAs(window, id[2], control);
                        try {
                            PageDiff.applyClr(clr, cache.wrap(page, frame));
                            cache.markDirty(frame);
                            cache.pageLsn(frame, lsn);
                        } finally {
                            cache.unpin(frame);
                        }
                    },
                    this::undoStructure);
            if (changed) {
                for (final EngineDatabase db : databases.values()) {
                    db.afterAbort(t);
                }
            }
        } catch (final RuntimeException e) {
            log.failStop(e);
            throw e;
        } finally {
            endTransactionState(t);
            locks.releaseAll(t.id());
        }
    }

    private boolean catalogChangedBy(final TransactionManager.Txn t) {
        for (final EngineDatabase db : databases.values()) {
            if (ownsCatalog(db, t) && db.catalogChanged()) {
                return true;
            }
        }
        return false;
    }

    /** The logical undo of a nested top action's space-map changes (see {@link TransactionManager#UNDO_FREE}). */
    void undoStructure(final ByteBuffer actions) {
        while (actions.remaining() >= TransactionManager.UNDO_ACTION_LENGTH) {
            final int action = actions.getInt();
            final long dbId = actions.getLong();
            final int areaId = actions.getInt();
            final long page = actions.getLong();
            final int order = actions.getInt();
            final EngineDatabase db = databaseById(dbId);
            final StorageArea area = db == null ? null : db.areaOrNull(areaId);
            if (area == null) {
                continue;
            }
            switch (action) {
                case TransactionManager.UNDO_FREE -> {
                    if (area.isAllocated(page, order)) {
                        area.free(page, order);
                    }
                }
                case TransactionManager.UNDO_REALLOCATE -> area.allocateAt(page, order);
                case TransactionManager.UNDO_SHRINK -> {
                    if (area.isAllocated(page, order + 1)) {
                        area.shrink(page, order + 1, order);
                    }
                }
                default -> throw new BessException(
                        ErrorCode.CORRUPT_PAGE, "unknown undo action in a nested top action: action=" + action);
            }
        }
    }

    private void endTransactionState(final TransactionManager.Txn t) {
        updatePath.endTransaction(t);
        for (final EngineDatabase db : databases.values()) {
            db.endTransaction(t);
        }
    }

    /** Runs an engine operation in its own transaction, committed (durably) or aborted on failure. */
    <T> T runInternal(final Supplier<T> op) {
        final TransactionManager.Txn outer = txns.current();
        final TransactionManager.Txn t = txns.begin();
        final T result;
        try {
            result = op.get();
        } catch (final RuntimeException e) {
            try {
                rollbackAfter(t, e);
            } finally {
                txns.use(outer);
            }
            throw e;
        }
        try {
            commitInternal(t);
        } catch (final RuntimeException e) {
            rollbackAfter(t, e);
            throw e;
        } finally {
            txns.use(outer);
        }
        return result;
    }

    private void commitInternal(final TransactionManager.Txn t) {
        final long lsn = commitAppend(t);
        try {
            if (lsn > 0) {
                log.force(lsn);
                txns.commitEnd(t);
            }
        } finally {
            locks.releaseAll(t.id());
        }
    }

    /** Runs in the current session's open transaction, or in an internal one when none is open. */
    <T> T inTransactionOrInternal(final Supplier<T> op) {
        return txns.current() != null ? op.get() : runInternal(op);
    }

    /**
     * Whether the catalog changes of a database belong to transaction {@code t}: it holds the catalog lock in {@code
     * X}, or no other active transaction does (then the changes came from an internal operation of {@code t}, which
     * runs with the engine to itself for the catalog).
     */
    boolean ownsCatalog(final EngineDatabase db, final TransactionManager.Txn t) {
        final long resource = catalogResource(db);
        if (locks.holds(t.id(), resource, LockMode.X)) {
            return true;
        }
        for (final TransactionManager.Txn other : txns.activeTransactions()) {
            if (other != t && locks.holds(other.id(), resource, LockMode.X)) {
                return false;
            }
        }
        return true;
    }

    static long catalogResource(final EngineDatabase db) {
        return LockResource.file(db.number(), -1);
    }

    /**
     * Locks a file for the current transaction (no lock outside transactions): {@code IX} to add objects or segments
     * to it, {@code IS} to scan it, {@code X} to drop or move it (see {@link LockResource#file}).
     */
    void lockFile(final EngineDatabase db, final int fileId, final LockMode mode) {
        final TransactionManager.Txn t = txns.current();
        if (t != null) {
            lock(t, LockResource.file(db.number(), fileId), mode);
        }
    }

    /** Locks a database's catalog for the current transaction (no lock outside transactions). */
    void lockCatalog(final EngineDatabase db, final LockMode mode) {
        final TransactionManager.Txn t = txns.current();
        if (t != null) {
            lock(t, catalogResource(db), mode);
        }
    }

    /**
     * Operations that move or drop pages under other sessions' frames (compaction, moving a file, removing an area)
     * need the engine to themselves.
     */
    void checkExclusive(final String what) {
        if (sessions.size() > 1) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE,
                    "cannot " + what + " while other sessions are open on the engine: sessions=" + sessions.size());
        }
        if (txns.activeTransactions().size() > (txns.current() == null ? 0 : 1)) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "cannot " + what + " while other transactions are active");
        }
    }

    /** Unmaps a window's frames in every session (their threads are idle: see {@link #checkExclusive}). */
    void invalidateWindowInSessions(final int window) {
        for (final EmbeddedSession s : sessions) {
            s.frames().invalidateAll(window);
        }
    }

    // ---- databases

    Database createDatabase(final Path rootAreaPath, final long extentBytes) {
        final EngineDatabase db = EngineDatabase.create(this, rootAreaPath, extentBytes);
        databases.put(key(rootAreaPath), db);
        runInternal(() -> null);
        checkpointNow();
        return db;
    }

    Database openDatabase(final Path rootAreaPath) {
        return openDatabase(rootAreaPath, true);
    }

    /**
     * Opens a database (or returns it when open); {@code logged} false while the log is not open yet (restart's redo
     * opens databases during the log's open scan, and logs their {@code DATABASE} records once the scan found the
     * log's end: {@link EngineDatabase#logDatabase()}).
     */
    EngineDatabase openDatabase(final Path rootAreaPath, final boolean logged) {
        final EngineDatabase open = databases.get(key(rootAreaPath));
        if (open != null) {
            return open;
        }
        final EngineDatabase db = EngineDatabase.open(this, rootAreaPath, logged);
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

    List<Database> databases() {
        return new ArrayList<>(databases.values());
    }

    Iterable<EngineDatabase> openDatabases() {
        return databases.values();
    }

    private static Path key(final Path path) {
        return path.toAbsolutePath().normalize();
    }

    int nextDatabaseNumber() {
        final int n = nextDatabaseNumber++;
        if (n > LockResource.MAX_DATABASE) {
            throw new BessException(
                    ErrorCode.STORAGE_FULL,
                    "too many databases opened on this engine: max=" + LockResource.MAX_DATABASE);
        }
        return n;
    }

    /** Records which database and area a window shows (its durable page identity for the log). */
    void bindWindow(final int window, final EngineDatabase db, final StorageArea area) {
        if (window >= windowDatabase.length) {
            windowDatabase = java.util.Arrays.copyOf(windowDatabase, window * 2);
            windowArea = java.util.Arrays.copyOf(windowArea, window * 2);
            windowDb = java.util.Arrays.copyOf(windowDb, window * 2);
            windowExtentPages = java.util.Arrays.copyOf(windowExtentPages, window * 2);
        }
        windowDatabase[window] = db.id();
        windowArea[window] = area.id();
        windowDb[window] = db;
        windowExtentPages[window] = area.extentPages();
    }

    /** Forgets a window's identity (its area closed). */
    void unbindWindow(final int window) {
        windowDatabase[window] = 0;
        windowArea[window] = -1;
        windowDb[window] = null;
    }

    // ---- checkpoints

    /**
     * A checkpoint, which may run while transactions are active: store committed catalogs that changed (new chain,
     * written back, then switched in by the root header), write back every dirty page (each after the log is durable
     * to its LSN, uncommitted changes included), force the areas, then log a {@code CHECKPOINT} record naming the
     * databases and the active transactions with their LSNs, force it, remember it in the master file, and recycle the
     * log before both the checkpoint and the oldest active transaction's first record.
     */
    void checkpointNow() {
        checkpointNow(false);
    }

    /**
     * A checkpoint. A full one (at close, after admin operations, when a catalog must be stored) writes back every
     * dirty page it may; a fuzzy one (by log volume or time while transactions run) writes back only pages dirty since
     * before the previous checkpoint and the pages the log cannot redo. Either way, pages another session may be
     * changing in place stay dirty, and the {@code CHECKPOINT} record lists what is still dirty with recovery LSNs:
     * restart redoes from the smallest of them.
     */
    void checkpointNow(final boolean fuzzy) {
        checkpointNow(fuzzy, lastCheckpointLsn);
    }

    /**
     * A checkpoint whose fuzzy write-back takes the dirty pages with a recovery LSN below {@code writeBackBelow} (and
     * those the log cannot redo); catalogs to store make it a full one. Restart recovery passes the start of its redo:
     * only the pages redo could not rebuild from a full page image (and those undo changed) are written back.
     */
    void checkpointNow(final boolean fuzzy, final long writeBackBelow) {
        final TransactionManager.Txn outer = txns.current();
        try {
            FaultPoints.hit("checkpoint.begin");
            final Map<EngineDatabase, long[]> stored = new LinkedHashMap<>();
            boolean storeCatalogs = false;
            for (final EngineDatabase db : databases.values()) {
                storeCatalogs |= db.catalogNeedsStore();
            }
            if (!fuzzy || storeCatalogs) {
                for (final EngineDatabase db : databases.values()) {
                    if (db.catalogNeedsStore()) {
                        stored.put(db, runInternal(db::writeCatalogPages));
                    }
                }
                log.forceAll();
                cache.checkpoint();
                if (!stored.isEmpty()) {
                    runInternal(() -> {
                        for (final Map.Entry<EngineDatabase, long[]> e : stored.entrySet()) {
                            e.getKey().freeCatalogBlock(e.getKey().switchCatalog(e.getValue()));
                        }
                        return null;
                    });
                    log.forceAll();
                    cache.checkpoint();
                }
            } else {
                log.forceAll();
                cache.writeBackFuzzy(writeBackBelow);
                if (!forceAreasLatchFree()) {
                    return;
                }
            }
            FaultPoints.hit("checkpoint.afterFlush");
            // transactions that logged nothing yet need no undo: they are not listed
            final List<TransactionManager.Txn> active = new ArrayList<>();
            for (final TransactionManager.Txn t : txns.activeTransactions()) {
                if (t.lastLsn() > 0) {
                    active.add(t);
                }
            }
            final List<long[]> dirty = new ArrayList<>();
            cache.dirtyPageTable(dirty);
            if (checkpointPayloadLength(active, dirty.size()) > LogRecordDescriptor.MAX_RECORD_LENGTH - 64) {
                // more pages dirtied since the last checkpoint than one record can list (a large cache written
                // fast: ~37,000 pages): write back every page the gate lets go (the log is durable to its end), so
                // that the table lists only pages sessions are changing in place
                cache.checkpointFuzzy(Long.MAX_VALUE);
                dirty.clear();
                cache.dirtyPageTable(dirty);
            }
            final long lsn =
                    log.append(LogRecordDescriptor.TYPE_CHECKPOINT, (short) 0, 0, 0, checkpointPayload(active, dirty));
            log.force(lsn);
            MasterRecord.write(context.nodeDir().resolve("log"), lsn);
            long keep = lsn;
            for (final TransactionManager.Txn t : active) {
                if (t.firstLsn() > 0) {
                    keep = Math.min(keep, t.firstLsn());
                }
            }
            for (final long[] d : dirty) {
                keep = Math.min(keep, d[1]);
            }
            log.recycleBefore(keep);
            lastCheckpointLsn = lsn;
            lastCheckpointNanos = System.nanoTime();
            checkpoints++;
        } finally {
            txns.use(outer);
        }
    }

    /**
     * Forces the areas after a fuzzy checkpoint's write-back: the long {@code fdatasync}s run with the latch let go,
     * so that other sessions go on meanwhile, then a second force under the latch makes durable what evictions wrote
     * in between (usually nothing), before the caller takes the dirty page table. A second fuzzy checkpoint does not
     * start meanwhile; a full one, or the engine's close, may.
     *
     * @return false when the engine closed meanwhile (its close took a full checkpoint: this one ends unlogged).
     */
    private boolean forceAreasLatchFree() {
        if (latch.isHeldByCurrentThread() && !fuzzyCheckpointRunning) {
            final org.bess.server.cache.PageSource[] areas = cache.sources();
            fuzzyCheckpointRunning = true;
            try {
                withoutLatch(() -> BufferCache.force(areas));
            } finally {
                fuzzyCheckpointRunning = false;
            }
            if (closed) {
                return false;
            }
        }
        BufferCache.force(cache.sources());
        return true;
    }

    /**
     * The {@code CHECKPOINT} payload: next transaction id, the databases (id, root path), the transactions active at
     * the checkpoint (id, last LSN), whose records before it restart recovery reaches through their back chains, and
     * the dirty page table (database id, area id, page, recovery LSN): redo starts at the smallest recovery LSN.
     */
    /** The bytes of a {@code CHECKPOINT} payload listing {@code active} and {@code dirtyPages} dirty pages. */
    private int checkpointPayloadLength(final List<TransactionManager.Txn> active, final int dirtyPages) {
        long length = Long.BYTES + Integer.BYTES;
        for (final EngineDatabase db : databases.values()) {
            length += Long.BYTES
                    + Integer.BYTES
                    + db.path().toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8).length;
        }
        length += Integer.BYTES + (long) active.size() * 2 * Long.BYTES;
        length += Integer.BYTES + (long) dirtyPages * (3 * Long.BYTES + Integer.BYTES);
        return (int) Math.min(Integer.MAX_VALUE, length);
    }

    private ByteBuffer checkpointPayload(final List<TransactionManager.Txn> active, final List<long[]> dirty) {
        final List<byte[]> paths = new ArrayList<>();
        for (final EngineDatabase db : databases.values()) {
            paths.add(db.path().toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
        }
        final int length = checkpointPayloadLength(active, dirty.size());
        final ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(txns.nextTxnId()).putInt(databases.size());
        int i = 0;
        for (final EngineDatabase db : databases.values()) {
            b.putLong(db.id()).putInt(paths.get(i).length).put(paths.get(i));
            i++;
        }
        b.putInt(active.size());
        for (final TransactionManager.Txn t : active) {
            b.putLong(t.id()).putLong(t.lastLsn());
        }
        b.putInt(dirty.size());
        for (final long[] d : dirty) {
            final int window = (int) (d[0] >>> 40) - 1;
            b.putLong(window >= 0 && window < windowDatabase.length ? windowDatabase[window] : 0)
                    .putInt(window >= 0 && window < windowArea.length ? windowArea[window] : -1)
                    .putLong(d[0] & ((1L << 40) - 1))
                    .putLong(d[1]);
        }
        return b.flip();
    }

    // ---- internals for the engine

    LogWriter log() {
        return log;
    }

    TransactionManager txns() {
        return txns;
    }

    /**
     * The log's open scan ran (restart recovery): transactions get ids above every id in the log, and the next
     * checkpoint by volume counts from the log's end.
     */
    void logOpened(final long nextTxnId) {
        txns.nextTxnId(nextTxnId);
        lastCheckpointLsn = log.endLsn();
    }

    /** The analysis of the log's open scan, once: restart recovery takes it. */
    RestartRecovery.Analysis takeRecoveryAnalysis() {
        final RestartRecovery.Analysis a = recoveryAnalysis;
        recoveryAnalysis = null;
        if (a == null) {
            throw new IllegalStateException("restart recovery runs once, when the engine starts");
        }
        return a;
    }

    TransactionManager.Pages pages() {
        return new WindowPages();
    }

    BufferCache cache() {
        return cache;
    }

    /** The cache pins the sessions' slot snapshots may still take (under the latch). */
    SlotSnapshots.Budget snapshotBudget() {
        return snapshotBudget;
    }

    UpdatePath updatePath() {
        return updatePath;
    }

    EngineIoThreads io() {
        return io;
    }

    /** This node's identity in area headers: a hash of the node directory's absolute path, never 0. */
    int nodeHash() {
        final int h = context.nodeDir().toAbsolutePath().normalize().toString().hashCode();
        return h == 0 ? 1 : h;
    }

    int allocateWindow() {
        return nextWindow++;
    }

    /** The largest page count a window holds. */
    long windowPages() {
        return context.windowSizeBytes() / org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
    }

    private void closeSharedLockTable() {
        final org.bess.server.lock.SharedLockTable t = locks.sharedTable();
        if (t != null) {
            t.close();
        }
    }

    /** Stops without writing anything more: closes files and drops the cache, as a power cut would (tests only). */
    void halt() {
        latch.lock();
        try {
            closed = true;
            // every session's reserved address range goes (a process would lose them all with its life)
            for (final EmbeddedSession s : sessions) {
                try {
                    s.frames().close();
                    s.closeRecoveryBuffer();
                } catch (final RuntimeException e) {
                    // a power cut does not report errors
                }
            }
            txns.closeAreas();
            sessions.clear();
            for (final EngineDatabase db : databases.values()) {
                db.closeFilesOnly();
            }
            databases.clear();
            io.close();
            log.device().close();
        } finally {
            closeSharedLockTable(); // its file lives in the cache directory, which goes next
            cache.close();
            latch.unlock();
        }
    }

    /**
     * Stops the engine: rolls back open transactions of remaining sessions, checkpoints, closes every database (marking
     * it cleanly closed when everything reached the disk), and closes the log and the cache.
     */
    @Override
    public void close() {
        for (final EmbeddedSession s : new ArrayList<>(sessions)) {
            try {
                s.close();
            } catch (final RuntimeException e) {
                // closing the engine goes on: the session's transaction is undone by recovery at worst
            }
        }
        io.close();
        latch.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
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
            try {
                txns.closeAreas();
                log.close();
            } finally {
                closeSharedLockTable(); // its file lives in the cache directory, which goes next
                cache.close();
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            latch.unlock();
        }
    }
}
