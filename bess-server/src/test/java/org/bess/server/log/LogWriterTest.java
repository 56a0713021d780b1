package org.bess.server.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bess.exceptions.BessException;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class LogWriterTest {
    private static final long SEGMENT = 1L << 20;

    @TempDir
    Path dir;

    private static ByteBuffer payload(final long seed, final int length) {
        final byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private List<LogRecord> scanAll(final LogDevice device) {
        final List<LogRecord> records = new ArrayList<>();
        final LogScanner scanner = new LogScanner(device, SEGMENT, firstLsn(device));
        for (LogRecord r = scanner.next(); r != null; r = scanner.next()) {
            records.add(r);
        }
        return records;
    }

    private static long firstLsn(final LogDevice device) {
        final List<Long> segments = device.segments();
        return (segments.isEmpty() ? 0 : segments.get(0)) * SEGMENT + LogSegmentHeaderDescriptor.HEADER_LENGTH;
    }

    @Test
    void shouldReadBackEveryRecordAcrossSegmentsAfterReopen() {
        final List<long[]> written = new ArrayList<>();
        try (LogWriter log = new LogWriter(new FileLogDevice(dir), SEGMENT)) {
            final Random random = new Random(7);
            for (int i = 0; i < 2000; i++) {
                final int length = random.nextInt(4000);
                final long lsn =
                        log.append(LogRecordDescriptor.TYPE_PAGE_DIFF, (short) 0, i, i - 1, payload(i, length));
                written.add(new long[] {lsn, i, length});
            }
            log.forceAll();
        }
        assertThat(new FileLogDevice(dir).segments().size()).isGreaterThan(2);
        final List<LogRecord> read = scanAll(new FileLogDevice(dir));
        assertThat(read).hasSize(written.size());
        for (int i = 0; i < read.size(); i++) {
            final LogRecord r = read.get(i);
            assertThat(r.lsn()).isEqualTo(written.get(i)[0]);
            assertThat(r.txnId()).isEqualTo(i);
            assertThat(r.prevLsn()).isEqualTo(i - 1);
            assertThat(r.body()).isEqualTo(payload(i, (int) written.get(i)[2]));
        }
        try (LogWriter again = new LogWriter(new FileLogDevice(dir), SEGMENT)) {
            final long lsn = again.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, 99_999, 0, payload(1, 10));
            assertThat(lsn).isGreaterThanOrEqualTo(read.get(read.size() - 1).endLsn());
            again.force(lsn);
        }
        assertThat(scanAll(new FileLogDevice(dir))).hasSize(written.size() + 1);
    }

    /**
     * What the open scan reads counts as durable (restart may write pages back from it before the log is open), so
     * the newest segment, which may hold bytes a killed process wrote but never forced, is forced before it is read.
     */
    @Test
    void shouldForceTheNewestSegmentBeforeTheOpenScanReadsIt() {
        try (LogWriter log = new LogWriter(new FileLogDevice(dir), SEGMENT)) {
            for (int i = 0; i < 600; i++) {
                log.append(LogRecordDescriptor.TYPE_PAGE_DIFF, (short) 0, i, 0, payload(i, 3000));
            }
            log.forceAll();
        }
        final FileLogDevice real = new FileLogDevice(dir);
        final long newest = real.segments().get(real.segments().size() - 1);
        assertThat(newest).as("the log spans segments").isPositive();
        final List<String> events = new ArrayList<>();
        final LogDevice recording = new ForwardingLogDevice(real) {
            @Override
            public int read(final long index, final long offset, final ByteBuffer dst) {
                // the constructor's check of each segment's header is not the scan
                final boolean header = offset == 0 && dst.remaining() <= LogSegmentHeaderDescriptor.HEADER_LENGTH;
                events.add((header ? "header " : "read ") + index);
                return super.read(index, offset, dst);
            }

            @Override
            public java.nio.MappedByteBuffer map(final long index, final long length) {
                events.add("read " + index);
                return super.map(index, length);
            }

            @Override
            public void force(final long index) {
                events.add("force " + index);
                super.force(index);
            }
        };
        try (LogWriter log = new LogWriter(recording, SEGMENT)) {
            assertThat(log.durableLsn()).isPositive();
        }
        assertThat(events).contains("force " + newest, "read " + newest);
        assertThat(events.indexOf("force " + newest))
                .as("events: %s", events)
                .isLessThan(events.indexOf("read " + newest));
    }

    @Test
    void shouldMakeManyRecordsDurableWithOneForce() {
        final FaultyLogDevice device = new FaultyLogDevice(new FileLogDevice(dir));
        try (LogWriter log = new LogWriter(device, SEGMENT)) {
            long last = 0;
            for (int i = 0; i < 100; i++) {
                last = log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, i, 0, payload(i, 16));
            }
            final int before = device.forces.get();
            log.force(last);
            assertThat(device.forces.get() - before).isEqualTo(1);
            assertThat(log.durableLsn()).isGreaterThan(last);
        }
    }

    @Test
    void shouldWriteOutAFullBufferWithoutWaitingForAForce() {
        try (LogWriter log = new LogWriter(new FileLogDevice(dir), 16L << 20)) {
            long last = 0;
            // 40 MiB of 4 KiB records, never forced by the caller: a transaction logging a large object's new pages
            for (int i = 0; i < 10_000; i++) {
                last = log.append(LogRecordDescriptor.TYPE_FULL_PAGE, (short) 0, 1, 0, payload(i, 4096));
            }
            assertThat(log.forces()).as("buffer writes so far").isGreaterThanOrEqualTo(4);
            assertThat(last - log.durableLsn())
                    .as("bytes still buffered")
                    .isLessThan(LogWriter.PENDING_LIMIT_BYTES + 8192);
            log.forceAll();
        }
    }

    @Test
    void shouldServeConcurrentCommittersWithGroupCommit() throws Exception {
        final FaultyLogDevice device = new FaultyLogDevice(new FileLogDevice(dir));
        final int threads = 8;
        final int perThread = 100;
        try (LogWriter log = new LogWriter(device, SEGMENT)) {
            final ExecutorService pool = Executors.newFixedThreadPool(threads);
            final List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int id = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        final long lsn = log.append(
                                LogRecordDescriptor.TYPE_COMMIT, (short) 0, id * 1000L + i, 0, payload(i, 32));
                        log.force(lsn);
                        assertThat(log.durableLsn()).isGreaterThan(lsn);
                    }
                }));
            }
            for (final Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertThat(log.flushedRecords()).isEqualTo(threads * perThread);
            assertThat(log.forces()).isLessThanOrEqualTo(threads * perThread);
            System.out.printf(
                    "group commit: %d commits, %d forces, %.2f commits per force%n",
                    threads * perThread, log.forces(), (double) log.flushedRecords() / log.forces());
        }
        assertThat(scanAll(new FileLogDevice(dir))).hasSize(threads * perThread);
    }

    @Test
    void shouldStopAtTheLastValidRecordWhenTheTailIsCutAtAnyByte() throws IOException {
        final Path base = dir.resolve("base");
        final long[] lsns = new long[20];
        final long end;
        try (LogWriter log = new LogWriter(new FileLogDevice(base), SEGMENT)) {
            for (int i = 0; i < lsns.length; i++) {
                lsns[i] = log.append(LogRecordDescriptor.TYPE_PAGE_DIFF, (short) 0, i, 0, payload(i, 100 + i * 7));
            }
            log.forceAll();
            // segments are zero-filled when made: the records end here, zeros follow
            end = log.endLsn();
        }
        final Path segment = base.resolve(LogSegmentHeaderDescriptor.fileName(0));
        for (long cut = lsns[lsns.length - 2]; cut <= end; cut++) {
            final Path copy = dir.resolve("cut-" + cut);
            Files.createDirectories(copy);
            Files.copy(segment, copy.resolve(segment.getFileName()));
            try (RandomAccessFile f =
                    new RandomAccessFile(copy.resolve(segment.getFileName()).toFile(), "rw")) {
                f.setLength(cut);
            }
            final int expected =
                    cut >= end ? lsns.length : (cut >= lsns[lsns.length - 1] ? lsns.length - 1 : lsns.length - 2);
            assertThat(scanAll(new FileLogDevice(copy))).as("cut at %d", cut).hasSize(expected);
            try (LogWriter log = new LogWriter(new FileLogDevice(copy), SEGMENT)) {
                log.force(log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, 777, 0, payload(5, 20)));
            }
            final List<LogRecord> after = scanAll(new FileLogDevice(copy));
            assertThat(after).as("cut at %d, then one more record", cut).hasSize(expected + 1);
            assertThat(after.get(after.size() - 1).txnId()).isEqualTo(777);
        }
    }

    @Test
    void shouldStopAtEveryKindOfDamagedTailRecord() throws IOException {
        final int[][] damages = {
            {LogRecordDescriptor.LENGTH_OFFSET, 0}, // zero length
            {LogRecordDescriptor.LENGTH_OFFSET, 16}, // short length
            {LogRecordDescriptor.LENGTH_OFFSET, 0x7fff_fff8}, // absurd length
            {LogRecordDescriptor.CHECKSUM_OFFSET, 1}, // crc byte changed
            {LogRecordDescriptor.LSN_OFFSET, 8}, // stale lsn
            {LogRecordDescriptor.PAYLOAD_OFFSET + 3, 0x55}, // payload garbled
        };
        for (int d = 0; d < damages.length; d++) {
            final Path log = dir.resolve("damage-" + d);
            final long[] lsns = new long[10];
            try (LogWriter w = new LogWriter(new FileLogDevice(log), SEGMENT)) {
                for (int i = 0; i < lsns.length; i++) {
                    lsns[i] = w.append(LogRecordDescriptor.TYPE_PAGE_DIFF, (short) 0, i, 0, payload(i, 64));
                }
                w.forceAll();
            }
            final long victim = lsns[7];
            try (RandomAccessFile f = new RandomAccessFile(
                    log.resolve(LogSegmentHeaderDescriptor.fileName(0)).toFile(), "rw")) {
                final long at = victim + damages[d][0];
                if (damages[d][0] == LogRecordDescriptor.LENGTH_OFFSET) {
                    f.seek(at);
                    f.write(ByteBuffer.allocate(4)
                            .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                            .putInt(0, damages[d][1])
                            .array());
                } else {
                    f.seek(at);
                    final int b = f.read();
                    f.seek(at);
                    f.write(b ^ damages[d][1]);
                }
            }
            final LogScanner scanner =
                    new LogScanner(new FileLogDevice(log), SEGMENT, LogSegmentHeaderDescriptor.HEADER_LENGTH);
            int count = 0;
            while (scanner.next() != null) {
                count++;
            }
            assertThat(count).as("damage %d: %s", d, scanner.stopReason()).isEqualTo(7);
            assertThat(scanner.position()).isEqualTo(victim);
        }
    }

    /** A file log device whose first {@code force} waits at a gate the test opens. */
    private static final class GatedForceDevice extends ForwardingLogDevice {
        final CountDownLatch inForce = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);
        final AtomicInteger forces = new AtomicInteger();
        /** The threads that called {@code force}, in order. */
        final List<Thread> forcers = java.util.Collections.synchronizedList(new ArrayList<>());

        GatedForceDevice(final LogDevice delegate) {
            super(delegate);
        }

        @Override
        public void force(final long index) {
            forcers.add(Thread.currentThread());
            if (forces.incrementAndGet() == 1) {
                inForce.countDown();
                try {
                    open.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            super.force(index);
        }
    }

    @Test
    void shouldGatherTheCohortOfTheLastFlushIntoTheNextCommitForce() throws Exception {
        final GatedForceDevice device = new GatedForceDevice(new FileLogDevice(dir));
        final ExecutorService pool = Executors.newFixedThreadPool(3);
        try (LogWriter log = new LogWriter(device, SEGMENT)) {
            // long enough that only the arrival of the third committer, never the window, ends the gather
            log.gatherWindowForTests(TimeUnit.SECONDS.toNanos(60));
            final Future<?> first = pool.submit(() -> commit(log, 1));
            assertThat(device.inForce.await(30, TimeUnit.SECONDS)).isTrue();
            final List<Future<?>> others =
                    List.of(pool.submit(() -> commit(log, 2)), pool.submit(() -> commit(log, 3)));
            while (log.threadsInForce() < 3) {
                Thread.sleep(1);
            }
            // three committers were blocked on the log when the first flush ended: the next flush waits for three
            device.open.countDown();
            first.get(30, TimeUnit.SECONDS);
            Thread.sleep(100);
            assertThat(others)
                    .as("gathered, waiting for the first committer's next commit")
                    .noneMatch(Future::isDone);
            assertThat(device.forces.get()).isEqualTo(1);
            commit(log, 4);
            for (final Future<?> f : others) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(device.forces.get())
                    .as("one force for the second commits of all three")
                    .isEqualTo(2);
            assertThat(log.flushedRecords()).isEqualTo(4);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Blocks three committers on a gated first flush, so that the next flush gathers three: two of them arrive and the
     * first of those leads the gather; returns the two's futures once both wait in the gather.
     */
    private static List<Future<?>> gatherTwoOfThree(
            final LogWriter log, final GatedForceDevice device, final ExecutorService pool) throws Exception {
        log.gatherWindowForTests(TimeUnit.SECONDS.toNanos(60));
        final Future<?> first = pool.submit(() -> commit(log, 1));
        assertThat(device.inForce.await(30, TimeUnit.SECONDS)).isTrue();
        final List<Future<?>> others = List.of(pool.submit(() -> commit(log, 2)), pool.submit(() -> commit(log, 3)));
        while (log.threadsInForce() < 3) {
            Thread.sleep(1);
        }
        device.open.countDown();
        first.get(30, TimeUnit.SECONDS);
        // the first flush served only the first committer: the other two now wait in the gather of the next one
        while (!log.gatheringForTests()) {
            Thread.sleep(1);
        }
        assertThat(device.forces.get()).isEqualTo(1);
        return others;
    }

    @Test
    void shouldFlushInTheCommitterThatCompletesTheGatherNotInTheLeader() throws Exception {
        final GatedForceDevice device = new GatedForceDevice(new FileLogDevice(dir));
        final ExecutorService pool = Executors.newFixedThreadPool(3);
        try (LogWriter log = new LogWriter(device, SEGMENT)) {
            final List<Future<?>> others = gatherTwoOfThree(log, device, pool);
            // the third committer (this thread) completes the gather: it writes and forces itself, the leader is only
            // woken by the end of that flush, as every other committer it served
            commit(log, 4);
            for (final Future<?> f : others) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(device.forces.get()).as("one force for the three").isEqualTo(2);
            assertThat(device.forcers.get(1))
                    .as("the force of the gathered flush ran in the committer that completed the gather")
                    .isSameAs(Thread.currentThread());
            assertThat(log.flushTimes()[3]).as("hand-offs").isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldEndAGatherAtOnceForAWriteBackForce() throws Exception {
        final GatedForceDevice device = new GatedForceDevice(new FileLogDevice(dir));
        final ExecutorService pool = Executors.newFixedThreadPool(3);
        try (LogWriter log = new LogWriter(device, SEGMENT)) {
            final List<Future<?>> others = gatherTwoOfThree(log, device, pool);
            // a write-back's force (it may hold the latch the missing committer needs) does not wait out the gather's
            // minute: it flushes at once, and serves the gathered committers with it
            final long page = log.append(LogRecordDescriptor.TYPE_PAGE_DIFF, (short) 0, 9, 0, payload(9, 16));
            log.force(page);
            assertThat(log.durableLsn()).isGreaterThan(page);
            for (final Future<?> f : others) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(device.forces.get()).isEqualTo(2);
            assertThat(device.forcers.get(1)).isSameAs(Thread.currentThread());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldNeverGatherForALoneCommitter() throws Exception {
        final GatedForceDevice device = new GatedForceDevice(new FileLogDevice(dir));
        device.open.countDown();
        try (LogWriter log = new LogWriter(device, SEGMENT)) {
            // a gather would wait a minute: each commit must be forced at once
            log.gatherWindowForTests(TimeUnit.SECONDS.toNanos(60));
            final ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                pool.submit(() -> {
                            for (int i = 0; i < 20; i++) {
                                commit(log, i);
                            }
                        })
                        .get(30, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertThat(device.forces.get()).isEqualTo(20);
        }
    }

    private static void commit(final LogWriter log, final long txn) {
        final long lsn = log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, txn, 0, payload(txn, 16));
        log.forceCommit(lsn);
        assertThat(log.durableLsn()).isGreaterThan(lsn);
    }

    @Test
    void shouldAppendTheEndRecordRightAfterTheCommitsForce() {
        try (LogWriter log = new LogWriter(new FileLogDevice(dir), SEGMENT)) {
            final long commit = log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, 5, 0, payload(5, 8));
            final long end = log.forceCommitAndEnd(commit, 5);
            assertThat(log.durableLsn()).as("the commit is durable").isGreaterThan(commit);
            assertThat(end).as("END after the commit, not yet forced").isGreaterThan(commit);
            assertThat(log.durableLsn()).isLessThanOrEqualTo(end);
            // already durable: END is appended without a force
            final long again = log.forceCommitAndEnd(commit, 6);
            assertThat(again).isGreaterThan(end);
            assertThatThrownBy(() -> log.forceCommitAndEnd(commit, -1)).hasMessageContaining("bad transaction id");
            log.forceAll();
        }
        final List<LogRecord> read = scanAll(new FileLogDevice(dir));
        assertThat(read).hasSize(3);
        for (int i = 1; i < 3; i++) {
            assertThat(read.get(i).type()).isEqualTo(LogRecordDescriptor.TYPE_END);
            assertThat(read.get(i).txnId()).isEqualTo(4 + i);
            assertThat(read.get(i).prevLsn()).isEqualTo(read.get(0).lsn());
            assertThat(read.get(i).payload().remaining()).isZero();
        }
    }

    @Test
    void shouldAppendNoEndRecordWhenTheCommitsForceFails() {
        final FaultyLogDevice device = new FaultyLogDevice(new FileLogDevice(dir));
        final LogWriter log = new LogWriter(device, SEGMENT);
        device.failForceAt = device.forces.get() + 1;
        final long commit = log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, 7, 0, payload(7, 8));
        final long appended = log.recordsAppended();
        assertThatThrownBy(() -> log.forceCommitAndEnd(commit, 7)).hasMessageContaining("injected");
        assertThat(log.recordsAppended()).as("no END after a failed force").isEqualTo(appended);
        assertThat(log.durableLsn()).isLessThanOrEqualTo(commit);
        assertThatThrownBy(() -> log.forceCommitAndEnd(commit, 7)).hasMessageContaining("failed earlier");
        device.close();
    }

    @Test
    void shouldNeverReportDurableAfterAFailedForceAndStayFailed() {
        final FaultyLogDevice device = new FaultyLogDevice(new FileLogDevice(dir));
        final LogWriter log = new LogWriter(device, SEGMENT);
        final long ok = log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, 1, 0, payload(1, 8));
        log.force(ok);
        device.failForceAt = device.forces.get() + 1;
        final long doomed = log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, 2, 0, payload(2, 8));
        assertThatThrownBy(() -> log.force(doomed))
                .isInstanceOf(BessException.class)
                .hasMessageContaining("injected");
        assertThat(log.durableLsn()).isLessThanOrEqualTo(doomed);
        assertThat(log.failed()).isTrue();
        assertThatThrownBy(() -> log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, 3, 0, payload(3, 8)))
                .hasMessageContaining("failed earlier");
        device.close();
    }

    @Test
    void shouldRefuseAFileThatIsNotALogSegment() throws IOException {
        Files.write(dir.resolve(LogSegmentHeaderDescriptor.fileName(0)), new byte[4096]);
        assertThatThrownBy(() -> new LogWriter(new FileLogDevice(dir), SEGMENT))
                .isInstanceOf(BessException.class)
                .hasMessageContaining("not a bess log segment")
                .hasMessageContaining("log-0000000000000000.dat");
    }
}
