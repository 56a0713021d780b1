package org.bess.server.lock;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.format.LockTableDescriptor;
import org.bess.format.LockWordDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's release of a lock log at its transaction's end: a word without W or L loses the entry's count by one
 * CAS (no lock head made, no shard lock), anything else takes the shard's path (waiters let in, garbage reported);
 * the scan finds used entries wherever they are in the log, and only them.
 */
@Timeout(60)
class FastPathReleaseTest {
    private static final int CAPACITY = 256;
    private static final int LOG_ENTRIES = 64;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path dir;

    private SharedLockTable table;
    private LockManager locks;
    private UnsafeBuffer client;

    @BeforeEach
    void start() throws IOException {
        table = SharedLockTable.create(
                dir.resolve("locks"),
                CAPACITY,
                4,
                LOG_ENTRIES,
                ProcessHandle.current().pid());
        locks = new LockManager(new LockContext());
        locks.attachSharedTable(table);
        try (FileChannel ch = FileChannel.open(table.path(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            final MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
            client = new UnsafeBuffer(m);
        }
    }

    @AfterEach
    void stop() {
        table.close();
    }

    private static long page(final long pageNo) {
        return LockResource.page(1, 1, pageNo);
    }

    private int slot(final long txnId) {
        final int slot = table.claimLog(txnId);
        table.bind(slot, txnId);
        return slot;
    }

    private int wordOffset(final long key) {
        final int home = LockTableDescriptor.home(key, CAPACITY);
        for (int p = 0; p < LockTableDescriptor.MAX_PROBE; p++) {
            final int e = (home + p) & (CAPACITY - 1);
            if (client.getLongVolatile((int) LockTableDescriptor.entryOffset(CAPACITY, e)) == key) {
                return (int) LockTableDescriptor.entryOffset(CAPACITY, e) + LockWordDescriptor.ENTRY_WORD_OFFSET;
            }
        }
        throw new AssertionError("no entry for " + key);
    }

    private int logEntry(final int slot, final int i) {
        return (int) LockTableDescriptor.logEntryOffset(CAPACITY, LOG_ENTRIES, slot, i);
    }

    /** The client's fast path for {@code mode} at log index {@code i}: append, CAS, mark held. */
    private void fastLock(final int slot, final int i, final long key, final int mode) {
        client.putLong(logEntry(slot, i), key);
        client.putLongVolatile(
                logEntry(slot, i) + 8, LockTableDescriptor.logState(LockTableDescriptor.ACQUIRING, mode));
        final long word = client.getLongVolatile(wordOffset(key));
        assertThat(LockWordDescriptor.isFastPathAcquirable(word, mode)).isTrue();
        assertThat(client.compareAndSetLong(wordOffset(key), word, LockWordDescriptor.add(word, mode)))
                .isTrue();
        client.putLongVolatile(logEntry(slot, i) + 8, LockTableDescriptor.logState(LockTableDescriptor.HELD, mode));
    }

    private int count(final long key, final int mode) {
        return LockWordDescriptor.count(locks.sharedWord(key), mode);
    }

    @Test
    void shouldReleaseEveryUsedEntryOfASparseLogAndClearIt() {
        final int slot = slot(1);
        final int other = slot(2);
        // entries at the start, in the middle after a run of free ones, and the very last
        final int[] at = {0, 1, 2, 30, 31, LOG_ENTRIES - 1};
        for (int k = 0; k < at.length; k++) {
            assertThat(locks.share(page(k + 1))).isTrue();
            fastLock(slot, at[k], page(k + 1), LockWordDescriptor.MODE_S);
        }
        // another client's S on the first page stays
        fastLock(other, 0, page(1), LockWordDescriptor.MODE_S);
        assertThat(count(page(1), LockWordDescriptor.MODE_S)).isEqualTo(2);
        assertThat(locks.releaseAll(1)).isEqualTo(at.length);
        for (int k = 0; k < at.length; k++) {
            assertThat(count(page(k + 1), LockWordDescriptor.MODE_S))
                    .as("page %d", k + 1)
                    .isEqualTo(k == 0 ? 1 : 0);
        }
        for (int i = 0; i < LOG_ENTRIES; i++) {
            assertThat(client.getLongVolatile(logEntry(slot, i) + 8))
                    .as("entry %d cleared", i)
                    .isZero();
        }
        assertThat(client.getLongVolatile(logEntry(other, 0) + 8))
                .as("the other log untouched")
                .isNotZero();
        assertThat(locks.fastPathCounters()[1]).as("no garbage").isZero();
        locks.checkInvariants();
        assertThat(locks.releaseAll(2)).isEqualTo(1);
        assertThat(count(page(1), LockWordDescriptor.MODE_S)).isZero();
        locks.checkInvariants();
    }

    @Test
    void shouldReleaseAFastPathExclusiveAndKeepTheServersOwnHolders() {
        final long written = page(10);
        final long shared = page(11);
        assertThat(locks.share(written)).isTrue();
        assertThat(locks.share(shared)).isTrue();
        locks.lock(7, shared, LockMode.S, SECOND); // the server's own S of another transaction
        final int slot = slot(1);
        fastLock(slot, 0, written, LockWordDescriptor.MODE_X);
        fastLock(slot, 1, shared, LockWordDescriptor.MODE_S);
        assertThat(locks.isFastPathExclusive(written)).isTrue();
        assertThat(locks.releaseAll(1)).isEqualTo(2);
        assertThat(locks.sharedWord(written) & LockWordDescriptor.HOLDERS_MASK).isZero();
        assertThat(locks.isFastPathExclusive(written)).isFalse();
        assertThat(count(shared, LockWordDescriptor.MODE_S))
                .as("the server's holder")
                .isEqualTo(1);
        assertThat(locks.holds(7, shared, LockMode.S)).isTrue();
        locks.checkInvariants();
        locks.releaseAll(7);
        assertThat(count(shared, LockWordDescriptor.MODE_S)).isZero();
        locks.checkInvariants();
    }

    @Test
    void shouldLetAWaiterInWhenTheWordHasW() throws Exception {
        final long key = page(20);
        assertThat(locks.share(key)).isTrue();
        final int slot = slot(1);
        fastLock(slot, 0, key, LockWordDescriptor.MODE_S);
        final CompletableFuture<Void> writer =
                CompletableFuture.runAsync(() -> locks.lock(2, key, LockMode.X, 20 * SECOND));
        final long deadline = System.nanoTime() + 20 * SECOND;
        long sleepMs = 1;
        while (!LockWordDescriptor.hasWaiters(locks.sharedWord(key))) {
            assertThat(System.nanoTime()).as("the writer waits").isLessThan(deadline);
            Thread.sleep(sleepMs);
            sleepMs = Math.min(50, sleepMs * 2);
        }
        assertThat(locks.releaseAll(1)).isEqualTo(1);
        writer.get(10, TimeUnit.SECONDS);
        assertThat(count(key, LockWordDescriptor.MODE_X)).isEqualTo(1);
        assertThat(LockWordDescriptor.hasWaiters(locks.sharedWord(key))).isFalse();
        locks.checkInvariants();
        locks.releaseAll(2);
        locks.checkInvariants();
    }

    @Test
    void shouldReportAHeldEntryItsWordDoesNotCountAndNeverDriveTheWordBelowZero() {
        final long key = page(30);
        assertThat(locks.share(key)).isTrue();
        final int slot = slot(1);
        // garbage: HELD in the log, never counted in the word
        client.putLong(logEntry(slot, 5), key);
        client.putLongVolatile(
                logEntry(slot, 5) + 8,
                LockTableDescriptor.logState(LockTableDescriptor.HELD, LockWordDescriptor.MODE_S));
        assertThat(locks.releaseAll(1)).isZero();
        assertThat(locks.fastPathCounters()[1]).isEqualTo(1);
        assertThat(locks.lastGarbage()).contains("not counted in its word");
        assertThat(locks.sharedWord(key) & LockWordDescriptor.HOLDERS_MASK).isZero();
        assertThat(client.getLongVolatile(logEntry(slot, 5) + 8)).as("cleared").isZero();
        locks.checkInvariants();
    }
}
