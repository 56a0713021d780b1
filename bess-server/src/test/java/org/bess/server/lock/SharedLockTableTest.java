package org.bess.server.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LockTableDescriptor;
import org.bess.format.LockWordDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's side of the shared-memory lock table with a client that follows the spec's fast path through its own
 * mapping of the real file: fast-path holders conflict with the server's requests (W path), are named in deadlock
 * searches, are taken over on upgrade, are released at their transaction's end, and a client that died between
 * {@code ACQUIRING} and {@code HELD} is recounted. Garbage in the file or a log gives clear errors and no crash.
 */
@Timeout(60)
class SharedLockTableTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path dir;

    private SharedLockTable table;
    private LockManager locks;

    @BeforeEach
    void start() {
        table = SharedLockTable.create(
                dir.resolve("locks"), 64, 4, 8, ProcessHandle.current().pid());
        locks = new LockManager(new LockContext());
        locks.attachSharedTable(table);
    }

    @AfterEach
    void stop() {
        table.close();
    }

    /** A client: its own mapping of the file and one log slot; the fast path exactly as the spec writes it. */
    private final class Client {
        final UnsafeBuffer buffer;
        final int slot;
        int logCount;

        Client(final long txnId) throws IOException {
            try (FileChannel ch = FileChannel.open(table.path(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                final MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
                buffer = new UnsafeBuffer(m);
            }
            slot = table.claimLog(txnId);
            table.bind(slot, txnId);
        }

        int entry(final long key) {
            final int home = LockTableDescriptor.home(key, 64);
            for (int p = 0; p < LockTableDescriptor.MAX_PROBE; p++) {
                final int e = (home + p) & 63;
                if (buffer.getLongVolatile((int) LockTableDescriptor.entryOffset(64, e)) == key) {
                    return e;
                }
            }
            return -1;
        }

        int wordOffset(final long key) {
            return (int) LockTableDescriptor.entryOffset(64, entry(key)) + LockWordDescriptor.ENTRY_WORD_OFFSET;
        }

        int logEntry(final int i) {
            return (int) LockTableDescriptor.logEntryOffset(64, 8, slot, i);
        }

        /** Steps 1 to 4, stopping after {@code steps} of append, CAS, mark (for the death cases). */
        boolean lockShared(final long key, final int steps) {
            final int e = entry(key);
            if (e < 0) {
                return false;
            }
            final long word = buffer.getLongVolatile(wordOffset(key));
            if (!LockWordDescriptor.isFastPathAcquirable(word, LockWordDescriptor.MODE_S)) {
                return false;
            }
            final int i = logCount++;
            buffer.putLong(logEntry(i), key);
            buffer.putLongVolatile(
                    logEntry(i) + 8,
                    LockTableDescriptor.logState(LockTableDescriptor.ACQUIRING, LockWordDescriptor.MODE_S));
            if (steps == 1) {
                return false;
            }
            if (!buffer.compareAndSetLong(
                    wordOffset(key), word, LockWordDescriptor.add(word, LockWordDescriptor.MODE_S))) {
                buffer.putLongVolatile(logEntry(i) + 8, 0);
                logCount--;
                return false;
            }
            if (steps == 2) {
                return true;
            }
            buffer.putLongVolatile(
                    logEntry(i) + 8, LockTableDescriptor.logState(LockTableDescriptor.HELD, LockWordDescriptor.MODE_S));
            return true;
        }

        boolean lockShared(final long key) {
            return lockShared(key, 3);
        }
    }

    private static long page(final long pageNo) {
        return LockResource.page(1, 1, pageNo);
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        long sleepMs = 1;
        final long deadline = System.nanoTime() + 20 * SECOND;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(sleepMs);
            sleepMs = Math.min(50, sleepMs * 2);
        }
    }

    private int sCount(final long key) {
        return LockWordDescriptor.count(locks.sharedWord(key), LockWordDescriptor.MODE_S);
    }

    @Test
    void shouldCreateTheFileEmptyAndPrivate() throws IOException {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(table.path())))
                .isEqualTo("rw-------");
        assertThat(Files.size(table.path())).isEqualTo(LockTableDescriptor.fileLength(64, 4, 8));
        assertThat(locks.sharedWord(page(1))).isEqualTo(-1);
    }

    @Test
    void shouldCountAFastPathHolderAndMakeAServerWriterWaitUntilItsTransactionEnds() throws Exception {
        final long key = page(7);
        assertThat(locks.share(key)).isTrue();
        final Client client = new Client(1);
        assertThat(client.lockShared(key)).isTrue();
        assertThat(sCount(key)).isEqualTo(1);
        assertThat(locks.holds(1, key, LockMode.S))
                .as("the fast-path lock is the transaction's")
                .isTrue();
        assertThat(locks.tryLock(2, key, LockMode.X))
                .as("X conflicts with the fast-path S")
                .isFalse();
        final CompletableFuture<Void> writer =
                CompletableFuture.runAsync(() -> locks.lock(2, key, LockMode.X, 20 * SECOND));
        await("the writer to wait", () -> locks.waiterCount() == 1);
        assertThat(LockWordDescriptor.hasWaiters(locks.sharedWord(key)))
                .as("W set")
                .isTrue();
        locks.checkInvariants();
        final Client other = new Client(3);
        assertThat(other.lockShared(key))
                .as("W closes the fast path (FIFO behind the writer)")
                .isFalse();
        assertThat(writer).isNotDone();
        assertThat(locks.releaseAll(1)).isEqualTo(1); // the commit of the fast-path holder's transaction
        writer.get(10, TimeUnit.SECONDS);
        final long word = locks.sharedWord(key);
        assertThat(LockWordDescriptor.count(word, LockWordDescriptor.MODE_X)).isEqualTo(1);
        assertThat(LockWordDescriptor.hasWaiters(word)).isFalse();
        assertThat(client.buffer.getLongVolatile(client.logEntry(0) + 8))
                .as("log cleared")
                .isZero();
        locks.checkInvariants();
        locks.releaseAll(2);
        assertThat(LockWordDescriptor.isHeld(locks.sharedWord(key))).isFalse();
        assertThat(other.lockShared(key)).as("fast path open again").isTrue();
    }

    @Test
    void shouldUpgradeAFastPathSharedLockOfTheSameTransactionWithoutWaiting() throws Exception {
        final long key = page(9);
        locks.lock(1, key, LockMode.S, SECOND); // the server's own S of the transaction (an object open)
        assertThat(locks.share(key)).isTrue();
        final Client client = new Client(1);
        assertThat(client.lockShared(key)).isTrue();
        assertThat(sCount(key)).as("one transaction counted twice").isEqualTo(2);
        assertThat(locks.tryLock(1, key, LockMode.X))
                .as("upgrade: the only S holder is the requester")
                .isTrue();
        final long word = locks.sharedWord(key);
        assertThat(LockWordDescriptor.count(word, LockWordDescriptor.MODE_S)).isZero();
        assertThat(LockWordDescriptor.count(word, LockWordDescriptor.MODE_X)).isEqualTo(1);
        assertThat(LockTableDescriptor.stateOf(client.buffer.getLongVolatile(client.logEntry(0) + 8)))
                .isEqualTo(LockTableDescriptor.TRANSFERRED);
        locks.checkInvariants();
        assertThat(locks.releaseAll(1)).isEqualTo(1);
        assertThat(locks.sharedWord(key) & LockWordDescriptor.HOLDERS_MASK).isZero();
        assertThat(locks.lockCount()).isZero();
    }

    @Test
    void shouldDetectADeadlockThroughAFastPathHolderNamedFromItsLockLog() throws Exception {
        final long r1 = page(1);
        final long r2 = page(2);
        assertThat(locks.share(r1)).isTrue();
        final Client t1 = new Client(1);
        assertThat(t1.lockShared(r1)).isTrue(); // txn 1 holds r1 by the fast path only
        locks.lock(2, r2, LockMode.X, SECOND); // txn 2 holds r2 in the server
        final CompletableFuture<Void> first =
                CompletableFuture.runAsync(() -> locks.lock(1, r2, LockMode.X, 30 * SECOND));
        await("txn 1 to wait for txn 2", () -> locks.waiterCount() == 1);
        // txn 2 (the youngest) waits for txn 1, which only the lock log names: a cycle, not a timeout
        assertThatThrownBy(() -> locks.lock(2, r1, LockMode.X, 30 * SECOND))
                .isInstanceOf(DeadlockException.class)
                .satisfies(
                        e -> assertThat(((DeadlockException) e).cycleTxnIds()).containsExactlyInAnyOrder(1L, 2L));
        assertThat(locks.deadlockCount()).isEqualTo(1);
        locks.releaseAll(2); // the victim's rollback
        first.get(10, TimeUnit.SECONDS);
        locks.checkInvariants();
        locks.releaseAll(1);
        assertThat(locks.lockCount()).isZero();
        assertThat(locks.sharedWord(r1) & LockWordDescriptor.HOLDERS_MASK).isZero();
    }

    @Test
    void shouldRecountAWordWhoseClientDiedBetweenAcquiringAndHeld() throws Exception {
        final long key = page(5);
        assertThat(locks.share(key)).isTrue();
        final Client live = new Client(1);
        assertThat(live.lockShared(key)).isTrue();
        final Client diedAfterCas = new Client(2);
        assertThat(diedAfterCas.lockShared(key, 2)).isTrue(); // counted, still ACQUIRING
        final Client diedBeforeCas = new Client(3);
        diedBeforeCas.lockShared(key, 1); // logged, not counted
        assertThat(sCount(key)).isEqualTo(2);
        table.revoke(diedAfterCas.slot);
        locks.releaseFastPathLog(diedAfterCas.slot);
        table.freeLog(diedAfterCas.slot);
        assertThat(sCount(key)).as("the live holder only").isEqualTo(1);
        table.revoke(diedBeforeCas.slot);
        locks.releaseFastPathLog(diedBeforeCas.slot);
        table.freeLog(diedBeforeCas.slot);
        assertThat(sCount(key)).isEqualTo(1);
        assertThat(LockWordDescriptor.isLatched(locks.sharedWord(key))).isFalse();
        assertThat(locks.fastPathCounters()[0]).isEqualTo(2);
        locks.releaseAll(1);
        assertThat(locks.tryLock(4, key, LockMode.X)).as("nothing leaked").isTrue();
    }

    @Test
    void shouldEvictOnlyFreeUnpinnedEntriesAndBumpTheGeneration() throws Exception {
        // every key shares one probe window of 16 entries when they all hash home to it: fill the table instead
        final Client client = new Client(1);
        int shared = 0;
        for (long p = 100; p < 400; p++) {
            if (locks.share(page(p))) {
                shared++;
            }
        }
        assertThat(shared).as("free entries are reused for new keys").isEqualTo(300);
        assertThat(table.counters()[1]).as("evictions").isGreaterThan(0);
        final long key = page(399);
        assertThat(client.lockShared(key)).isTrue();
        for (long p = 400; p < 1000; p++) {
            locks.share(page(p));
        }
        assertThat(table.lookup(key)).as("a held entry is never evicted").isGreaterThanOrEqualTo(0);
        assertThat(sCount(key)).isEqualTo(1);
        locks.releaseAll(1);
        assertThat(LockWordDescriptor.generation(locks.sharedWord(key))).isGreaterThan(0);
    }

    @Test
    void shouldReportGarbageInALockLogAndKeepServing() throws Exception {
        final long key = page(3);
        assertThat(locks.share(key)).isTrue();
        final Client client = new Client(1);
        final Random random = new Random(42);
        for (int i = 0; i < 8; i++) {
            client.buffer.putLong(client.logEntry(i), random.nextLong());
            client.buffer.putLong(client.logEntry(i) + 8, random.nextLong() | 0x10000L);
        }
        assertThat(locks.releaseAll(1)).isZero();
        assertThat(locks.fastPathCounters()[1]).as("garbage entries").isEqualTo(8);
        assertThat(locks.lastGarbage()).contains("lock log entry is garbage: slot=" + client.slot);
        // a well-formed entry that lies (held but not counted, or a key not in the table) is reported too
        final Client liar = new Client(2);
        liar.buffer.putLong(liar.logEntry(0), key);
        liar.buffer.putLongVolatile(
                liar.logEntry(0) + 8,
                LockTableDescriptor.logState(LockTableDescriptor.HELD, LockWordDescriptor.MODE_S));
        liar.buffer.putLong(liar.logEntry(1), page(77));
        liar.buffer.putLongVolatile(
                liar.logEntry(1) + 8,
                LockTableDescriptor.logState(LockTableDescriptor.HELD, LockWordDescriptor.MODE_S));
        locks.releaseAll(2);
        assertThat(locks.fastPathCounters()[1]).isEqualTo(10);
        assertThat(locks.lastGarbage()).contains("not in the shared table");
        assertThat(LockWordDescriptor.isHeld(locks.sharedWord(key)))
                .as("no underflow")
                .isFalse();
        locks.lock(3, key, LockMode.X, SECOND);
        locks.checkInvariants();
    }

    @Test
    void shouldKeepServingWhenAClientWritesGarbageOverTheEntries() throws Exception {
        for (long p = 1; p <= 20; p++) {
            assertThat(locks.share(page(p))).isTrue();
        }
        final Client vandal = new Client(1);
        final Random random = new Random(3);
        for (int e = 0; e < 64; e++) {
            final int at = (int) LockTableDescriptor.entryOffset(64, e);
            vandal.buffer.putLong(at, random.nextLong());
            vandal.buffer.putLong(at + 8, random.nextLong());
        }
        // the server's own index is private: every request is answered (granted, refused or timed out), nothing else
        long txn = 10;
        for (long p = 1; p <= 20; p++) {
            for (final LockMode mode : new LockMode[] {LockMode.S, LockMode.X}) {
                txn++;
                try {
                    locks.lock(txn, page(p), mode, TimeUnit.MILLISECONDS.toNanos(5));
                } catch (final BessException e) {
                    assertThat(e.errorCode()).isIn(ErrorCode.LOCK_TIMEOUT, ErrorCode.QUOTA);
                }
                locks.releaseAll(txn);
            }
        }
        locks.share(page(99)); // may find no entry with a free word left: then the page is locked in the server only
        locks.lock(txn + 1, page(99), LockMode.X, SECOND);
        assertThat(locks.lockCount()).isEqualTo(1);
    }

    @Test
    void shouldRefuseAGarbageTableFileNamingWhatIsWrong() throws IOException {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[(int) LockTableDescriptor.fileLength(64, 4, 8)]);
        assertThatThrownBy(() -> LockTableDescriptor.checkHeader(b, b.capacity(), "f"))
                .isInstanceOf(BessException.class)
                .hasMessageContaining("not a lock table");
        try (FileChannel ch = FileChannel.open(table.path(), StandardOpenOption.READ)) {
            final UnsafeBuffer good = new UnsafeBuffer(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()));
            b.putBytes(0, good, 0, LockTableDescriptor.HEADER_LENGTH);
        }
        LockTableDescriptor.checkHeader(b, b.capacity(), "f");
        assertThatThrownBy(() -> LockTableDescriptor.checkHeader(b, b.capacity() - 1, "f"))
                .hasMessageContaining("does not match its geometry");
        b.putInt(LockTableDescriptor.CAPACITY_OFFSET, 100);
        assertThatThrownBy(() -> LockTableDescriptor.checkHeader(b, b.capacity(), "f"))
                .hasMessageContaining("not a power of two");
        final Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            final byte[] junk = new byte[random.nextInt(200)];
            random.nextBytes(junk);
            if (junk.length >= 8 && random.nextBoolean()) {
                new UnsafeBuffer(junk).putLong(0, LockTableDescriptor.MAGIC);
            }
            final UnsafeBuffer j = new UnsafeBuffer(junk);
            try {
                LockTableDescriptor.checkHeader(j, junk.length, "junk");
            } catch (final BessException e) {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_FORMAT);
                assertThat(e.getMessage()).startsWith("lock table file is damaged: file=junk: ");
            }
        }
    }
}
