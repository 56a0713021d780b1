package org.bess.server.lock;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.bess.format.LockWordDescriptor;

/**
 * Searches the waits-for graph for a cycle through one transaction. Nodes are transactions; a waiting request
 * {@code w} of transaction {@code T} on resource {@code R} gives the edges {@code T -> H} for every other holder
 * {@code H} of {@code R} whose granted mode is incompatible with the mode {@code w} waits for, and {@code T -> Q} for
 * every other request {@code Q} queued ahead of {@code w} whose wanted mode is incompatible with it (FIFO: a request
 * is granted only when compatible with the holders and with every request ahead of it). Two upgraders of one
 * resource therefore wait for each other.
 *
 * <p>The caller holds every shard lock, so the graph it reads is one consistent snapshot. Not thread safe: an
 * instance is used under those locks only.
 */
final class DeadlockDetector {
    private final Set<TxnLocks> visited = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<TxnLocks> path = new ArrayList<>();
    /** The fast-path holders of a shared resource whose modes conflict with a wanted mode, from the lock logs. */
    private final java.util.function.BiFunction<LockHead, Integer, List<TxnLocks>> fastPathHolders;

    DeadlockDetector(final java.util.function.BiFunction<LockHead, Integer, List<TxnLocks>> fastPathHolders) {
        this.fastPathHolders = fastPathHolders;
    }

    /**
     * A cycle of the waits-for graph through {@code start}, or null.
     *
     * @param start a waiting transaction.
     * @return the transactions of the cycle, starting with {@code start}, each waiting for the next and the last for
     *     {@code start}; null when {@code start} is in no cycle.
     */
    List<TxnLocks> findCycle(final TxnLocks start) {
        visited.clear();
        path.clear();
        try {
            return search(start, start) ? new ArrayList<>(path) : null;
        } finally {
            visited.clear();
            path.clear();
        }
    }

    /** The victim of a cycle: its youngest transaction, the one with the highest id (ids grow as they begin). */
    static TxnLocks youngest(final List<TxnLocks> cycle) {
        TxnLocks victim = cycle.get(0);
        for (final TxnLocks txn : cycle) {
            if (txn.txnId > victim.txnId) {
                victim = txn;
            }
        }
        return victim;
    }

    /** The transactions a waiting request waits for (may repeat one). */
    static List<TxnLocks> blockersOf(final LockRequest waiter) {
        final List<TxnLocks> blockers = new ArrayList<>(4);
        final LockHead head = waiter.head;
        final int code = waiter.requestedCode();
        for (int i = 0; i < head.holderCount; i++) {
            final LockRequest holder = head.holders[i];
            if (holder.txn != waiter.txn && !LockWordDescriptor.isCompatible(holder.mode.code(), code)) {
                blockers.add(holder.txn);
            }
        }
        for (int i = 0; i < head.queue.size(); i++) {
            final LockRequest ahead = head.queue.get(i);
            if (ahead == waiter) {
                break;
            }
            if (ahead.txn != waiter.txn && !LockWordDescriptor.isCompatible(ahead.requestedCode(), code)) {
                blockers.add(ahead.txn);
            }
        }
        return blockers;
    }

    private boolean search(final TxnLocks node, final TxnLocks start) {
        final LockRequest waiting = node.waiting;
        if (waiting == null || waiting.waitState != LockRequest.WAITING) {
            return false;
        }
        visited.add(node);
        path.add(node);
        final List<TxnLocks> blockers = blockersOf(waiting);
        if (waiting.head.isShared()) {
            for (final TxnLocks holder : fastPathHolders.apply(waiting.head, waiting.requestedCode())) {
                if (holder != node) {
                    blockers.add(holder);
                }
            }
        }
        for (final TxnLocks next : blockers) {
            if (next == start) {
                return true;
            }
            if (!visited.contains(next) && search(next, start)) {
                return true;
            }
        }
        path.remove(path.size() - 1);
        return false;
    }
}
