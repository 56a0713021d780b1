package org.bess.server.lock;

import java.util.ArrayList;
import java.util.Arrays;
import org.bess.format.LockWordDescriptor;

/**
 * The lock table entry of one resource: the lock word (the granted group, as {@link LockWordDescriptor} encodes it),
 * the holders, and the FIFO queue of waiters with upgraders at its front.
 *
 * <p>Guarded by the lock of its {@link LockShard}.
 */
final class LockHead {
    long resource;
    /**
     * Holder counts per mode and the waiters flag while the resource has no shared-memory entry; with one ({@link
     * #entry} set) the word lives there instead, and also counts the clients' fast-path holders.
     */
    long word;
    /** The shared lock table of {@link #entry}. */
    SharedLockTable table;
    /** The resource's entry in the shared lock table (pinned while this head exists), or -1. */
    int entry = -1;

    LockRequest[] holders = new LockRequest[4];
    int holderCount;
    /** Waiters in grant order: {@link #upgraderCount} upgraders first, then new requests in arrival order. */
    final ArrayList<LockRequest> queue = new ArrayList<>(4);

    int upgraderCount;
    /** Threads inside {@code LockManager.acquire} on this head: a pinned head is not freed. */
    int pins;

    void reset(final long resource) {
        this.resource = resource;
        this.word = LockWordDescriptor.FREE_WORD;
        this.holderCount = 0;
        this.upgraderCount = 0;
        this.pins = 0;
        this.table = null;
        this.entry = -1;
        queue.clear();
    }

    /** Whether the word lives in the shared lock table (clients may change its S count while W and L are clear). */
    boolean isShared() {
        return entry >= 0;
    }

    /** The lock word now: every holder (the server's and, when shared, the clients' fast-path ones) and W. */
    long word() {
        return entry < 0 ? word : table.word(entry);
    }

    /**
     * Replaces the word observed as {@code expected}; false when a client changed it since (shared words only: a
     * local word is only changed under the shard lock, by the caller).
     */
    boolean casWord(final long expected, final long update) {
        if (entry < 0) {
            word = update;
            return true;
        }
        return table.cas(entry, expected, update);
    }

    /** Applies a change to the word whatever clients do meanwhile (their changes commute with the server's). */
    void updateWord(final java.util.function.LongUnaryOperator change) {
        for (int attempt = 0; ; attempt++) {
            final long w = word();
            if (casWord(w, change.applyAsLong(w))) {
                return;
            }
            if (attempt > 100_000) {
                throw new IllegalStateException("shared lock word keeps changing under the server: resource="
                        + LockResource.toString(resource) + ", word=" + LockWordDescriptor.toString(w));
            }
            Thread.yield(); // a failed CAS means a client's CAS succeeded: lock-free progress, no waiting
        }
    }

    /** Records a holder whose mode the caller already added to the word. */
    void recordHolder(final LockRequest request) {
        if (holderCount == holders.length) {
            holders = Arrays.copyOf(holders, holderCount * 2);
        }
        holders[holderCount++] = request;
    }

    boolean isUnused() {
        return holderCount == 0 && queue.isEmpty() && pins == 0;
    }

    LockRequest holderOf(final TxnLocks txn) {
        for (int i = 0; i < holderCount; i++) {
            if (holders[i].txn == txn) {
                return holders[i];
            }
        }
        return null;
    }

    void addHolder(final LockRequest request) {
        recordHolder(request);
        final int code = request.mode.code();
        updateWord(w -> LockWordDescriptor.add(w, code));
    }

    void removeHolder(final LockRequest request) {
        for (int i = 0; i < holderCount; i++) {
            if (holders[i] == request) {
                holders[i] = holders[--holderCount];
                holders[holderCount] = null;
                final int code = request.mode.code();
                updateWord(w -> LockWordDescriptor.remove(w, code));
                return;
            }
        }
        throw new IllegalStateException("not a holder: " + request + " of " + LockResource.toString(resource));
    }

    void changeMode(final LockRequest holder, final LockMode mode) {
        final int from = holder.mode.code();
        updateWord(w -> LockWordDescriptor.add(LockWordDescriptor.remove(w, from), mode.code()));
        holder.mode = mode;
    }

    /** Queues a waiter: an upgrade behind the earlier upgrades, a new request at the tail. */
    void enqueue(final LockRequest request) {
        if (request.mode != null) {
            queue.add(upgraderCount++, request);
        } else {
            queue.add(request);
        }
        updateWord(w -> w | LockWordDescriptor.WAITERS_FLAG);
    }

    void dequeue(final LockRequest request) {
        final int index = queue.indexOf(request);
        if (index < 0) {
            throw new IllegalStateException("not queued: " + request + " on " + LockResource.toString(resource));
        }
        dequeueAt(index);
    }

    void dequeueAt(final int index) {
        if (index < upgraderCount) {
            upgraderCount--;
        }
        queue.remove(index);
        if (queue.isEmpty()) {
            updateWord(w -> w & ~LockWordDescriptor.WAITERS_FLAG);
        }
    }

    /** The modes waited for by every queued request: a new request must be compatible with all of them (FIFO). */
    int waitingMask() {
        int mask = 0;
        for (int i = 0; i < queue.size(); i++) {
            mask |= LockWordDescriptor.bit(queue.get(i).requestedCode());
        }
        return mask;
    }

    /** The modes waited for by queued upgrades: a new upgrade must be compatible with all of them. */
    int upgradingMask() {
        int mask = 0;
        for (int i = 0; i < upgraderCount; i++) {
            mask |= LockWordDescriptor.bit(queue.get(i).requestedCode());
        }
        return mask;
    }

    /** Readable holders and waiters other than {@code except}, for messages: {@code [txn 3 S, txn 5 S]}. */
    String describe(final TxnLocks except) {
        final StringBuilder out = new StringBuilder("holders=[");
        appendAll(out, holders, holderCount, except);
        out.append(']');
        if (!queue.isEmpty()) {
            out.append(", waiting=[");
            appendAll(out, queue.toArray(new LockRequest[0]), queue.size(), except);
            out.append(']');
        }
        return out.toString();
    }

    private static void appendAll(
            final StringBuilder out, final LockRequest[] requests, final int count, final TxnLocks except) {
        final int limit = 8;
        int shown = 0;
        for (int i = 0; i < count; i++) {
            if (requests[i].txn == except) {
                continue;
            }
            if (shown == limit) {
                out.append(", ...");
                break;
            }
            out.append(shown == 0 ? "" : ", ").append(requests[i]);
            shown++;
        }
    }
}
