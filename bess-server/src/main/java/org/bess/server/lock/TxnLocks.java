package org.bess.server.lock;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * The locks of one transaction: what it holds (for {@code releaseAll} and the quota) and the one request it waits
 * on, if any (an edge source of the waits-for graph).
 *
 * <p>{@link #held}, {@link #heldCount} and {@link #ended} are guarded by {@link #lock}. {@link #waiting} is written
 * under both the shard lock of the resource waited for and {@link #lock}, so either suffices to read it. Lock order:
 * a shard lock, then this lock; never the other way round.
 */
final class TxnLocks {
    final long txnId;
    final ReentrantLock lock = new ReentrantLock();
    private LockRequest[] held = new LockRequest[8];
    private int heldCount;
    private boolean ended;
    private long waitingResourceAtEnd = LockResource.NULL_RESOURCE;
    LockRequest waiting;

    TxnLocks(final long txnId) {
        this.txnId = txnId;
    }

    /**
     * Checks that the transaction may ask for one more lock.
     *
     * @param maxLocks the quota.
     * @throws BessException {@code ILLEGAL_STATE} when its locks were released, {@code QUOTA} when it is full.
     */
    void checkCanRequest(final int maxLocks, final long resource) {
        lock.lock();
        try {
            checkNotEnded(resource);
            if (heldCount >= maxLocks) {
                throw new BessException(
                        ErrorCode.QUOTA,
                        "too many locks held by one transaction: txn=" + txnId + ", held=" + heldCount + ", max="
                                + maxLocks + " (" + LockContext.MAX_LOCKS_PER_TRANSACTION_PROP_NAME + "), resource="
                                + LockResource.toString(resource));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Records a granted new lock; false when the transaction has ended (nothing recorded). */
    boolean tryRecord(final LockRequest request) {
        lock.lock();
        try {
            if (ended) {
                return false;
            }
            if (heldCount == held.length) {
                held = Arrays.copyOf(held, heldCount * 2);
            }
            held[heldCount++] = request;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends a wait with a grant: records a new lock (when {@code record}) and clears {@link #waiting}.
     *
     * @return false when the transaction has ended: nothing is recorded and the caller cancels the request.
     */
    boolean tryGrantWaiting(final LockRequest request, final boolean record) {
        lock.lock();
        try {
            if (waiting == request) {
                waiting = null;
            }
            if (ended) {
                return false;
            }
            if (record) {
                if (heldCount == held.length) {
                    held = Arrays.copyOf(held, heldCount * 2);
                }
                held[heldCount++] = request;
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts a wait; false when the transaction has ended. The caller holds the request's shard lock.
     *
     * @throws BessException {@code ILLEGAL_STATE} when the transaction already waits on another thread.
     */
    boolean tryStartWaiting(final LockRequest request) {
        lock.lock();
        try {
            if (ended) {
                return false;
            }
            if (waiting != null) {
                throw new BessException(
                        ErrorCode.ILLEGAL_STATE,
                        "a transaction waits for one lock at a time: txn=" + txnId + ", waiting for="
                                + LockResource.toString(waiting.resource) + ", requested="
                                + LockResource.toString(request.resource));
            }
            waiting = request;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Ends a wait that was not granted. The caller holds the request's shard lock. */
    void stopWaiting(final LockRequest request) {
        lock.lock();
        try {
            if (waiting == request) {
                waiting = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the transaction's lock ownership: later grants to it are refused.
     *
     * @return the locks it holds; {@link #waitingResourceAtEnd()} then names what it waited for.
     */
    LockRequest[] end() {
        lock.lock();
        try {
            ended = true;
            waitingResourceAtEnd = waiting == null ? LockResource.NULL_RESOURCE : waiting.resource;
            final LockRequest[] snapshot = Arrays.copyOf(held, heldCount);
            Arrays.fill(held, 0, heldCount, null);
            heldCount = 0;
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /** What the transaction waited for when {@link #end()} ran; {@link LockResource#NULL_RESOURCE} for nothing. */
    long waitingResourceAtEnd() {
        lock.lock();
        try {
            return waitingResourceAtEnd;
        } finally {
            lock.unlock();
        }
    }

    /** The locks held. */
    int heldCount() {
        lock.lock();
        try {
            return heldCount;
        } finally {
            lock.unlock();
        }
    }

    private void checkNotEnded(final long resource) {
        if (ended) {
            throw ended(resource);
        }
    }

    BessException ended(final long resource) {
        return new BessException(
                ErrorCode.ILLEGAL_STATE,
                "lock request of a transaction whose locks were released: txn=" + txnId + ", resource="
                        + LockResource.toString(resource));
    }
}
