package org.bess.server.lock;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.NanoClock;
import org.bess.exceptions.BessException;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.LockTimeoutException;
import org.bess.format.LockWordDescriptor;

/**
 * Strict two-phase locking: shared, exclusive and intention locks on 64-bit resource keys ({@link LockResource}),
 * held until the transaction's owner calls {@link #releaseAll} at commit or abort.
 *
 * <ul>
 *   <li><b>Granting.</b> A new request is granted when its mode is compatible with every holder and with every request
 *       already waiting (FIFO: no barging past a waiter it conflicts with). A request the transaction already covers
 *       returns at once. Any other request by a holder is an upgrade to the supremum of the two modes; upgrades wait
 *       only for the other holders and for earlier upgrades, ahead of every new request.
 *   <li><b>Waiting.</b> A waiter parks on its own condition with a timed await and is woken by whoever grants,
 *       cancels or chooses it; after {@code timeoutNs} it withdraws and throws {@link LockTimeoutException}.
 *   <li><b>Deadlocks.</b> When a request blocks, and again every {@link LockContext#deadlockRecheckNs()} while it
 *       waits, the waiter searches the waits-for graph for a cycle through its transaction (see
 *       {@link DeadlockDetector}). The victim is the youngest transaction of the cycle, the one with the highest id
 *       (transaction ids grow as transactions begin): its request is withdrawn and its {@code lock} throws
 *       {@link DeadlockException}. It keeps its other locks until its owner aborts it and calls {@link #releaseAll}.
 *   <li><b>Quota.</b> A transaction holding {@link LockContext#maxLocksPerTransaction()} locks gets {@code QUOTA} for
 *       one more; other transactions are not affected.
 * </ul>
 *
 * <p>Thread safe: transactions on several threads lock concurrently. The table is split in shards, each a
 * {@code ReentrantLock} over a primitive map of resource heads; an uncontended request is one hash lookup of its
 * transaction, one of its resource and a short critical section that tests and updates the resource's lock word
 * ({@link LockWordDescriptor}) exactly as the shared-memory fast path will with one CAS. A transaction has at most one
 * request in progress; its locks are released by one {@code releaseAll}, which may run on another thread while the
 * transaction waits (the wait then fails). Transaction ids are not reused after {@code releaseAll}.
 */
public final class LockManager {
    private final LockShard[] shards;
    private final int shardMask;
    private final TxnRegistry txns = new TxnRegistry();
    private final DeadlockDetector detector = new DeadlockDetector();
    private final NanoClock clock;
    private final int maxLocksPerTransaction;
    private final long deadlockRecheckNs;
    private final AtomicLong deadlockCount = new AtomicLong();
    private final AtomicLong timeoutCount = new AtomicLong();
    private final AtomicLong quotaRefusalCount = new AtomicLong();

    /**
     * A lock manager with the given settings.
     *
     * @param context the settings, read once.
     * @throws BessException {@code BAD_ARGUMENT} when a setting is out of range.
     */
    public LockManager(final LockContext context) {
        context.checkValid();
        shards = new LockShard[context.shardCount()];
        for (int i = 0; i < shards.length; i++) {
            shards[i] = new LockShard(i);
        }
        shardMask = shards.length - 1;
        clock = context.nanoClock();
        maxLocksPerTransaction = context.maxLocksPerTransaction();
        deadlockRecheckNs = context.deadlockRecheckNs();
    }

    /**
     * Takes a lock, waiting for it when it conflicts.
     *
     * @param txnId the transaction; ids grow as transactions begin (the youngest is the deadlock victim).
     * @param resource a key from {@link LockResource}.
     * @param mode the mode wanted; pages take {@link LockMode#S} and {@link LockMode#X} only.
     * @param timeoutNs how long to wait at most; zero or less fails at once when the lock is not free.
     * @throws LockTimeoutException when the wait timed out.
     * @throws DeadlockException when this transaction was chosen as a deadlock victim.
     * @throws BessException {@code QUOTA} when the transaction holds its maximum of locks, {@code BAD_ARGUMENT} for a
     *     malformed key or a mode the key does not take, {@code ILLEGAL_STATE} when the transaction's locks were
     *     released while it waited, {@code GENERIC} when the waiting thread was interrupted (its flag stays set).
     */
    public void lock(final long txnId, final long resource, final LockMode mode, final long timeoutNs) {
        acquire(txnId, resource, mode, timeoutNs, true);
    }

