package org.bess.server.lock;

import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * One shard of the lock table: the heads of the resources that hash to it, under one {@link ReentrantLock} whose
 * conditions park the shard's waiters. Empty heads are kept in a small pool, so that locking a page nobody else
 * holds allocates nothing but the request.
 *
 * <p>Every field is guarded by {@link #lock}.
 */
final class LockShard {
    private static final int HEAD_POOL_LIMIT = 256;

    final ReentrantLock lock = new ReentrantLock();
    final int index;
    final Long2ObjectHashMap<LockHead> heads = new Long2ObjectHashMap<>();
    private final ArrayDeque<LockHead> freeHeads = new ArrayDeque<>();
    /** Granted locks (holder requests) in this shard. */
    long heldCount;
    /** Queued requests in this shard. */
    long waiterCount;

    LockShard(final int index) {
        this.index = index;
    }

    /**
     * The head of a resource, made (or taken from the pool) when the resource has none; a new head of a resource in
     * the shared lock table uses (and pins) its entry.
     */
    LockHead headFor(final long resource, final SharedLockTable table) {
        LockHead head = heads.get(resource);
        if (head == null) {
            head = freeHeads.poll();
            if (head == null) {
                head = new LockHead();
            }
            head.reset(resource);
            if (table != null) {
                final int entry = table.lookupAndPin(resource);
                if (entry >= 0) {
                    head.table = table;
                    head.entry = entry;
                }
            }
            heads.put(resource, head);
        }
        return head;
    }

    /** Drops a head that nobody holds, waits on or is inside {@code acquire} for. */
    void freeIfUnused(final LockHead head) {
        if (head != null && head.isUnused()) {
            heads.remove(head.resource);
            if (head.entry >= 0) {
                head.table.unpin(head.entry);
                head.table = null;
                head.entry = -1;
            }
            if (freeHeads.size() < HEAD_POOL_LIMIT) {
                freeHeads.push(head);
            }
        }
    }
}
