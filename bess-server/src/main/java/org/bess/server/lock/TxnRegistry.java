package org.bess.server.lock;

import java.util.concurrent.locks.ReentrantLock;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Transaction id to {@link TxnLocks}, striped: each stripe is a primitive map under its own lock, so a lookup
 * neither boxes the id nor contends with transactions of other stripes.
 *
 * <p>Thread safe. A stripe lock is never held together with another lock.
 */
final class TxnRegistry {
    private static final int STRIPE_COUNT = 16;

    private final ReentrantLock[] locks = new ReentrantLock[STRIPE_COUNT];
    private final Stripe[] stripes = new Stripe[STRIPE_COUNT];

    TxnRegistry() {
        for (int i = 0; i < STRIPE_COUNT; i++) {
            locks[i] = new ReentrantLock();
            stripes[i] = new Stripe();
        }
    }

    /** The locks of a transaction, made at its first request. */
    TxnLocks getOrCreate(final long txnId) {
        final int stripe = stripeOf(txnId);
        locks[stripe].lock();
        try {
            final Long2ObjectHashMap<TxnLocks> map = stripes[stripe].map;
            TxnLocks txn = map.get(txnId);
            if (txn == null) {
                txn = new TxnLocks(txnId);
                map.put(txnId, txn);
            }
            return txn;
        } finally {
            locks[stripe].unlock();
        }
    }

    /** The locks of a transaction, or null when it holds and waits for nothing. */
    TxnLocks get(final long txnId) {
        final int stripe = stripeOf(txnId);
        locks[stripe].lock();
        try {
            return stripes[stripe].map.get(txnId);
        } finally {
            locks[stripe].unlock();
        }
    }

    /** Forgets a transaction; returns its locks, or null when it had none. */
    TxnLocks remove(final long txnId) {
        final int stripe = stripeOf(txnId);
        locks[stripe].lock();
        try {
            return stripes[stripe].map.remove(txnId);
        } finally {
            locks[stripe].unlock();
        }
    }

    private static int stripeOf(final long txnId) {
        return (int) ((txnId * 0x9E37_79B9_7F4A_7C15L) >>> 60);
    }

    private static final class Stripe {
        final Long2ObjectHashMap<TxnLocks> map = new Long2ObjectHashMap<>();
    }
}