    /**
     * Takes a lock when that needs no wait.
     *
     * @param txnId the transaction.
     * @param resource a key from {@link LockResource}.
     * @param mode the mode wanted.
     * @return true when the transaction now holds the lock (or already held a mode covering it); false when it
     *     conflicts, in which case nothing changed.
     * @throws BessException {@code QUOTA} or {@code BAD_ARGUMENT} as {@link #lock} does.
     */
    public boolean tryLock(final long txnId, final long resource, final LockMode mode) {
        return acquire(txnId, resource, mode, 0, false);
    }

    /**
     * Releases every lock of a transaction, at its commit or abort (strict 2PL), and wakes the waiters this lets in.
     * When the transaction is waiting on another thread, that wait fails with {@code ILLEGAL_STATE}.
     *
     * @param txnId the transaction.
     * @return the number of locks released.
     */
    public int releaseAll(final long txnId) {
        final TxnLocks txn = txns.remove(txnId);
        if (txn == null) {
            return 0;
        }
        final LockRequest[] held = txn.end();
        final long waitingResource = txn.waitingResourceAtEnd();
        if (waitingResource != LockResource.NULL_RESOURCE) {
            cancelWait(txn, waitingResource);
        }
        for (final LockRequest request : held) {
            release(request);
        }
        return held.length;
    }

    /**
     * Whether a transaction holds a mode covering {@code mode} on a resource.
     *
     * @param txnId the transaction.
     * @param resource the key.
     * @param mode the mode asked about.
     * @return true when the held mode covers it (X covers everything, SIX covers S, IX and IS, ...).
     */
    public boolean holds(final long txnId, final long resource, final LockMode mode) {
        final LockMode held = modeHeld(txnId, resource);
        return held != null && held.covers(mode);
    }

    /**
     * The mode a transaction holds on a resource.
     *
     * @param txnId the transaction.
     * @param resource the key.
     * @return the granted mode, or null when it holds none.
     */
    public LockMode modeHeld(final long txnId, final long resource) {
        final TxnLocks txn = txns.get(txnId);
        if (txn == null) {
            return null;
        }
        final LockShard shard = shardOf(resource);
        shard.lock.lock();
        try {
            final LockHead head = shard.heads.get(resource);
            final LockRequest own = head == null ? null : head.holderOf(txn);
            return own == null ? null : own.mode;
        } finally {
            shard.lock.unlock();
        }
    }

    /** The number of locks a transaction holds (the figure its quota bounds). */
    public int lockCount(final long txnId) {
        final TxnLocks txn = txns.get(txnId);
        return txn == null ? 0 : txn.heldCount();
    }

    /** Locks granted and not yet released, over all transactions. */
    public long lockCount() {
        long count = 0;
        for (final LockShard shard : shards) {
            shard.lock.lock();
            try {
                count += shard.heldCount;
            } finally {
                shard.lock.unlock();
            }
        }
        return count;
    }

    /** Requests waiting now. */
    public long waiterCount() {
        long count = 0;
        for (final LockShard shard : shards) {
            shard.lock.lock();
            try {
                count += shard.waiterCount;
            } finally {
                shard.lock.unlock();
            }
        }
        return count;
    }

    /** Deadlock victims chosen since the lock manager was made. */
    public long deadlockCount() {
        return deadlockCount.get();
    }

    /** Lock waits that timed out since the lock manager was made. */
    public long timeoutCount() {
        return timeoutCount.get();
    }

    /** Requests refused by the per-transaction quota since the lock manager was made. */
    public long quotaRefusalCount() {
        return quotaRefusalCount.get();
    }

    private boolean acquire(
            final long txnId, final long resource, final LockMode mode, final long timeoutNs, final boolean wait) {
        LockResource.checkModeAllowed(resource, mode);
        final TxnLocks txn = txns.getOrCreate(txnId);
        final LockShard shard = shardOf(resource);
        shard.lock.lock();
        final LockHead head = shard.headFor(resource);
        head.pins++; // pairs with freeIfUnused: nobody frees a head while a caller is inside acquire on it
        try {
            final LockRequest own = head.holderOf(txn);
            if (own != null) {
                return own.mode.covers(mode) || upgrade(shard, head, own, own.mode.supremum(mode), timeoutNs, wait);
            }
            return acquireNew(shard, head, txn, mode, timeoutNs, wait);
        } finally {
            head.pins--;
            shard.freeIfUnused(head);
            shard.lock.unlock();
        }
    }

