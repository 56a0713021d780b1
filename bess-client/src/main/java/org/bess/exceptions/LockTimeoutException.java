package org.bess.exceptions;

/**
 * A lock request waited longer than its timeout. Across nodes this is how deadlocks end (DESIGN.md §5); locally it
 * bounds a wait. The transaction keeps the locks it already held: its owner aborts it, which releases them.
 */
public final class LockTimeoutException extends BessException {
    private static final long serialVersionUID = 1L;

    private final long txnId;
    private final long resource;

    /**
     * A timed-out wait.
     *
     * @param txnId the transaction that waited.
     * @param resource the 64-bit resource key it waited for.
     * @param message what, naming the transaction, the decoded resource, the mode, the wait and the holders.
     */
    public LockTimeoutException(final long txnId, final long resource, final String message) {
        super(ErrorCode.LOCK_TIMEOUT, message);
        this.txnId = txnId;
        this.resource = resource;
    }

    /** The transaction whose wait timed out. */
    public long txnId() {
        return txnId;
    }

    /** The resource key it waited for. */
    public long resource() {
        return resource;
    }
}
