package org.bess.server.lock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.NanoClock;
import org.bess.exceptions.BessException;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.LockTimeoutException;
import org.bess.format.LockTableDescriptor;
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
    private final DeadlockDetector detector = new DeadlockDetector(this::fastPathHolders);
    private final NanoClock clock;
    private final int maxLocksPerTransaction;
    private final long deadlockRecheckNs;
    private final AtomicLong deadlockCount = new AtomicLong();
    private final AtomicLong timeoutCount = new AtomicLong();
    private final AtomicLong quotaRefusalCount = new AtomicLong();
    private final AtomicLong recountCount = new AtomicLong();
    private final AtomicLong garbageCount = new AtomicLong();
    private volatile String lastGarbage;
    private volatile SharedLockTable table;

    /** How long a recount waits for live clients' {@code ACQUIRING} entries on the word to settle. */
    private static final long RECOUNT_SETTLE_NS = TimeUnit.SECONDS.toNanos(1);

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
        final int fastPath = releaseFastPathOf(txnId);
        final TxnLocks txn = txns.remove(txnId);
        if (txn == null) {
            return fastPath;
        }
        final LockRequest[] held = txn.end();
        final long waitingResource = txn.waitingResourceAtEnd();
        if (waitingResource != LockResource.NULL_RESOURCE) {
            cancelWait(txn, waitingResource);
        }
        for (final LockRequest request : held) {
            release(request);
        }
        return held.length + fastPath;
    }

    /** Releases the fast-path locks of a transaction's client log (see {@link #releaseFastPathLog}) and unbinds it. */
    private int releaseFastPathOf(final long txnId) {
        final SharedLockTable t = table;
        final int slot = t == null ? -1 : t.slotOf(txnId);
        if (slot < 0) {
            return 0;
        }
        try {
            return releaseFastPathLog(slot);
        } finally {
            t.unbind(slot);
        }
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
            return fastPathMode(txnId, resource);
        }
        final LockShard shard = shardOf(resource);
        shard.lock.lock();
        try {
            final LockHead head = shard.heads.get(resource);
            final LockRequest own = head == null ? null : head.holderOf(txn);
            if (own != null) {
                return own.mode;
            }
        } finally {
            shard.lock.unlock();
        }
        return fastPathMode(txnId, resource);
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
        final LockHead head = shard.headFor(resource, table);
        head.pins++; // pairs with freeIfUnused: nobody frees a head while a caller is inside acquire on it
        try {
            if (head.isShared()) {
                importFastPath(shard, head, txn);
            }
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
        final LockRequest request = new LockRequest(txn, head);
        while (true) {
            final long word = head.word();
            // a full count (65,535 holders of one mode) is only reachable by compatible modes: SIX and X are single
            // bits
            if (LockWordDescriptor.isCompatible(word, code) && !LockWordDescriptor.canAdd(word, code)) {
                quotaRefusalCount.incrementAndGet();
                throw new BessException(
                        ErrorCode.QUOTA,
                        "too many holders of one resource: txn=" + txn.txnId + ", resource="
                                + LockResource.toString(head.resource) + ", mode=" + mode + ", max="
                                + LockWordDescriptor.MAX_COUNT);
            }
            // the clients' fast path is the first test alone: no waiter, compatible with the holders
            final boolean grantable = LockWordDescriptor.isFastPathAcquirable(word, code)
                    || (LockWordDescriptor.isCompatible(word, code)
                            && LockWordDescriptor.isCompatibleWithMask(head.waitingMask(), code));
            if (grantable) {
                // decided on this exact word: a client's S taken meanwhile fails the CAS and the test runs again
                if (!head.casWord(word, LockWordDescriptor.add(word, code))) {
                    continue;
                }
                if (!txn.tryRecord(request)) {
                    head.updateWord(w -> LockWordDescriptor.remove(w, code));
                    throw txn.ended(head.resource);
                }
                request.mode = mode;
                head.recordHolder(request);
                shard.heldCount++;
                return true;
            }
            if (!wait) {
                return false;
            }
            // clients can only add S holders while W is clear: that never makes this request grantable, so queuing
            // (which sets W and closes the fast path) needs no re-check
            request.requestedMode = mode;
            return await(shard, head, request, timeoutNs);
        }
    }

    private boolean upgrade(
            final LockShard shard,
            final LockHead head,
            final LockRequest own,
            final LockMode target,
            final long timeoutNs,
            final boolean wait) {
        final int code = target.code();
        final int from = own.mode.code();
        while (true) {
            final long word = head.word();
            final long others = LockWordDescriptor.remove(word, from);
            if (LockWordDescriptor.isCompatible(others, code)
                    && LockWordDescriptor.canAdd(others, code)
                    && LockWordDescriptor.isCompatibleWithMask(head.upgradingMask(), code)) {
                if (!head.casWord(word, LockWordDescriptor.add(others, code))) {
                    continue; // a client's fast-path S came in: test again
                }
                own.mode = target;
                return true;
            }
            if (!wait) {
                return false;
            }
            own.requestedMode = target;
            return await(shard, head, own, timeoutNs);
        }
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
            final long word = head.word();
            final long base = upgrade ? LockWordDescriptor.remove(word, waiter.mode.code()) : word;
            if (!LockWordDescriptor.isCompatible(base, code)
                    || !LockWordDescriptor.canAdd(base, code)
                    || !LockWordDescriptor.isCompatibleWithMask(aheadMask, code)) {
                aheadMask |= LockWordDescriptor.bit(code);
                index++;
                continue;
            }
            if (!waiter.txn.tryGrantWaiting(waiter, !upgrade)) {
                waiter.waitState = LockRequest.CANCELLED;
                waiter.failureMessage = cancelledMessage(waiter);
            } else {
                // the mode goes into the word while W still closes the fast path; dequeuing may clear W
                if (upgrade) {
                    head.changeMode(waiter, waiter.requestedMode);
                } else {
                    waiter.mode = waiter.requestedMode;
                    head.addHolder(waiter);
                    shard.heldCount++;
                }
                waiter.waitState = LockRequest.GRANTED;
            }
            head.dequeueAt(index);
            shard.waiterCount--;
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

    // ---- the shared-memory fast path (docs/format/lock-table.md)

    /**
     * Puts this lock manager's page words in a shared-memory table that shared-memory clients map: from now on a page
     * resource {@link #share shared} there may also be held by clients' fast-path S locks, which this manager counts
     * as held by the transaction bound to the client's lock log. Attached once, for the lock manager's life.
     *
     * @throws BessException {@code ILLEGAL_STATE} when a table is attached already.
     */
    public void attachSharedTable(final SharedLockTable shared) {
        synchronized (this) {
            if (table != null) {
                throw new BessException(ErrorCode.ILLEGAL_STATE, "a shared lock table is attached already: " + table);
            }
            table = shared;
        }
    }

    /** The attached shared table, or null. */
    public SharedLockTable sharedTable() {
        return table;
    }

    /**
     * Gives a page resource an entry in the shared table (when it has none and the table has room), so that clients
     * take its S lock by the fast path from now on. The entry's word starts as the server's own holders and waiters.
     *
     * @return whether the resource has an entry now.
     */
    public boolean share(final long resource) {
        final SharedLockTable t = table;
        if (t == null || LockResource.kind(resource) != LockResource.KIND_PAGE) {
            return false;
        }
        final LockShard shard = shardOf(resource);
        shard.lock.lock();
        final LockHead head = shard.headFor(resource, t);
        head.pins++;
        try {
            if (!head.isShared()) {
                final int entry = t.insertAndPin(resource, head.word);
                if (entry < 0) {
                    return false;
                }
                head.table = t;
                head.entry = entry;
            }
            return true;
        } finally {
            head.pins--;
            shard.freeIfUnused(head);
            shard.lock.unlock();
        }
    }

    /**
     * Takes a transaction's own fast-path lock on a resource over into this table (the transaction is about to
     * ask for more, e.g. an upgrade, or the server works on its behalf): the word keeps counting it, now by a holder
     * here; the log entry stays, marked {@code TRANSFERRED}, so the client still sees it as held. A fast-path lock on
     * a resource the transaction also holds here is a second count of one transaction: it is taken off the word.
     * Called with the shard lock held; the client is inside a request, so its log does not change meanwhile.
     */
    private void importFastPath(final LockShard shard, final LockHead head, final TxnLocks txn) {
        final SharedLockTable t = head.table;
        final int slot = t.slotOf(txn.txnId);
        if (slot < 0) {
            return;
        }
        for (int i = t.nextUsedLogEntry(slot, 0); i < t.logEntries(); i = t.nextUsedLogEntry(slot, i + 1)) {
            final long state = t.logState(slot, i);
            if (state == 0) {
                break; // a client appends at its log's end: the first free entry ends it
            }
            if (LockTableDescriptor.stateOf(state) != LockTableDescriptor.HELD || t.logKey(slot, i) != head.resource) {
                continue;
            }
            final int code = LockTableDescriptor.modeOf(state);
            if (code != LockWordDescriptor.MODE_S && code != LockWordDescriptor.MODE_X) {
                throw new BessException(
                        ErrorCode.BAD_FORMAT,
                        "lock log entry with a mode the fast path never takes: slot=" + slot + ", entry=" + i
                                + ", mode=" + code + ", resource=" + LockResource.toString(head.resource));
            }
            final LockMode mode = code == LockWordDescriptor.MODE_X ? LockMode.X : LockMode.S;
            final LockRequest own = head.holderOf(txn);
            if (own != null && own.mode.covers(mode)) {
                head.updateWord(w -> LockWordDescriptor.remove(w, code));
            } else if (own != null) {
                // the fast-path X (a client's upgrade) covers what the server held: the word's X is now that holder's
                final int from = own.mode.code();
                head.updateWord(w -> LockWordDescriptor.remove(w, from));
                own.mode = mode;
            } else {
                final LockRequest request = new LockRequest(txn, head);
                if (!txn.tryRecord(request)) {
                    throw txn.ended(head.resource);
                }
                request.mode = mode;
                head.recordHolder(request);
                shard.heldCount++;
            }
            t.putLogState(slot, i, LockTableDescriptor.logState(LockTableDescriptor.TRANSFERRED, code));
        }
    }

    /** The mode a transaction holds by the fast path (not transferred), or null. */
    private LockMode fastPathMode(final long txnId, final long resource) {
        final SharedLockTable t = table;
        final int slot = t == null ? -1 : t.slotOf(txnId);
        if (slot < 0) {
            return null;
        }
        for (int i = 0; i < t.logEntries(); i++) {
            final long state = t.logState(slot, i);
            if (state == 0) {
                break;
            }
            if (LockTableDescriptor.stateOf(state) == LockTableDescriptor.HELD && t.logKey(slot, i) == resource) {
                return LockTableDescriptor.modeOf(state) == LockWordDescriptor.MODE_X ? LockMode.X : LockMode.S;
            }
        }
        return null;
    }

    /**
     * The transactions holding (or taking) a resource by the fast path, named from the lock logs, for the deadlock
     * search: a waiter waits for them too. Reads other clients' logs while they write: an {@code ACQUIRING} entry may
     * name a transaction that ends up without the lock, an extra edge from a transaction that is not waiting (it is
     * running its fast path), so never part of a cycle.
     */
    List<TxnLocks> fastPathHolders(final LockHead head, final int wantedCode) {
        final SharedLockTable t = head.table;
        if (t == null) {
            return List.of();
        }
        final List<TxnLocks> out = new ArrayList<>(2);
        for (final int slot : t.slotsInUse()) {
            final long txnId = t.txnOf(slot);
            final TxnLocks holder = txnId < 0 ? null : txns.get(txnId);
            if (holder == null) {
                continue; // no server-side state: not waiting, so not in any cycle
            }
            for (int i = 0; i < t.logEntries(); i++) {
                final int state = LockTableDescriptor.stateOf(t.logState(slot, i));
                if (state == LockTableDescriptor.FREE) {
                    break;
                }
                final int mode = LockTableDescriptor.modeOf(t.logState(slot, i));
                if ((state == LockTableDescriptor.HELD || state == LockTableDescriptor.ACQUIRING)
                        && t.logKey(slot, i) == head.resource
                        && !LockWordDescriptor.isCompatible(mode, wantedCode)) {
                    out.add(holder);
                    break;
                }
            }
        }
        return out;
    }

    /**
     * Releases the fast-path locks in a lock log and clears it: at the end of the slot's transaction (from
     * {@link #releaseAll}) or when its client is gone. {@code HELD} entries leave the word (and let waiters in),
     * {@code TRANSFERRED} ones went with their holder here, and {@code ACQUIRING} ones (a client that died between
     * its log append and its {@code HELD} mark) are settled by a recount of the word under L. Garbage in the log is
     * reported and skipped: one client's bad log never stops the server.
     *
     * @return the locks released.
     */
    public int releaseFastPathLog(final int slot) {
        final SharedLockTable t = table;
        if (t == null || slot < 0) {
            return 0;
        }
        int released = 0;
        for (int i = 0; i < t.logEntries(); i++) {
            final long state = t.logState(slot, i);
            if (state == 0) {
                continue;
            }
            final long key = t.logKey(slot, i);
            try {
                LockTableDescriptor.checkLogState(state, slot, i);
                final int st = LockTableDescriptor.stateOf(state);
                if (st == LockTableDescriptor.HELD) {
                    releaseFastPathLock(key, LockTableDescriptor.modeOf(state), slot, i);
                    released++;
                } else if (st == LockTableDescriptor.ACQUIRING) {
                    t.putLogState(slot, i, 0); // this slot is not counted by the recount
                    recount(key, slot);
                    released++;
                }
            } catch (final BessException e) {
                garbageCount.incrementAndGet();
                lastGarbage = e.getMessage();
            }
            t.putLogState(slot, i, 0);
        }
        return released;
    }

    private void releaseFastPathLock(final long key, final int code, final int slot, final int index) {
        if (code != LockWordDescriptor.MODE_S && code != LockWordDescriptor.MODE_X) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "lock log entry with a mode the fast path never takes: slot=" + slot + ", entry=" + index
                            + ", mode=" + code);
        }
        // no waiter and the server not rewriting the entry: one CAS, as a client's own release (no head, no shard)
        if (table.tryRelease(key, code)) {
            return;
        }
        final LockShard shard = shardOf(key);
        shard.lock.lock();
        final LockHead head = shard.headFor(key, table);
        head.pins++;
        try {
            if (!head.isShared()) {
                throw new BessException(
                        ErrorCode.BAD_FORMAT,
                        "lock log entry for a resource not in the shared table: slot=" + slot + ", entry=" + index
                                + ", resource=0x" + Long.toHexString(key));
            }
            final long word = head.word();
            if (LockWordDescriptor.count(word, code) == 0) {
                throw new BessException(
                        ErrorCode.BAD_FORMAT,
                        "lock log entry held but not counted in its word: slot=" + slot + ", entry=" + index
                                + ", resource=" + LockResource.toString(key) + ", word="
                                + LockWordDescriptor.toString(word));
            }
            head.updateWord(w -> LockWordDescriptor.remove(w, code));
            grantWaiters(shard, head);
        } finally {
            head.pins--;
            shard.freeIfUnused(head);
            shard.lock.unlock();
        }
    }

    /**
     * Rewrites a word whose count is ambiguous (a client died between {@code ACQUIRING} and {@code HELD}): sets L so
     * that no client changes it, waits (bounded, with backoff) for live clients' {@code ACQUIRING} entries on it to
     * settle, and writes the holders as this table's holders plus every live {@code HELD} fast-path entry.
     */
    private void recount(final long key, final int deadSlot) {
        final LockShard shard = shardOf(key);
        shard.lock.lock();
        final LockHead head = shard.headFor(key, table);
        head.pins++;
        try {
            if (!head.isShared()) {
                throw new BessException(
                        ErrorCode.BAD_FORMAT,
                        "lock log entry for a resource not in the shared table: slot=" + deadSlot + ", resource=0x"
                                + Long.toHexString(key));
            }
            head.updateWord(w -> w | LockWordDescriptor.LATCH_FLAG);
            final SharedLockTable t = head.table;
            long holders = 0;
            final long deadlineNs = clock.nanoTime() + RECOUNT_SETTLE_NS;
            long sleepNs = 10_000;
            boolean settled = false;
            while (!settled) {
                settled = true;
                holders = 0;
                for (final int slot : t.slotsInUse()) {
                    if (slot == deadSlot) {
                        continue;
                    }
                    for (int i = 0; i < t.logEntries(); i++) {
                        final long state = t.logState(slot, i);
                        if (t.logKey(slot, i) != key) {
                            continue;
                        }
                        final int st = LockTableDescriptor.stateOf(state);
                        if (st == LockTableDescriptor.HELD) {
                            holders = LockWordDescriptor.add(holders, LockTableDescriptor.modeOf(state));
                        } else if (st == LockTableDescriptor.ACQUIRING) {
                            settled = false;
                        }
                    }
                }
                if (!settled) {
                    if (clock.nanoTime() - deadlineNs >= 0) {
                        break; // an ACQUIRING entry that never settles belongs to a client that is dying too
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(sleepNs);
                    sleepNs = Math.min(sleepNs * 2, 10_000_000);
                }
            }
            for (int i = 0; i < head.holderCount; i++) {
                holders = LockWordDescriptor.add(holders, head.holders[i].mode.code());
            }
            final long waiters = head.queue.isEmpty() ? 0 : LockWordDescriptor.WAITERS_FLAG;
            final long old = head.word();
            // a new generation: a live client's CAS prepared against the word before L must fail even when the
            // recount happens to give the same holders
            t.putWord(
                    head.entry,
                    LockWordDescriptor.withGeneration(holders | waiters, LockWordDescriptor.generation(old) + 1));
            recountCount.incrementAndGet();
            grantWaiters(shard, head);
        } finally {
            head.pins--;
            shard.freeIfUnused(head);
            shard.lock.unlock();
        }
    }

    /** Words recounted after a client died mid-acquire, and lock-log entries found to be garbage. */
    public long[] fastPathCounters() {
        return new long[] {recountCount.get(), garbageCount.get()};
    }

    /** The message of the last garbage found in a lock log (for logs and tests), or null. */
    public String lastGarbage() {
        return lastGarbage;
    }

    /**
     * Whether a client holds X on a resource by the lock fast path: the shared word has X and no transaction holds X
     * here (the X bit is then a fast-path holder's, or one taking it right now). Its page may be changed in place with
     * nothing logged: the buffer cache neither writes it back nor replaces it.
     *
     * @param resource a page key, or 0 (false).
     */
    public boolean isFastPathExclusive(final long resource) {
        final SharedLockTable t = table;
        if (t == null || resource == 0) {
            return false;
        }
        final int e = t.lookup(resource);
        if (e < 0 || (t.word(e) & X_BIT) == 0) {
            return false;
        }
        final LockShard shard = shardOf(resource);
        shard.lock.lock();
        try {
            final LockHead head = shard.heads.get(resource);
            if (head != null) {
                for (int i = 0; i < head.holderCount; i++) {
                    if (head.holders[i].mode == LockMode.X) {
                        return false;
                    }
                }
            }
            return true;
        } finally {
            shard.lock.unlock();
        }
    }

    private static final long X_BIT = 1L << LockWordDescriptor.X_SHIFT;

    /** The shared word of a resource, or -1 when it has no entry (tests and tools). */
    public long sharedWord(final long resource) {
        final SharedLockTable t = table;
        final int e = t == null ? -1 : t.lookup(resource);
        return e < 0 ? -1 : t.word(e);
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