    private boolean acquireNew(
            final LockShard shard,
            final LockHead head,
            final TxnLocks txn,
            final LockMode mode,
            final long timeoutNs,
            final boolean wait) {
        checkQuota(txn, head.resource);
        final int code = mode.code();
        // a full count (65,535 holders of one mode) is only reachable by compatible modes: SIX and X are single bits
        if (LockWordDescriptor.isCompatible(head.word, code) && !LockWordDescriptor.canAdd(head.word, code)) {
            quotaRefusalCount.incrementAndGet();
            throw new BessException(
                    ErrorCode.QUOTA,
                    "too many holders of one resource: txn=" + txn.txnId + ", resource="
                            + LockResource.toString(head.resource) + ", mode=" + mode + ", max="
                            + LockWordDescriptor.MAX_COUNT);
        }
        // the fast path of the shared-memory table is the first test alone: no waiter, compatible with the holders
        final boolean grantable = LockWordDescriptor.isFastPathAcquirable(head.word, code)
                || (LockWordDescriptor.isCompatible(head.word, code)
                        && LockWordDescriptor.isCompatibleWithMask(head.waitingMask(), code));
        final LockRequest request = new LockRequest(txn, head);
        if (grantable) {
            if (!txn.tryRecord(request)) {
                throw txn.ended(head.resource);
            }
            request.mode = mode;
            head.addHolder(request);
            shard.heldCount++;
            return true;
        }
        if (!wait) {
            return false;
        }
        request.requestedMode = mode;
        return await(shard, head, request, timeoutNs);
    }

    private boolean upgrade(
            final LockShard shard,
            final LockHead head,
            final LockRequest own,
            final LockMode target,
            final long timeoutNs,
            final boolean wait) {
        final long others = LockWordDescriptor.remove(head.word, own.mode.code());
        final int code = target.code();
        if (LockWordDescriptor.isCompatible(others, code)
                && LockWordDescriptor.canAdd(others, code)
                && LockWordDescriptor.isCompatibleWithMask(head.upgradingMask(), code)) {
            head.changeMode(own, target);
            return true;
        }
        if (!wait) {
            return false;
        }
        own.requestedMode = target;
        return await(shard, head, own, timeoutNs);
    }

    /** Queues a request and waits for its outcome. Called and returns with the shard lock held. */
    private boolean await(final LockShard shard, final LockHead head, final LockRequest request, final long timeoutNs) {
        final TxnLocks txn = request.txn;
        if (request.condition == null) {
            request.condition = shard.lock.newCondition();
        }
        boolean started = false;
        try {
            started = txn.tryStartWaiting(request);
        } finally {
            if (!started) {
                request.requestedMode = null; // an upgrade's holder stays a plain holder
            }
        }
        if (!started) {
            throw txn.ended(head.resource);
        }
        request.waitState = LockRequest.WAITING;
        head.enqueue(request);
        shard.waiterCount++;
        final long startNs = clock.nanoTime();
        final long deadlineNs = startNs + Math.max(0, timeoutNs);
        long nextSearchNs = startNs; // search at once: the wait just blocked
        boolean interrupted = false;
        while (true) {
            if (request.waitState != LockRequest.WAITING) {
                return onWaitEnded(request, interrupted);
            }
            final long nowNs = clock.nanoTime();
            if (interrupted) {
                withdraw(shard, head, request);
                Thread.currentThread().interrupt();
                throw new BessException(
                        ErrorCode.GENERIC,
                        "lock wait interrupted: txn=" + txn.txnId + ", resource="
                                + LockResource.toString(head.resource));
            }
            if (nowNs - deadlineNs >= 0) {
                final String message = "lock wait timed out: txn=" + txn.txnId + ", resource="
                        + LockResource.toString(head.resource) + ", mode=" + describeWanted(request) + ", waitedMs="
                        + TimeUnit.NANOSECONDS.toMillis(nowNs - startNs) + ", " + head.describe(txn);
                withdraw(shard, head, request);
                timeoutCount.incrementAndGet();
                throw new LockTimeoutException(txn.txnId, head.resource, message);
            }
            if (nowNs - nextSearchNs >= 0) {
                shard.lock.unlock();
                try {
                    searchDeadlocks(txn);
                } finally {
                    shard.lock.lock();
                }
                nextSearchNs = clock.nanoTime() + deadlockRecheckNs;
                continue;
            }
            try {
                request.condition.awaitNanos(Math.min(deadlineNs - nowNs, nextSearchNs - nowNs));
            } catch (final InterruptedException e) {
                interrupted = true;
            }
        }
    }

