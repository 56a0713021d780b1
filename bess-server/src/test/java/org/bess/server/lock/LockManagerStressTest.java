package org.bess.server.lock;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.LockTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Eight threads run short transactions over sixteen pages with random S and X locks (re-entrant requests and upgrades
 * included), each under IS or IX on the database as the hierarchy asks; one transaction in twenty starts with a
 * whole-database S, SIX or X lock instead. Transactions abort on deadlock or timeout. A model per page, updated only while the lock is held, checks that no
 * two incompatible holders ever overlap; a checker thread verifies the lock table's invariants (among them: no waiter
 * that could be granted is left waiting) while the load runs; every thread must finish.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LockManagerStressTest {
    private static final int THREADS = 8;
    private static final int PAGES = 16;
    private static final long RUN_NS = TimeUnit.MILLISECONDS.toNanos(2_500);
    private static final long LOCK_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final NanoClock CLOCK = SystemNanoClock.INSTANCE;

    private final LockManager manager =
            new LockManager(new LockContext().shardCount(4).deadlockRecheckNs(TimeUnit.MILLISECONDS.toNanos(20)));
    private static final long DATABASE = LockResource.database(0);
    private static final int DATABASE_INDEX = PAGES;
    private static final LockMode[] WHOLE_DATABASE_MODES = {LockMode.S, LockMode.SIX, LockMode.X};

    private final PageModel[] model = new PageModel[PAGES + 1];
    private final AtomicReference<String> violation = new AtomicReference<>();
    private final AtomicLong nextTxnId = new AtomicLong();
    private final LongAdder commits = new LongAdder();
    private final LongAdder deadlocks = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder invariantChecks = new LongAdder();

    @Test
    void shouldNeverGrantIncompatibleLocksNorLoseAWakeUp() throws Exception {
        final long seed = new SplittableRandom().nextLong();
        for (int i = 0; i < model.length; i++) {
            model[i] = new PageModel();
        }
        final ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        final CountDownLatch done = new CountDownLatch(THREADS);
        try {
            final List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final SplittableRandom random = new SplittableRandom(seed + t);
                workers.add(pool.submit(() -> {
                    try {
                        runTransactions(random);
                    } finally {
                        done.countDown();
                    }
                }));
            }
            final Future<?> checker = pool.submit(() -> checkWhileRunning(done));
            for (final Future<?> worker : workers) {
                worker.get(40, TimeUnit.SECONDS);
            }
            checker.get(10, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        final String stats = "seed=" + seed + ", commits=" + commits + ", deadlocks=" + deadlocks + ", timeouts="
                + timeouts + ", invariant checks=" + invariantChecks;
        // the figure TESTING.md row 20 asks for, in target/surefire-reports/*-output.txt
        System.out.println("lock stress: " + stats + ", timeouts counted by the manager=" + manager.timeoutCount());
        assertThat(violation.get()).as(stats).isNull();
        assertThat(commits.sum()).as(stats).isPositive();
        assertThat(invariantChecks.sum()).as(stats).isPositive();
        assertThat(manager.deadlockCount()).as(stats).isEqualTo(deadlocks.sum());
        assertThat(manager.lockCount()).as(stats).isZero();
        assertThat(manager.waiterCount()).as(stats).isZero();
        manager.checkInvariants();
    }

    private void runTransactions(final SplittableRandom random) {
        final long endNs = CLOCK.nanoTime() + RUN_NS;
        while (CLOCK.nanoTime() - endNs < 0 && violation.get() == null) {
            final long txnId = nextTxnId.incrementAndGet();
            final Map<Integer, LockMode> held = new HashMap<>();
            try {
                if (random.nextInt(20) == 0) {
                    lock(txnId, DATABASE_INDEX, WHOLE_DATABASE_MODES[random.nextInt(3)], held);
                }
                final int lockCount = 1 + random.nextInt(4);
                for (int i = 0; i < lockCount; i++) {
                    final int page = random.nextInt(PAGES);
                    final LockMode mode = random.nextInt(3) == 0 ? LockMode.X : LockMode.S;
                    lock(txnId, DATABASE_INDEX, mode == LockMode.X ? LockMode.IX : LockMode.IS, held);
                    lock(txnId, page, mode, held);
                }
                commits.increment();
            } catch (final DeadlockException e) {
                deadlocks.increment();
            } catch (final LockTimeoutException e) {
                timeouts.increment();
            } finally {
                // leave the model before the locks go: the model's holding periods nest inside the real ones
                for (final Map.Entry<Integer, LockMode> entry : held.entrySet()) {
                    model[entry.getKey()].change(txnId, entry.getValue(), null);
                }
                manager.releaseAll(txnId);
            }
        }
    }

    private void lock(final long txnId, final int index, final LockMode mode, final Map<Integer, LockMode> held) {
        final long resource = index == DATABASE_INDEX ? DATABASE : LockResource.page(0, 0, index);
        manager.lock(txnId, resource, mode, LOCK_TIMEOUT_NS);
        final LockMode before = held.get(index);
        final LockMode after = before == null ? mode : before.supremum(mode);
        if (before != after) {
            model[index].change(txnId, before, after);
            held.put(index, after);
        }
        if (manager.modeHeld(txnId, resource) != after) {
            violation.compareAndSet(
                    null,
                    "txn " + txnId + " holds " + manager.modeHeld(txnId, resource) + ", not " + after + " on "
                            + LockResource.toString(resource));
        }
    }

    private void checkWhileRunning(final CountDownLatch done) {
        try {
            while (!done.await(5, TimeUnit.MILLISECONDS)) {
                manager.checkInvariants();
                invariantChecks.increment();
            }
        } catch (final IllegalStateException e) {
            violation.compareAndSet(null, e.getMessage());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The holders of one page as the test sees them; a change that makes two holders incompatible is recorded. */
    private final class PageModel {
        private final Map<Long, LockMode> holders = new HashMap<>();

        synchronized void change(final long txnId, final LockMode before, final LockMode after) {
            if (before == null ? holders.containsKey(txnId) : holders.get(txnId) != before) {
                violation.compareAndSet(null, "model out of step: txn=" + txnId + ", holders=" + holders);
            }
            holders.remove(txnId);
            if (after == null) {
                return;
            }
            for (final Map.Entry<Long, LockMode> other : holders.entrySet()) {
                if (!other.getValue().isCompatibleWith(after)) {
                    violation.compareAndSet(
                            null,
                            "incompatible holders at once: txn " + txnId + " " + after + " and txn " + other.getKey()
                                    + " " + other.getValue());
                }
            }
            holders.put(txnId, after);
        }
    }
}
