package org.bess.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bess.server.lock.LockContext;
import org.bess.server.lock.LockManager;
import org.bess.server.lock.LockMode;
import org.bess.server.lock.LockResource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The price of a page lock in the in-process lock table (DESIGN.md §5 sets under 1 µs for an uncontended lock): one
 * transaction taking a lock and releasing it at "commit", alone, and two threads doing so on the same page, with
 * shared locks (they share it) and exclusive ones (they take turns, and the loser parks until the winner releases).
 *
 * <p>Each operation is a whole short transaction: {@code lock} then {@code releaseAll}, with a fresh transaction id.
 * The lock manager is shared by the threads of a run; the page of the uncontended case is the thread's own.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        // appended, not replacing: requirements of the code under test (Agrona 2.x, LmdbJava)
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
public class LockBenchmark {
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final long SHARED_PAGE = LockResource.page(0, 0, 0);

    /** The lock manager of one run, shared by its threads. */
    @State(Scope.Benchmark)
    public static class Table {
        /** The lock manager under test. */
        LockManager manager;

        final AtomicLong threads = new AtomicLong();

        /** Makes the lock manager with the default settings. */
        @Setup(Level.Trial)
        public void setUp() {
            manager = new LockManager(new LockContext());
        }
    }

    /** One thread's transactions: ids that no other thread uses, and a page no other thread locks. */
    @State(Scope.Thread)
    public static class Txns {
        long nextTxnId;
        long ownPage;

        /**
         * Takes a range of transaction ids and an own page.
         *
         * @param table the shared lock manager.
         */
        @Setup(Level.Trial)
        public void setUp(final Table table) {
            final long thread = table.threads.incrementAndGet();
            nextTxnId = thread << 40;
            ownPage = LockResource.page(0, 1, thread);
        }
    }

    /**
     * An uncontended S lock on the thread's own page, then commit.
     *
     * @param table the lock manager.
     * @param txns this thread's transactions.
     * @return the locks released, so that the call cannot be eliminated.
     */
    @Benchmark
    public int uncontendedLockRelease(final Table table, final Txns txns) {
        final long txnId = txns.nextTxnId++;
        table.manager.lock(txnId, txns.ownPage, LockMode.S, TIMEOUT_NS);
        return table.manager.releaseAll(txnId);
    }

    /**
     * Two threads take S on the same page and commit: compatible, never waiting, contending for the shard only.
     *
     * @param table the lock manager.
     * @param txns this thread's transactions.
     * @return the locks released.
     */
    @Benchmark
    @Group("contendedShared")
    @GroupThreads(2)
    public int contendedSharedLockRelease(final Table table, final Txns txns) {
        final long txnId = txns.nextTxnId++;
        table.manager.lock(txnId, SHARED_PAGE, LockMode.S, TIMEOUT_NS);
        return table.manager.releaseAll(txnId);
    }

    /**
     * Two threads take X on the same page and commit: one waits whenever the other holds it.
     *
     * @param table the lock manager.
     * @param txns this thread's transactions.
     * @return the locks released.
     */
    @Benchmark
    @Group("contendedExclusive")
    @GroupThreads(2)
    public int contendedExclusiveLockRelease(final Table table, final Txns txns) {
        final long txnId = txns.nextTxnId++;
        table.manager.lock(txnId, SHARED_PAGE, LockMode.X, TIMEOUT_NS);
        return table.manager.releaseAll(txnId);
    }
}