    private static boolean onWaitEnded(final LockRequest request, final boolean interrupted) {
        final int state = request.waitState;
        request.waitState = LockRequest.NOT_WAITING;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        switch (state) {
            case LockRequest.GRANTED:
                return true;
            case LockRequest.VICTIM:
                throw new DeadlockException(
                        request.txn.txnId, request.resource, request.cycleTxnIds, request.failureMessage);
            case LockRequest.CANCELLED:
                throw new BessException(ErrorCode.ILLEGAL_STATE, request.failureMessage);
            default:
                throw new IllegalStateException("unexpected wait state: " + state + " of " + request);
        }
    }

    /** Takes a waiting request out of its queue (timeout, interrupt) and lets in whoever it held back. */
    private void withdraw(final LockShard shard, final LockHead head, final LockRequest request) {
        head.dequeue(request);
        shard.waiterCount--;
        request.requestedMode = null;
        request.waitState = LockRequest.NOT_WAITING;
        request.txn.stopWaiting(request);
        grantWaiters(shard, head);
    }

    /**
     * Grants, in queue order, every waiter compatible with the holders and with the waiters left ahead of it, and
     * wakes each. Called with the shard lock held whenever holders or waiters leave or change.
     */
    private void grantWaiters(final LockShard shard, final LockHead head) {
        int aheadMask = 0;
        int index = 0;
        while (index < head.queue.size()) {
            final LockRequest waiter = head.queue.get(index);
            final int code = waiter.requestedCode();
            final boolean upgrade = waiter.mode != null;
            final long base = upgrade ? LockWordDescriptor.remove(head.word, waiter.mode.code()) : head.word;
            if (!LockWordDescriptor.isCompatible(base, code)
                    || !LockWordDescriptor.canAdd(base, code)
                    || !LockWordDescriptor.isCompatibleWithMask(aheadMask, code)) {
                aheadMask |= LockWordDescriptor.bit(code);
                index++;
                continue;
            }
            head.dequeueAt(index);
            shard.waiterCount--;
            if (!waiter.txn.tryGrantWaiting(waiter, !upgrade)) {
                waiter.waitState = LockRequest.CANCELLED;
                waiter.failureMessage = cancelledMessage(waiter);
            } else {
                if (upgrade) {
                    head.changeMode(waiter, waiter.requestedMode);
                } else {
                    waiter.mode = waiter.requestedMode;
                    head.addHolder(waiter);
                    shard.heldCount++;
                }
                waiter.waitState = LockRequest.GRANTED;
            }
            waiter.requestedMode = null;
            waiter.condition.signal(); // pairs with awaitNanos in await
        }
    }

    /** Fails the wait of a transaction whose locks are being released. */
    private void cancelWait(final TxnLocks txn, final long resource) {
        final LockShard shard = shardOf(resource);
        shard.lock.lock();
        try {
            final LockRequest waiting = txn.waiting; // guarded by this shard lock while it waits on this resource
            if (waiting != null && waiting.resource == resource && waiting.waitState == LockRequest.WAITING) {
                final String message = cancelledMessage(waiting);
                withdraw(shard, waiting.head, waiting);
                waiting.waitState = LockRequest.CANCELLED;
                waiting.failureMessage = message;
                waiting.condition.signal(); // pairs with awaitNanos in await
            }
        } finally {
            shard.lock.unlock();
        }
    }

