package org.bess.server.lock;

import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * Configuration of a {@link LockManager}, with defaults from system properties ({@code bess.lock.<name>}). Fluent
 * setters; read once when the lock manager is made.
 *
 * <p>Not thread safe: configure on one thread, then hand it to the {@link LockManager} constructor.
 */
public final class LockContext {
    /** Property: the most locks (distinct resources) one transaction may hold. */
    public static final String MAX_LOCKS_PER_TRANSACTION_PROP_NAME = "bess.lock.max.per.transaction";
    /** Default: 1,048,576 locks per transaction. */
    public static final int MAX_LOCKS_PER_TRANSACTION_DEFAULT = 1 << 20;
    /** Property: the lock wait timeout callers use when they have no better one, in milliseconds. */
    public static final String LOCK_TIMEOUT_PROP_NAME = "bess.lock.timeout.ms";
    /** Default lock wait timeout: 10 s. */
    public static final long LOCK_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(10);
    /** Property: how often a waiter searches the waits-for graph again while it still waits, in milliseconds. */
    public static final String DEADLOCK_RECHECK_PROP_NAME = "bess.lock.deadlock.recheck.ms";
    /** Default re-check interval: 100 ms (the first search runs as soon as a request blocks). */
    public static final long DEADLOCK_RECHECK_DEFAULT_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Property: shards of the lock table, a power of two. */
    public static final String SHARD_COUNT_PROP_NAME = "bess.lock.shards";
    /** Default: 64 shards. */
    public static final int SHARD_COUNT_DEFAULT = 64;

    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private int maxLocksPerTransaction =
            Integer.getInteger(MAX_LOCKS_PER_TRANSACTION_PROP_NAME, MAX_LOCKS_PER_TRANSACTION_DEFAULT);
    private long lockTimeoutNs = msProperty(LOCK_TIMEOUT_PROP_NAME, LOCK_TIMEOUT_DEFAULT_NS);
    private long deadlockRecheckNs = msProperty(DEADLOCK_RECHECK_PROP_NAME, DEADLOCK_RECHECK_DEFAULT_NS);
    private int shardCount = Integer.getInteger(SHARD_COUNT_PROP_NAME, SHARD_COUNT_DEFAULT);

    /** The clock of lock deadlines. */
    public NanoClock nanoClock() {
        return nanoClock;
    }

    /** Sets the clock of lock deadlines. */
    public LockContext nanoClock(final NanoClock clock) {
        this.nanoClock = clock;
        return this;
    }

    /** The most locks one transaction may hold; one more is refused with {@code QUOTA}. */
    public int maxLocksPerTransaction() {
        return maxLocksPerTransaction;
    }

    /** Sets the most locks one transaction may hold. */
    public LockContext maxLocksPerTransaction(final int count) {
        this.maxLocksPerTransaction = count;
        return this;
    }

    /** The lock wait timeout for callers that have no better one (the lock manager takes one per call). */
    public long lockTimeoutNs() {
        return lockTimeoutNs;
    }

    /** Sets the default lock wait timeout. */
    public LockContext lockTimeoutNs(final long timeoutNs) {
        this.lockTimeoutNs = timeoutNs;
        return this;
    }

    /** How often a waiter searches the waits-for graph again while it still waits. */
    public long deadlockRecheckNs() {
        return deadlockRecheckNs;
    }

    /** Sets the deadlock re-check interval. */
    public LockContext deadlockRecheckNs(final long intervalNs) {
        this.deadlockRecheckNs = intervalNs;
        return this;
    }

    /** Shards of the lock table. */
    public int shardCount() {
        return shardCount;
    }

    /** Sets the shards of the lock table (a power of two). */
    public LockContext shardCount(final int count) {
        this.shardCount = count;
        return this;
    }

    /**
     * Checks the settings.
     *
     * @throws BessException {@code BAD_ARGUMENT} naming the first setting out of range.
     */
    void checkValid() {
        if (shardCount <= 0 || shardCount > 1 << 20 || Integer.bitCount(shardCount) != 1) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "lock shards must be a power of two: " + SHARD_COUNT_PROP_NAME + "=" + shardCount);
        }
        if (maxLocksPerTransaction <= 0) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "locks per transaction must be positive: " + MAX_LOCKS_PER_TRANSACTION_PROP_NAME + "="
                            + maxLocksPerTransaction);
        }
        if (deadlockRecheckNs <= 0) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "deadlock re-check interval must be positive: deadlockRecheckNs=" + deadlockRecheckNs);
        }
        if (nanoClock == null) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "lock context has no clock");
        }
    }

    private static long msProperty(final String name, final long defaultNs) {
        final Long ms = Long.getLong(name);
        return ms == null ? defaultNs : TimeUnit.MILLISECONDS.toNanos(ms);
    }
}
