package org.bess.server.lock;

import java.util.concurrent.locks.Condition;

/**
 * One transaction's lock on one resource: a holder (when {@link #mode} is set), a waiter (when
 * {@link #requestedMode} is set), or both (an upgrade in progress).
 *
 * <p>Guarded by the lock of the shard that holds {@link #head}; {@link #condition} belongs to that lock.
 */
final class LockRequest {
    /** Not in a queue. */
    static final int NOT_WAITING = 0;
    /** In the queue of {@link #head}. */
    static final int WAITING = 1;
    /** Granted by another thread; the waiter returns. */
    static final int GRANTED = 2;
    /** Chosen as a deadlock victim; the waiter throws {@code DeadlockException}. */
    static final int VICTIM = 3;
    /** The transaction ended while waiting; the waiter throws. */
    static final int CANCELLED = 4;

    final TxnLocks txn;
    final LockHead head;
    final long resource;
    /** Granted mode; null until granted. */
    LockMode mode;
    /** The mode waited for (the target of an upgrade); null when not waiting. */
    LockMode requestedMode;
    /** One of the wait states above. */
    int waitState = NOT_WAITING;
    /** The waiter parks here; made at the first wait, from the shard's lock. */
    Condition condition;
    /** Set with {@link #VICTIM} or {@link #CANCELLED}: what the waiter throws. */
    String failureMessage;
    /** Set with {@link #VICTIM}: the cycle, starting with the victim. */
    long[] cycleTxnIds;

    LockRequest(final TxnLocks txn, final LockHead head) {
        this.txn = txn;
        this.head = head;
        this.resource = head.resource;
    }

    /** The mode this request contends with while it waits. */
    int requestedCode() {
        return requestedMode.code();
    }

    @Override
    public String toString() {
        if (mode == null) {
            return "txn " + txn.txnId + " " + requestedMode;
        }
        return "txn " + txn.txnId + " " + mode + (requestedMode != null ? "->" + requestedMode : "");
    }
}