    private void release(final LockRequest request) {
        final LockShard shard = shardOf(request.resource);
        shard.lock.lock();
        try {
            final LockHead head = request.head;
            if (request.waitState == LockRequest.WAITING) {
                head.dequeue(request); // defensive: cancelWait withdrew it already
                shard.waiterCount--;
                request.waitState = LockRequest.CANCELLED;
                request.failureMessage = cancelledMessage(request);
                request.condition.signal();
            }
            head.removeHolder(request);
            shard.heldCount--;
            grantWaiters(shard, head);
            shard.freeIfUnused(head);
        } finally {
            shard.lock.unlock();
        }
    }

    /**
     * Searches for deadlocks through a waiting transaction and withdraws victims until it is in no cycle. Takes every
     * shard lock in index order (the caller holds none), so the graph is a consistent snapshot.
     */
    private void searchDeadlocks(final TxnLocks start) {
        for (final LockShard shard : shards) {
            shard.lock.lock();
        }
        try {
            while (start.waiting != null && start.waiting.waitState == LockRequest.WAITING) {
                final List<TxnLocks> cycle = detector.findCycle(start);
                if (cycle == null) {
                    return;
                }
                final TxnLocks victim = DeadlockDetector.youngest(cycle);
                chooseVictim(victim, cycle);
                if (victim == start) {
                    return;
                }
            }
        } finally {
            for (int i = shards.length - 1; i >= 0; i--) {
                shards[i].lock.unlock();
            }
        }
    }

    private void chooseVictim(final TxnLocks victim, final List<TxnLocks> cycle) {
        final LockRequest request = victim.waiting;
        final int at = cycle.indexOf(victim);
        final long[] cycleTxnIds = new long[cycle.size()];
        final StringBuilder path = new StringBuilder();
        for (int i = 0; i < cycleTxnIds.length; i++) {
            cycleTxnIds[i] = cycle.get((at + i) % cycle.size()).txnId;
            path.append(cycleTxnIds[i]).append(" -> ");
        }
        path.append(victim.txnId);
        final LockHead head = request.head;
        final String message = "deadlock, this transaction is the victim (the youngest of the cycle): txn="
                + victim.txnId + ", resource=" + LockResource.toString(head.resource) + ", mode="
                + describeWanted(request) + ", " + head.describe(victim) + ", cycle=[" + path + "]";
        withdraw(shardOf(head.resource), head, request);
        request.waitState = LockRequest.VICTIM;
        request.failureMessage = message;
        request.cycleTxnIds = cycleTxnIds;
        deadlockCount.incrementAndGet();
        request.condition.signal(); // pairs with awaitNanos in await
    }

    private void checkQuota(final TxnLocks txn, final long resource) {
        try {
            txn.checkCanRequest(maxLocksPerTransaction, resource);
        } catch (final BessException e) {
            if (e.errorCode() == ErrorCode.QUOTA) {
                quotaRefusalCount.incrementAndGet();
            }
            throw e;
        }
    }

    private static String describeWanted(final LockRequest request) {
        return request.mode == null
                ? request.requestedMode.toString()
                : request.requestedMode + " (upgrade from " + request.mode + ")";
    }

    private static String cancelledMessage(final LockRequest request) {
        return "lock wait cancelled, the transaction's locks were released while it waited: txn=" + request.txn.txnId
                + ", resource=" + LockResource.toString(request.resource) + ", mode=" + describeWanted(request);
    }

    LockShard shardOf(final long resource) {
        // high bits of a multiplicative hash: independent of the low bits the shard's own map probes with
        return shards[(int) ((resource * 0x9E37_79B9_7F4A_7C15L) >>> 40) & shardMask];
    }

    /**
     * Checks the table's invariants under every shard lock, for tests: the lock word equals the sum of the holders'
     * modes; holders of different transactions are compatible; the waiters flag is set exactly when a request waits;
     * no waiter could be granted (no lost wake-up); every waiter is its transaction's one wait; the counters add up.
     *
     * @throws IllegalStateException naming the first violation.
     */
    void checkInvariants() {
        for (final LockShard shard : shards) {
            shard.lock.lock();
        }
        try {
            for (final LockShard shard : shards) {
                LockInvariants.checkShard(shard);
            }
        } finally {
            for (int i = shards.length - 1; i >= 0; i--) {
                shards[i].lock.unlock();
            }
        }
    }
}
