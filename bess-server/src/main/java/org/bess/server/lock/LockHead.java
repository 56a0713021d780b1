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
    /** Holder counts per mode and the waiters flag, exactly as a shared-memory lock word would hold them. */
    long word;

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
        queue.clear();
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
        if (holderCount == holders.length) {
            holders = Arrays.copyOf(holders, holderCount * 2);
        }
        holders[holderCount++] = request;
        word = LockWordDescriptor.add(word, request.mode.code());
    }

    void removeHolder(final LockRequest request) {
        for (int i = 0; i < holderCount; i++) {
            if (holders[i] == request) {
                holders[i] = holders[--holderCount];
                holders[holderCount] = null;
                word = LockWordDescriptor.remove(word, request.mode.code());
                return;
            }
        }
        throw new IllegalStateException("not a holder: " + request + " of " + LockResource.toString(resource));
    }

    void changeMode(final LockRequest holder, final LockMode mode) {
        word = LockWordDescriptor.add(LockWordDescriptor.remove(word, holder.mode.code()), mode.code());
        holder.mode = mode;
    }

    /** Queues a waiter: an upgrade behind the earlier upgrades, a new request at the tail. */
    void enqueue(final LockRequest request) {
        if (request.mode != null) {
            queue.add(upgraderCount++, request);
        } else {
            queue.add(request);
        }
        word |= LockWordDescriptor.WAITERS_FLAG;
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
            word &= ~LockWordDescriptor.WAITERS_FLAG;
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
