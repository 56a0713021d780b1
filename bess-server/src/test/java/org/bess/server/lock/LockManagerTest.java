package org.bess.server.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bess.server.lock.LockMode.IS;
import static org.bess.server.lock.LockMode.IX;
import static org.bess.server.lock.LockMode.S;
import static org.bess.server.lock.LockMode.SIX;
import static org.bess.server.lock.LockMode.X;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.SystemNanoClock;
import org.bess.exceptions.BessException;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.LockTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LockManagerTest {
    private static final long LONG_NS = TimeUnit.SECONDS.toNanos(20);
    private static final long PAGE_A = LockResource.page(1, 0, 10);
    private static final long PAGE_B = LockResource.page(1, 0, 11);
    private static final long PAGE_C = LockResource.page(1, 2, 12);
    private static final long FILE = LockResource.file(1, 5);
    private static final long DB = LockResource.database(1);

    private final LockManager manager = new LockManager(new LockContext().maxLocksPerTransaction(10));
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        manager.checkInvariants();
    }

    @Test
    void shouldGrantExactlyTheCompatiblePairsOfTheMatrix() {
        final boolean[][] compatible = {
            // IS    IX     S      SIX    X
            {true, true, true, true, false}, // IS
            {true, true, false, false, false}, // IX
            {true, false, true, false, false}, // S
            {true, false, false, false, false}, // SIX
            {false, false, false, false, false}, // X
        };
        final LockMode[] modes = LockMode.values();
        for (int a = 0; a < modes.length; a++) {
            for (int b = 0; b < modes.length; b++) {
                manager.lock(1, FILE, modes[a], 0);
                assertThat(manager.tryLock(2, FILE, modes[b]))
                        .as("%s held, %s requested", modes[a], modes[b])
                        .isEqualTo(compatible[a][b]);
                manager.releaseAll(1);
                manager.releaseAll(2);
            }
        }
        assertThat(manager.lockCount()).isZero();
        assertThat(manager.waiterCount()).isZero();
    }

    @Test
    void shouldReturnAtOnceForAModeAlreadyCovered() {
        manager.lock(1, PAGE_A, X, 0);
        manager.lock(1, PAGE_A, S, 0);
        manager.lock(1, PAGE_A, X, 0);
        assertThat(manager.modeHeld(1, PAGE_A)).isEqualTo(X);
        assertThat(manager.lockCount(1)).isEqualTo(1);

        manager.lock(1, DB, S, 0);
        manager.lock(1, DB, IS, 0);
        assertThat(manager.modeHeld(1, DB)).isEqualTo(S);
        manager.lock(1, DB, IX, 0); // S + IX = SIX
        assertThat(manager.modeHeld(1, DB)).isEqualTo(SIX);
        assertThat(manager.holds(1, DB, S)).isTrue();
        assertThat(manager.holds(1, DB, IX)).isTrue();
        assertThat(manager.holds(1, DB, X)).isFalse();
        assertThat(manager.holds(2, DB, IS)).isFalse();
        assertThat(manager.modeHeld(1, PAGE_B)).isNull();
        assertThat(manager.lockCount(1)).isEqualTo(2);
        assertThat(manager.lockCount()).isEqualTo(2);
        assertThat(manager.releaseAll(1)).isEqualTo(2);
        assertThat(manager.releaseAll(1)).isZero();
        assertThat(manager.lockCount()).isZero();
    }

    @Test
    void shouldUpgradeAtOnceWhenAlone() {
        manager.lock(1, PAGE_A, S, 0);
        manager.lock(1, PAGE_A, X, 0);
        assertThat(manager.modeHeld(1, PAGE_A)).isEqualTo(X);
        assertThat(manager.tryLock(2, PAGE_A, S)).isFalse();
        assertThat(manager.lockCount(1)).isEqualTo(1);
    }

    @Test
    void shouldMakeAnUpgradeWaitForTheOtherHoldersAndAheadOfNewRequests() throws Exception {
        manager.lock(1, PAGE_A, S, 0);
        manager.lock(2, PAGE_A, S, 0);
        final Future<?> upgrade = lockAsync(1, PAGE_A, X);
        awaitWaiters(1);
        // a new S request is compatible with both holders but not with the waiting upgrade: no barging
        assertThat(manager.tryLock(3, PAGE_A, S)).isFalse();
        final Future<?> reader = lockAsync(3, PAGE_A, S);
        awaitWaiters(2);

        manager.releaseAll(2);
        upgrade.get(5, TimeUnit.SECONDS);
        assertThat(manager.modeHeld(1, PAGE_A)).isEqualTo(X);
        assertThat(reader.isDone()).isFalse();
        assertThat(manager.waiterCount()).isEqualTo(1);

        manager.releaseAll(1);
        reader.get(5, TimeUnit.SECONDS);
        assertThat(manager.modeHeld(3, PAGE_A)).isEqualTo(S);
    }

    @Test
    void shouldServeNewRequestsInArrivalOrder() throws Exception {
        manager.lock(1, PAGE_A, S, 0);
        final Future<?> writer = lockAsync(2, PAGE_A, X);
        awaitWaiters(1);
        assertThat(manager.tryLock(3, PAGE_A, S))
                .as("an S request may not pass a waiting X")
                .isFalse();
        final Future<?> reader = lockAsync(3, PAGE_A, S);
        awaitWaiters(2);

        manager.releaseAll(1);
        writer.get(5, TimeUnit.SECONDS);
        assertThat(reader.isDone()).isFalse();
        manager.releaseAll(2);
        reader.get(5, TimeUnit.SECONDS);
        assertThat(manager.holds(3, PAGE_A, S)).isTrue();
    }

    @Test
    void shouldLetIntentionLocksOnTheDatabaseSitBesidePageLocks() throws Exception {
        manager.lock(1, DB, IX, 0);
        manager.lock(1, PAGE_A, X, 0);
        manager.lock(2, DB, IS, 0);
        manager.lock(2, PAGE_B, S, 0);
        assertThat(manager.tryLock(3, DB, S))
                .as("a whole-database read waits for the writer's IX")
                .isFalse();
        assertThat(manager.tryLock(3, DB, IX)).isTrue();
        assertThat(manager.tryLock(3, PAGE_A, S)).isFalse();
        assertThat(manager.tryLock(3, PAGE_B, S)).isTrue();

        final Future<?> scan = lockAsync(4, DB, S);
        awaitWaiters(1);
        manager.releaseAll(1);
        assertThat(scan.isDone()).as("the scan still waits for txn 3's IX").isFalse();
        manager.releaseAll(3);
        scan.get(5, TimeUnit.SECONDS);
        assertThat(manager.modeHeld(4, DB)).isEqualTo(S);
        assertThatThrownBy(() -> manager.lock(5, PAGE_A, IX, 0))
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_ARGUMENT));
    }

    @Test
    void shouldMakeTheYoungerOfTwoUpgradersTheVictim() throws Exception {
        manager.lock(1, PAGE_A, S, 0);
        manager.lock(2, PAGE_A, S, 0);
        final Future<?> older = lockAsync(1, PAGE_A, X);
        awaitWaiters(1);
        final Future<?> younger = lockAsync(2, PAGE_A, X);

        final DeadlockException victim = deadlockOf(younger);
        assertThat(victim.txnId()).isEqualTo(2);
        assertThat(victim.errorCode()).isEqualTo(ErrorCode.DEADLOCK);
        assertThat(victim.cycleTxnIds()).containsExactly(2, 1);
        assertThat(victim.getMessage())
                .contains("txn=2", "page(db=1, area=0, page=10)", "X (upgrade from S)", "txn 1 S", "2 -> 1 -> 2");
        assertThat(manager.modeHeld(2, PAGE_A))
                .as("the victim keeps its locks until it aborts")
                .isEqualTo(S);
        assertThat(older.isDone()).isFalse();

        manager.releaseAll(2);
        older.get(5, TimeUnit.SECONDS);
        assertThat(manager.modeHeld(1, PAGE_A)).isEqualTo(X);
        assertThat(manager.deadlockCount()).isEqualTo(1);
    }

    @Test
    void shouldBreakATwoTransactionCycleByAbortingTheYoungest() throws Exception {
        manager.lock(1, PAGE_A, X, 0);
        manager.lock(2, PAGE_B, X, 0);
        final Future<?> older = lockAsync(1, PAGE_B, S);
        awaitWaiters(1);
        final Future<?> younger = lockAsync(2, PAGE_A, X);

        final DeadlockException victim = deadlockOf(younger);
        assertThat(victim.txnId()).isEqualTo(2);
        assertThat(victim.resource()).isEqualTo(PAGE_A);
        assertThat(victim.cycleTxnIds()).containsExactly(2, 1);
        assertThat(older.isDone()).isFalse();
        manager.releaseAll(2);
        older.get(5, TimeUnit.SECONDS);
        assertThat(manager.holds(1, PAGE_B, S)).isTrue();
    }

    @Test
    void shouldPickTheYoungestOfAThreeTransactionCycleEvenWhenAnOlderOneClosesIt() throws Exception {
        manager.lock(1, PAGE_A, X, 0);
        manager.lock(2, PAGE_B, X, 0);
        manager.lock(3, PAGE_C, X, 0);
        final Future<?> youngest = lockAsync(3, PAGE_A, X); // 3 -> 1
        awaitWaiters(1);
        final Future<?> middle = lockAsync(2, PAGE_C, X); // 2 -> 3
        awaitWaiters(2);
        final Future<?> oldest = lockAsync(1, PAGE_B, X); // 1 -> 2 closes the cycle; 3 is chosen on its thread

        final DeadlockException victim = deadlockOf(youngest);
        assertThat(victim.txnId()).isEqualTo(3);
        assertThat(victim.cycleTxnIds()).containsExactly(3, 1, 2);
        assertThat(middle.isDone()).isFalse();
        assertThat(oldest.isDone()).isFalse();

        manager.releaseAll(3);
        middle.get(5, TimeUnit.SECONDS);
        assertThat(oldest.isDone()).isFalse();
        manager.releaseAll(2);
        oldest.get(5, TimeUnit.SECONDS);
        assertThat(manager.holds(1, PAGE_B, X)).isTrue();
        assertThat(manager.deadlockCount()).isEqualTo(1);
    }

    @Test
    void shouldTimeOutAWaitAndNameTheHolder() {
        manager.lock(1, PAGE_A, X, 0);
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(50);
        final long startNs = SystemNanoClock.INSTANCE.nanoTime();
        assertThatThrownBy(() -> manager.lock(2, PAGE_A, S, timeoutNs))
                .isInstanceOfSatisfying(LockTimeoutException.class, e -> {
                    assertThat(e.txnId()).isEqualTo(2);
                    assertThat(e.resource()).isEqualTo(PAGE_A);
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.LOCK_TIMEOUT);
                })
                .hasMessageStartingWith("lock wait timed out: txn=2, resource=page(db=1, area=0, page=10), mode=S")
                .hasMessageContaining("holders=[txn 1 X]");
        final long waitedNs = SystemNanoClock.INSTANCE.nanoTime() - startNs;
        assertThat(waitedNs).isBetween(timeoutNs, TimeUnit.SECONDS.toNanos(5));
        assertThat(manager.timeoutCount()).isEqualTo(1);
        assertThat(manager.waiterCount()).isZero();
        assertThat(manager.lockCount(2)).isZero();
        assertThatThrownBy(() -> manager.lock(2, PAGE_A, S, 0)).isInstanceOf(LockTimeoutException.class);
    }

    @Test
    void shouldLetTheRequestsBehindATimedOutWaiterIn() throws Exception {
        manager.lock(1, PAGE_A, S, 0);
        final Future<?> writer = lockAsync(2, PAGE_A, X, TimeUnit.MILLISECONDS.toNanos(100));
        awaitWaiters(1);
        final Future<?> reader = lockAsync(3, PAGE_A, S);
        final ExecutionException failure = failureOf(writer);
        assertThat(failure).hasCauseInstanceOf(LockTimeoutException.class);
        reader.get(5, TimeUnit.SECONDS);
        assertThat(manager.holds(3, PAGE_A, S)).isTrue();
    }

    @Test
    void shouldRefuseTheLockBeyondTheQuotaAndLeaveOthersWorking() {
        for (int page = 0; page < 10; page++) {
            manager.lock(1, LockResource.page(1, 0, page), S, 0);
        }
        assertThatThrownBy(() -> manager.lock(1, LockResource.page(1, 0, 10), S, 0))
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUOTA))
                .hasMessageContaining("txn=1")
                .hasMessageContaining("max=10");
        assertThatThrownBy(() -> manager.tryLock(1, DB, IS)).isInstanceOf(BessException.class);
        assertThat(manager.quotaRefusalCount()).isEqualTo(2);
        assertThat(manager.lockCount(1)).isEqualTo(10);
        // what it holds still works: re-entrant requests and upgrades take no new lock
        manager.lock(1, LockResource.page(1, 0, 3), S, 0);
        manager.lock(1, LockResource.page(1, 0, 4), X, 0);

        for (int page = 0; page < 10; page++) {
            manager.lock(2, LockResource.page(1, 1, page), X, 0);
        }
        manager.lock(3, LockResource.page(1, 0, 5), S, 0);
        assertThat(manager.lockCount(2)).isEqualTo(10);
        assertThat(manager.releaseAll(1)).isEqualTo(10);
        manager.lock(1, LockResource.page(1, 0, 10), S, 0); // a new transaction with that id would start from zero
    }

    @Test
    void shouldFailTheWaitOfATransactionWhoseLocksAreReleasedElsewhere() throws Exception {
        manager.lock(1, PAGE_A, X, 0);
        manager.lock(2, PAGE_B, X, 0);
        final Future<?> waiter = lockAsync(2, PAGE_A, S);
        awaitWaiters(1);

        assertThat(manager.releaseAll(2)).isEqualTo(1);
        final ExecutionException failure = failureOf(waiter);
        assertThat(failure.getCause())
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.ILLEGAL_STATE))
                .hasMessageContaining("lock wait cancelled")
                .hasMessageContaining("txn=2");
        assertThat(manager.waiterCount()).isZero();
        assertThat(manager.tryLock(3, PAGE_B, X))
                .as("the waiter's other locks were released")
                .isTrue();
        assertThat(manager.holds(1, PAGE_A, X)).isTrue();
        manager.releaseAll(1);
        manager.releaseAll(3);
        assertThat(manager.lockCount()).isZero();
    }

    @Test
    void shouldFailTheUpgradeOfATransactionReleasedWhileItWaits() throws Exception {
        manager.lock(1, PAGE_A, S, 0);
        manager.lock(2, PAGE_A, S, 0);
        final Future<?> upgrade = lockAsync(2, PAGE_A, X);
        awaitWaiters(1);
        manager.releaseAll(2);
        assertThat(failureOf(upgrade)).hasCauseInstanceOf(BessException.class);
        assertThat(manager.modeHeld(1, PAGE_A)).isEqualTo(S);
        assertThat(manager.lockCount()).isEqualTo(1);
    }

    @Test
    void shouldWithdrawTheWaitOfAnInterruptedThread() throws Exception {
        manager.lock(1, PAGE_A, X, 0);
        final Future<?> waiter = lockAsync(2, PAGE_A, X);
        awaitWaiters(1);
        waiter.cancel(true);
        awaitWaiters(0);
        assertThat(manager.lockCount(2)).isZero();
        manager.releaseAll(1);
        assertThat(manager.tryLock(3, PAGE_A, X)).isTrue();
    }

    @Test
    void shouldRefuseASecondWaitOfOneTransaction() throws Exception {
        manager.lock(1, PAGE_A, X, 0);
        manager.lock(1, PAGE_B, X, 0);
        final Future<?> first = lockAsync(2, PAGE_A, S);
        awaitWaiters(1);
        assertThatThrownBy(() -> manager.lock(2, PAGE_B, S, LONG_NS))
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.ILLEGAL_STATE))
                .hasMessageContaining("one lock at a time");
        manager.releaseAll(1);
        first.get(5, TimeUnit.SECONDS);
        assertThat(manager.lockCount(2)).isEqualTo(1);
    }

    @Test
    void shouldChangeNothingWhenTryLockFails() {
        manager.lock(1, PAGE_A, X, 0);
        assertThat(manager.tryLock(2, PAGE_A, S)).isFalse();
        assertThat(manager.lockCount(2)).isZero();
        assertThat(manager.waiterCount()).isZero();
        assertThat(manager.tryLock(2, PAGE_B, S)).isTrue();
        manager.releaseAll(1);
        manager.releaseAll(2);
        assertThat(manager.lockCount()).isZero();
    }

    private Future<?> lockAsync(final long txnId, final long resource, final LockMode mode) {
        return lockAsync(txnId, resource, mode, LONG_NS);
    }

    private Future<?> lockAsync(final long txnId, final long resource, final LockMode mode, final long timeoutNs) {
        return pool.submit(() -> manager.lock(txnId, resource, mode, timeoutNs));
    }

    /** Parks in 1 ms steps until the expected number of requests wait; fails after 5 s. */
    private void awaitWaiters(final long count) {
        final long deadlineNs = SystemNanoClock.INSTANCE.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (manager.waiterCount() != count) {
            assertThat(SystemNanoClock.INSTANCE.nanoTime() - deadlineNs)
                    .as("waiting for %d waiters, have %d", count, manager.waiterCount())
                    .isNegative();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private static DeadlockException deadlockOf(final Future<?> future) throws Exception {
        final ExecutionException failure = failureOf(future);
        assertThat(failure.getCause()).isInstanceOf(DeadlockException.class);
        return (DeadlockException) failure.getCause();
    }

    private static ExecutionException failureOf(final Future<?> future) throws InterruptedException, TimeoutException {
        try {
            future.get(5, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            return e;
        }
        throw new AssertionError("the lock call succeeded");
    }
}
