package org.bess.server.lock;

import org.bess.format.LockWordDescriptor;

/**
 * The invariants of a lock table shard, checked by {@link LockManager#checkInvariants()} for tests.
 *
 * <p>Thread safe: statics only; the caller holds the shard's lock.
 */
final class LockInvariants {
    private LockInvariants() {}

    static void checkShard(final LockShard shard) {
        long held = 0;
        long waiters = 0;
        for (final LockHead head : shard.heads.values()) {
            if (head.isUnused()) {
                fail(head, "an unused head is still in the table");
            }
            checkHolders(head);
            checkQueue(head);
            held += head.holderCount;
            waiters += head.queue.size();
        }
        if (held != shard.heldCount || waiters != shard.waiterCount) {
            throw new IllegalStateException("shard counters do not add up: shard=" + shard.index + ", held="
                    + shard.heldCount + " (counted " + held + "), waiters=" + shard.waiterCount + " (counted "
                    + waiters + ")");
        }
    }

    private static void checkHolders(final LockHead head) {
        long word = head.queue.isEmpty() ? 0 : LockWordDescriptor.WAITERS_FLAG;
        for (int i = 0; i < head.holderCount; i++) {
            final LockRequest holder = head.holders[i];
            if (holder.head != head || holder.mode == null) {
                fail(head, "a holder of another head or with no mode: " + holder);
            }
            word = LockWordDescriptor.add(word, holder.mode.code());
            for (int j = 0; j < i; j++) {
                final LockRequest other = head.holders[j];
                if (other.txn == holder.txn) {
                    fail(head, "two holders for one transaction: " + other + ", " + holder);
                }
                if (!holder.mode.isCompatibleWith(other.mode)) {
                    fail(head, "incompatible holders: " + other + ", " + holder);
                }
            }
        }
        final long actual = head.word();
        if (!head.isShared() && word != actual) {
            fail(
                    head,
                    "lock word " + LockWordDescriptor.toString(actual) + " differs from its holders "
                            + LockWordDescriptor.toString(word));
        }
        if (head.isShared()) {
            // the shared word also counts the clients' fast-path S holders (or one fast-path X), and nothing else the
            // server does not know
            final long fast = (actual & LockWordDescriptor.HOLDERS_MASK) - (word & LockWordDescriptor.HOLDERS_MASK);
            final long sMask = (long) LockWordDescriptor.MAX_COUNT << LockWordDescriptor.S_COUNT_SHIFT;
            final long xBit = 1L << LockWordDescriptor.X_SHIFT;
            if (fast < 0
                    || (fast & ~(sMask | xBit)) != 0
                    || (actual & LockWordDescriptor.WAITERS_FLAG) != (word & LockWordDescriptor.WAITERS_FLAG)) {
                fail(
                        head,
                        "shared lock word " + LockWordDescriptor.toString(actual) + " is not its holders "
                                + LockWordDescriptor.toString(word) + " plus fast-path S holders or X");
            }
        }
    }

    private static void checkQueue(final LockHead head) {
        int aheadMask = 0;
        for (int i = 0; i < head.queue.size(); i++) {
            final LockRequest waiter = head.queue.get(i);
            if (waiter.waitState != LockRequest.WAITING
                    || waiter.requestedMode == null
                    || waiter.txn.waiting != waiter
                    || waiter.head != head) {
                fail(head, "a queued request that does not wait here: " + waiter + ", state=" + waiter.waitState);
            }
            if ((i < head.upgraderCount) != (waiter.mode != null)) {
                fail(head, "upgrades are not ahead of new requests: " + waiter + " at " + i);
            }
            final int code = waiter.requestedCode();
            final long w = head.word();
            final long base = waiter.mode != null ? LockWordDescriptor.remove(w, waiter.mode.code()) : w;
            if (LockWordDescriptor.isCompatible(base, code)
                    && LockWordDescriptor.canAdd(base, code)
                    && LockWordDescriptor.isCompatibleWithMask(aheadMask, code)) {
                fail(head, "a waiter that could be granted was left waiting (lost wake-up): " + waiter);
            }
            if (DeadlockDetector.blockersOf(waiter).isEmpty() && !head.isShared()) {
                fail(head, "a waiter that waits for nobody: " + waiter);
            }
            aheadMask |= LockWordDescriptor.bit(code);
        }
    }

    private static void fail(final LockHead head, final String what) {
        throw new IllegalStateException("lock table invariant broken: " + what + ", resource="
                + LockResource.toString(head.resource) + ", " + head.describe(null));
    }
}
