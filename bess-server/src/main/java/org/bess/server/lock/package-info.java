/**
 * The lock manager: strict two-phase locking with S and X locks on pages and IS, IX, S, SIX and X locks on files and
 * databases ({@link org.bess.server.lock.LockManager}, {@link org.bess.server.lock.LockMode},
 * {@link org.bess.server.lock.LockResource}), lock upgrades, lock wait timeouts, local deadlock detection on a
 * waits-for graph with the youngest transaction (highest id) as victim, and a per-transaction lock quota.
 *
 * <p><b>Threads.</b> Thread safe: any number of transactions lock concurrently, each from one thread at a time. The
 * table is sharded; each shard is a {@code ReentrantLock} over a primitive map of per-resource heads, and a waiter
 * parks on its own {@code Condition} of that lock with a timed await (no spinning). The deadlock search takes every
 * shard lock in index order; a transaction's own lock is taken only inside a shard lock, never the reverse.
 *
 * <p><b>Shared memory, next.</b> Each head keeps its granted group as a 64-bit lock word laid out by
 * {@link org.bess.format.LockWordDescriptor} (holder counts per mode, a waiters flag, a latch flag, a generation),
 * and the uncontended path is one hash lookup and one test-and-update of that word in a short critical section. The
 * daemon issue moves the words into a shared-memory table ({@code docs/format/lock-table.md}): a client then takes an
 * uncontended lock with one CAS on the word (no waiter, no latch, compatible with the counted holders) and records it
 * in its own lock log; everything else (conflicts, waits, upgrades, deadlock detection, releases while a waiter is
 * flagged) goes through the server, which runs this package. The waiters flag is what makes that split safe: once a
 * request is queued, every release goes to the server, so no wake-up is lost.
 *
 * <p>This package does not know transactions beyond their ids: the transaction manager calls
 * {@link org.bess.server.lock.LockManager#lock} before a page is read or written and
 * {@link org.bess.server.lock.LockManager#releaseAll} after commit or abort.
 */
package org.bess.server.lock;
