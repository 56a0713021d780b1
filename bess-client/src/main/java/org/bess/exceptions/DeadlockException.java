package org.bess.exceptions;

import java.util.Arrays;

/**
 * The transaction was chosen as the victim of a local deadlock: the youngest transaction (highest id) of a cycle in
 * the waits-for graph. Its lock request was withdrawn; the locks it already held stay held until its owner aborts it,
 * which lets the other transactions of the cycle proceed.
 */
public final class DeadlockException extends BessException {
    private static final long serialVersionUID = 1L;

    private final long txnId;
    private final long resource;
    private final long[] cycleTxnIds;

    /**
     * A deadlock victim.
     *
     * @param txnId the victim.
     * @param resource the 64-bit resource key the victim waited for.
     * @param cycleTxnIds the transactions of the cycle, starting with the victim, each waiting for the next.
     * @param message what, naming the victim, the decoded resource, the mode, the holders and the cycle.
     */
    public DeadlockException(final long txnId, final long resource, final long[] cycleTxnIds, final String message) {
        super(ErrorCode.DEADLOCK, message);
        this.txnId = txnId;
        this.resource = resource;
        this.cycleTxnIds = cycleTxnIds.clone();
    }

    /** The victim transaction. */
    public long txnId() {
        return txnId;
    }

    /** The resource key the victim waited for. */
    public long resource() {
        return resource;
    }

    /** The transactions of the cycle, starting with the victim; each waits for the next, the last for the first. */
    public long[] cycleTxnIds() {
        return Arrays.copyOf(cycleTxnIds, cycleTxnIds.length);
    }
}
