package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.LockTimeoutException;
import org.bess.server.check.DatabaseChecker;
import org.bess.server.lock.LockContext;
import org.bess.server.remote.SessionEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Several sessions on one engine, each on its own thread, with transactions isolated by strict two-phase page locks:
 * readers wait for writers, lock waits time out, deadlocks pick the youngest victim, concurrent transfers keep the
 * total, concurrent allocations and aborts leave the space maps consistent (nested top actions with logical undo), and
 * a crash with transactions in flight at a checkpoint recovers every commit and nothing else.
 */
@Timeout(180)
@SuppressWarnings("try") // the latch guard is used for its close() only
class ConcurrentTransactionTest {
    private static final int SIZE = 64;

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private BessServer server;
    private SessionEndpoint endpoint;

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        closeServer();
    }

    private void closeServer() {
        if (endpoint != null) {
            endpoint.close();
            endpoint = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** A session of the running engine, the given way (client sessions through the endpoint). */
    private Session open(final TestSessions.Way way) {
        if (way == TestSessions.Way.EMBEDDED) {
            return server.openSession();
        }
        if (endpoint == null) {
            endpoint = SessionEndpoint.start(server, dir.resolve("node").resolve(SessionEndpoint.SOCKET_NAME));
        }
        return Bess.connect(dir.resolve("node"), Bess.Mode.valueOf(way.name()));
    }

    private BessServer start(final long lockTimeoutMs) {
        return start(lockTimeoutMs, 256L << 20);
    }

    private BessServer start(final long lockTimeoutMs, final long checkpointLogBytes) {
        server = BessServer.start(new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(8L << 20)
                .checkpointLogBytes(checkpointLogBytes)
                .lockContext(new LockContext()
                        .lockTimeoutNs(TimeUnit.MILLISECONDS.toNanos(lockTimeoutMs))
                        .deadlockRecheckNs(TimeUnit.MILLISECONDS.toNanos(20))));
        return server;
    }

    /**
     * Makes {@code count} objects, each in a file of its own, so alone on its data page and its slot page (page locks
     * are object locks here).
     */
    private static List<Ref> accounts(final Session s, final Database db, final int count, final long balance) {
        final TypeId type = db.defineType("Account", SIZE, new int[0]);
        final List<Ref> refs = new ArrayList<>();
        try (Transaction tx = s.begin()) {
            for (int i = 0; i < count; i++) {
                final ObjectRef o = tx.allocate(tx.createFile(db, "account" + i), type);
                o.putLong(0, balance);
                refs.add(o.ref());
            }
            tx.commit();
        }
        return refs;
    }

    private void assertHealthy(final Path root) {
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).problems())
                .isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldMakeAReaderWaitForTheWritersCommitAndSeeOnlyCommittedValues(final TestSessions.Way way)
            throws Exception {
        start(10_000);
        final Path root = dir.resolve("rw.root");
        final Session a = open(way);
        final Database db = a.createDatabase(root, 1L << 20);
        final List<Ref> refs = accounts(a, db, 2, 100);
        final Transaction writer = a.begin();
        writer.open(refs.get(0)).putLong(0, 555);
        final CountDownLatch started = new CountDownLatch(1);
        final Future<Long> read = pool.submit(() -> {
            try (Session b = open(way);
                    Transaction tx = b.begin()) {
                started.countDown();
                final long v = tx.open(refs.get(0)).getLong(0);
                tx.commit();
                return v;
            }
        });
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        // the reader cannot finish while the writer holds the page: it is waiting for the lock
        Thread.sleep(200);
        assertThat(read.isDone()).as("reader waits for the writer's lock").isFalse();
        writer.commit();
        assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(555);
        a.close();
        assertThat(server.lockCounters()[0]).as("no lock left behind").isZero();
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldTimeOutALockWaitAndRollTheWaiterBack(final TestSessions.Way way) throws Exception {
        start(300);
        final Path root = dir.resolve("timeout.root");
        final Session a = open(way);
        final Database db = a.createDatabase(root, 1L << 20);
        final List<Ref> refs = accounts(a, db, 2, 100);
        final Transaction holder = a.begin();
        holder.open(refs.get(0)).putLong(0, 7);
        final Future<Throwable> waiter = pool.submit(() -> {
            try (Session b = open(way)) {
                final Transaction tx = b.begin();
                tx.open(refs.get(1)).putLong(0, 99);
                try {
                    tx.open(refs.get(0)).getLong(0);
                    return null;
                } catch (final BessException e) {
                    assertThat(tx.isActive()).as("the waiter was rolled back").isFalse();
                    return e;
                }
            }
        });
        assertThat(waiter.get(30, TimeUnit.SECONDS)).isInstanceOf(LockTimeoutException.class);
        holder.commit();
        try (Transaction tx = a.begin()) {
            assertThat(tx.open(refs.get(0)).getLong(0)).isEqualTo(7);
            assertThat(tx.open(refs.get(1)).getLong(0))
                    .as("the rolled back write is gone")
                    .isEqualTo(100);
        }
        assertThat(server.lockCounters()[3]).as("timeouts counted").isEqualTo(1);
        a.close();
        assertHealthyAfterClose(root);
    }

    private void assertHealthyAfterClose(final Path root) {
        closeServer();
        assertHealthy(root);
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldBreakADeadlockByRollingBackTheYoungestTransaction(final TestSessions.Way way) throws Exception {
        start(30_000);
        final Path root = dir.resolve("deadlock.root");
        final Session a = open(way);
        final Database db = a.createDatabase(root, 1L << 20);
        final List<Ref> refs = accounts(a, db, 2, 100);
        final Transaction older = a.begin();
        older.open(refs.get(0)).putLong(0, 1);
        final CountDownLatch youngHasB = new CountDownLatch(1);
        final Future<Throwable> young = pool.submit(() -> {
            try (Session b = open(way)) {
                final Transaction tx = b.begin();
                tx.open(refs.get(1)).putLong(0, 2);
                youngHasB.countDown();
                try {
                    // waits for the older transaction's page: a cycle once the older one asks for this one's page
                    tx.open(refs.get(0)).putLong(0, 2);
                    tx.commit();
                    return null;
                } catch (final BessException e) {
                    return e;
                }
            }
        });
        assertThat(youngHasB.await(30, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(100);
        // the older transaction now waits for the young one's page; the cycle is found and the young one is the victim
        older.open(refs.get(1)).putLong(0, 1);
        older.commit();
        assertThat(young.get(30, TimeUnit.SECONDS)).isInstanceOf(DeadlockException.class);
        try (Transaction tx = a.begin()) {
            assertThat(tx.open(refs.get(0)).getLong(0)).isEqualTo(1);
            assertThat(tx.open(refs.get(1)).getLong(0)).isEqualTo(1);
        }
        assertThat(server.lockCounters()[2]).as("deadlock victims counted").isEqualTo(1);
        a.close();
        assertHealthyAfterClose(root);
    }

    /** Random transfers on several threads (retried when chosen as a deadlock victim): the total never changes. */
    private static long transfers(
            final java.util.function.Supplier<Session> sessions,
            final List<Ref> refs,
            final int threads,
            final int perThread,
            final ExecutorService pool)
            throws Exception {
        final AtomicLong retries = new AtomicLong();
        final List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int seed = t;
            done.add(pool.submit(() -> {
                final Random random = new Random(seed);
                try (Session s = sessions.get()) {
                    for (int i = 0; i < perThread; i++) {
                        final int from = random.nextInt(refs.size());
                        final int to = random.nextInt(refs.size());
                        final long amount = random.nextInt(10);
                        while (true) {
                            final Transaction tx = s.begin();
                            try {
                                final ObjectRef a = tx.open(refs.get(from));
                                a.putLong(0, a.getLong(0) - amount);
                                final ObjectRef b = tx.open(refs.get(to));
                                b.putLong(0, b.getLong(0) + amount);
                                tx.commit();
                                break;
                            } catch (final DeadlockException | LockTimeoutException e) {
                                retries.incrementAndGet();
                                tx.close();
                            }
                        }
                    }
                }
                return null;
            }));
        }
        for (final Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
        return retries.get();
    }

    private static long total(final Session s, final List<Ref> refs) {
        long sum = 0;
        try (Transaction tx = s.begin()) {
            for (final Ref r : refs) {
                sum += tx.open(r).getLong(0);
            }
        }
        return sum;
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldKeepTheTotalUnderConcurrentTransfersAndShareLogForces(final TestSessions.Way way) throws Exception {
        start(30_000);
        final Path root = dir.resolve("bank.root");
        final Session admin = open(way);
        final Database db = admin.createDatabase(root, 1L << 20);
        final List<Ref> refs = accounts(admin, db, 16, 1000);
        final long[] before = server.transactionCounters();
        transfers(() -> open(way), refs, 6, 150, pool);
        final long[] after = server.transactionCounters();
        assertThat(total(admin, refs)).isEqualTo(16 * 1000L);
        final long commits = after[0] - before[0];
        final long forces = after[3] - before[3];
        assertThat(commits).isGreaterThanOrEqualTo(6 * 150L);
        assertThat(forces).as("group commit: fewer forces than commits").isLessThan(commits);
        admin.close();
        assertThat(server.lockCounters()[0]).isZero();
        assertHealthyAfterClose(root);
    }

    @Test
    void shouldUndoConcurrentAllocationsOfAbortedTransactionsLogically() throws Exception {
        start(30_000);
        final Path root = dir.resolve("alloc.root");
        final Session admin = server.openSession();
        final Database db = admin.createDatabase(root, 1L << 20);
        final TypeId type = db.defineType("Blob", 100, new int[0]);
        final int threads = Integer.getInteger("ctt.threads", 4);
        final List<BessFile> files = new ArrayList<>();
        try (Transaction tx = admin.begin()) {
            for (int t = 0; t < threads; t++) {
                files.add(tx.createFile(db, "f" + t));
            }
            tx.commit();
        }
        final AtomicInteger kept = new AtomicInteger();
        final int[] keptPer = new int[threads];
        final List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            done.add(pool.submit(() -> {
                try (Session s = server.openSession()) {
                    final BessFile f;
                    try (Transaction tx = s.begin()) {
                        f = tx.file(db, "f" + id);
                        tx.commit();
                    }
                    for (int round = 0; round < 12; round++) {
                        try (Transaction tx = s.begin()) {
                            // big objects: every round takes new data segments from the shared extent maps
                            for (int i = 0; i < 20; i++) {
                                tx.allocate(f, type, 3000 + 7 * i).putLong(0, round);
                            }
                            if (round % 2 == 0) {
                                tx.commit();
                                kept.addAndGet(20);
                                keptPer[id] += 20;
                            } else {
                                tx.abort();
                            }
                        } catch (final DeadlockException | LockTimeoutException e) {
                            // a victim: rolled back like an abort
                        }
                    }
                }
                return null;
            }));
        }
        for (final Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
        int counted = 0;
        final int[] countedPer = new int[threads];
        try (Transaction tx = admin.begin()) {
            for (int t = 0; t < threads; t++) {
                try (var c = tx.scan(tx.file(db, "f" + t))) {
                    while (c.next()) {
                        counted++;
                        countedPer[t]++;
                    }
                }
            }
        }
        assertThat(countedPer).as("objects per file").containsExactly(keptPer);
        assertThat(counted).isEqualTo(kept.get());
        assertThat(files).hasSize(threads);
        admin.close();
        assertHealthyAfterClose(root);
    }

    @Test
    void shouldRecoverCommitsAndUndoTransactionsInFlightAcrossACheckpointAfterACrash() throws Exception {
        // checkpoints every ~64 KiB of log: several happen while the long transaction is open
        start(30_000, 64L << 10);
        final Path root = dir.resolve("fuzzy.root");
        final Session admin = server.openSession();
        final Database db = admin.createDatabase(root, 1L << 20);
        final List<Ref> refs = accounts(admin, db, 12, 1000);
        final TypeId blob = db.defineType("Blob", 200, new int[0]);
        // a long transaction: changes two accounts and allocates, never commits
        final Session longSession = server.openSession();
        final Transaction open = longSession.begin();
        open.open(refs.get(10)).putLong(0, -1);
        open.open(refs.get(11)).putLong(0, -1);
        final BessFile scratch = open.createFile(db, "scratch");
        for (int i = 0; i < 50; i++) {
            open.allocate(scratch, blob, 2000).putLong(0, i);
        }
        // committed work by others meanwhile, enough to checkpoint several times
        final List<Ref> others = refs.subList(0, 10);
        transfers(server::openSession, others, 3, 200, pool);
        assertThat(total(admin, others)).isEqualTo(10 * 1000L);
        final long[] balances = new long[10];
        try (Transaction tx = admin.begin()) {
            for (int i = 0; i < 10; i++) {
                balances[i] = tx.open(others.get(i)).getLong(0);
            }
        }
        ((EmbeddedSession) admin).crash();
        server = null;
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20))) {
            assertThat(BessServer.recoverySummary(s)).contains("losers rolled back 1");
            final Database again = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < 10; i++) {
                    assertThat(tx.open(new Ref(again, others.get(i).word())).getLong(0))
                            .isEqualTo(balances[i]);
                }
                assertThat(tx.open(new Ref(again, refs.get(10).word())).getLong(0))
                        .isEqualTo(1000);
                assertThat(tx.open(new Ref(again, refs.get(11).word())).getLong(0))
                        .isEqualTo(1000);
                assertThatThrownBy(() -> tx.file(again, "scratch")).isInstanceOf(BessException.class);
            }
        }
        assertHealthy(root);
    }

    @Test
    void shouldCheckpointByTimeAsWellAsByLogVolume() throws Exception {
        server = BessServer.start(new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(8L << 20)
                .checkpointIntervalMs(50));
        final Session s = server.openSession();
        final Database db = s.createDatabase(dir.resolve("timed.root"), 1L << 20);
        final List<Ref> refs = accounts(s, db, 1, 5);
        final long before = server.cacheCounters()[5];
        Thread.sleep(120);
        try (Transaction tx = s.begin()) {
            tx.open(refs.get(0)).putLong(0, 6);
            tx.commit();
        }
        assertThat(server.cacheCounters()[5])
                .as("a commit after the interval checkpoints")
                .isGreaterThan(before);
        s.close();
    }

    @Test
    void shouldRedoFromTheDirtyPageTableOfAFuzzyCheckpoint() throws Exception {
        server = BessServer.start(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20));
        final Path root = dir.resolve("fuzzy-dpt.root");
        final Session s = server.openSession();
        final Database db = s.createDatabase(root, 1L << 20);
        final List<Ref> refs = accounts(s, db, 3, 100);
        // a full checkpoint: everything on disk, then a committed change that only the log holds
        ((EmbeddedSession) s).server().checkpoint();
        try (Transaction tx = s.begin()) {
            tx.open(refs.get(1)).putLong(0, 777);
            tx.commit();
        }
        // a fuzzy checkpoint leaves the page dirty (changed since the previous checkpoint) and lists it with its
        // recovery LSN, which lies before the checkpoint record: redo must start there, not at the checkpoint
        try (EmbeddedSession.Guard g = ((EmbeddedSession) s).enter()) {
            server.checkpointNow(true);
        }
        ((EmbeddedSession) s).crash();
        server = null;
        try (Session again =
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20))) {
            assertThat(BessServer.recoverySummary(again)).contains("recovered");
            final Database reopened = again.openDatabase(root);
            try (Transaction tx = again.begin()) {
                assertThat(tx.open(new Ref(reopened, refs.get(1).word())).getLong(0))
                        .as("the committed change before the fuzzy checkpoint was redone")
                        .isEqualTo(777);
                assertThat(tx.open(new Ref(reopened, refs.get(0).word())).getLong(0))
                        .isEqualTo(100);
            }
        }
        assertHealthy(root);
    }
}
