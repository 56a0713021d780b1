package org.bess.server.log;

import static org.bess.format.LogRecordDescriptor.CHECKSUM_OFFSET;
import static org.bess.format.LogRecordDescriptor.FLAGS_OFFSET;
import static org.bess.format.LogRecordDescriptor.LENGTH_OFFSET;
import static org.bess.format.LogRecordDescriptor.LSN_OFFSET;
import static org.bess.format.LogRecordDescriptor.PAYLOAD_LENGTH_OFFSET;
import static org.bess.format.LogRecordDescriptor.PAYLOAD_OFFSET;
import static org.bess.format.LogRecordDescriptor.PREV_LSN_OFFSET;
import static org.bess.format.LogRecordDescriptor.TRAILER_LENGTH;
import static org.bess.format.LogRecordDescriptor.TXN_ID_OFFSET;
import static org.bess.format.LogRecordDescriptor.TYPE_OFFSET;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.format.PageHeaderDescriptor;

/**
 * Appends records and makes them durable with group commit. {@link #append} copies a record into the pending buffer
 * and returns its LSN; {@link #force(long)} returns once that record is on stable storage. The first committer to find
 * no flush running becomes the leader: it takes everything pending, writes it (one write per segment touched), forces
 * each segment it touched (a segment's tail is durable before anything of the next segment is written) and wakes every
 * waiter whose record is now durable; committers that arrive meanwhile wait and are served by the next flush, so one
 * {@code fdatasync} serves many commits.
 *
 * <p>A failed write or force is sticky: the log is failed, every waiter and every later call throws a {@code STORE}
 * error with the original cause, and nothing after the failure is ever reported durable.
 *
 * <p>Thread safe.
 */
public final class LogWriter implements AutoCloseable {
    /** Pending bytes after which an append writes the buffer out itself. */
    static final long PENDING_LIMIT_BYTES = 8L << 20;
    /** An empty payload (END records). */
    private static final ByteBuffer NO_PAYLOAD = ByteBuffer.allocate(0).asReadOnlyBuffer();
    /** Bytes of a run's buffer unless a record needs more. */
    private static final int RUN_BYTES = 64 * 1024;
    /** The longest a flush leader waits for the other committers ({@link #gatherAndFlush}). */
    private static final long MAX_GATHER_NANOS = 2_000_000L;
    /**
     * How many times the flush's cost per commit so far a gathering leader waits for the next arrival: a committer that
     * misses this flush waits for all of the next one, and at 4-16 committers 3 gathered the whole cohort (groups of
     * 8.0 at 8, 15.5-15.8 at 16) where 1 cut it short (7.5, 12.4-12.9) for 10-20% more commits/s.
     */
    private static final long GATHER_PATIENCE = 3;

    private final LogDevice device;
    private final long segmentLength;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition flushed = lock.newCondition();
    private final CRC32C crc = new CRC32C();
    private List<Run> pending = new ArrayList<>();
    /**
     * Written runs' buffers, kept for the next runs (one group commit after another: no 64 KiB buffer per flush; a few,
     * because appends fill the next run while a flush writes the last one).
     */
    private final java.util.ArrayDeque<ByteBuffer> spareRuns = new java.util.ArrayDeque<>();

    private static final int MAX_SPARE_RUNS = 4;
    /** Bytes in {@link #pending}. */
    private long pendingBytes;

    /** Written under {@link #lock}; read without it by {@link #endLsn()}. */
    private volatile long nextLsn;
    /** Written under {@link #lock}; read without it by {@link #durableLsn()} and the fast path of {@link #force}. */
    private volatile long durableLsn;

    private boolean flushing;
    /** End of the flush in flight (what it writes lies before it); set when its leader takes the pending runs. */
    private long flushTarget;
    /** Threads now in {@link #force} whose record no started flush covers: the next flush's committers so far. */
    private int nextWaiters;
    /** Threads now in {@link #force}, served or not. */
    private int inForce;
    /**
     * Committers the next flush waits for ({@link #inForce} when the last flush ended: everyone who was blocked on the
     * log then, the cohort it served and the one that gathered meanwhile).
     */
    private int gatherTarget = 1;
    /** Whether a leader waits for {@link #gatherTarget} committers before it takes the pending runs. */
    private boolean gathering;
    /** When the running gather started ({@link System#nanoTime()}). */
    private long gatherStartNanos;
    /**
     * Gathers started so far: a leader whose gather was taken over may wake only after the next gather began, and must
     * not take that one for its own.
     */
    private long gatherNumber;
    /** Nanoseconds the last flush took (its writes and forces): the gather's measure of a flush's cost. */
    private long lastFlushNanos;
    /** Tests only: when positive, the gather's whole window ({@link #gatherWindowForTests}). */
    private long gatherWindowForTests;
    /** When the last committer joined a gathering flush ({@link System#nanoTime()}). */
    private long lastArrivalNanos;
    /** A log shorter than this is scanned without a thread checking ahead (starting one costs more). */
    static final long CHECK_AHEAD_MIN_BYTES = 4L << 20;

    /** Whether the open scan ran: the end of the log is known. */
    private volatile boolean opened;

    private volatile Throwable failure;
    private long forces;
    private long recordsAppended;
    private long bytesAppended;
    private long flushedRecords;
    /** Flushes that wrote something, and the nanoseconds their writes and forces took, and the gathers before them. */
    private long flushes;

    private long flushNanos;
    private long gatherNanos;
    /** Gathers completed by their last committer, which flushed itself ({@link #gatherAndFlush}). */
    private long handOffs;

    /** Bytes of one segment to be written at one LSN. */
    private static final class Run {
        final long startLsn;
        ByteBuffer bytes;
        int records;

        Run(final long startLsn, final ByteBuffer bytes) {
            this.startLsn = startLsn;
            this.bytes = bytes;
        }

        long endLsn() {
            return startLsn + bytes.position();
        }
    }

    /** The highest segment that exists (written by the flush leader only, or at open). */
    private long highestSegment = -1;

    /**
     * Opens the log: finds the end of the valid log, cuts any torn or invalid tail after it (so that stale bytes can
     * never be read as records later), and appends from there. An empty log starts at segment 0.
     *
     * @param segmentLength bytes per segment (a multiple of the page length, at least 1 MiB).
     */
    public LogWriter(final LogDevice device, final long segmentLength) {
        this(device, segmentLength, null);
    }

    /**
     * Opens the log as {@link #LogWriter(LogDevice, long)} does, showing every valid record of the open scan to
     * {@code visitor} on the way (restart's analysis reads the log in the same pass that finds its end).
     *
     * @param segmentLength bytes per segment (a multiple of the page length, at least 1 MiB).
     * @param visitor sees each valid record in LSN order, from the first segment to the end found; null for none.
     */
    public LogWriter(final LogDevice device, final long segmentLength, final LogScanner.Visitor visitor) {
        this(device, segmentLength, true);
        open(visitor);
    }

    private LogWriter(final LogDevice device, final long segmentLength, final boolean checkHeaders) {
        if (segmentLength < (1 << 20) || segmentLength % PageHeaderDescriptor.PAGE_LENGTH != 0) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "bad log segment length: " + segmentLength);
        }
        this.device = device;
        this.segmentLength = segmentLength;
        if (checkHeaders) {
            for (final long s : device.segments()) {
                LogScanner.checkHeader(device, s, segmentLength);
            }
        }
    }

    /**
     * A log whose segments' headers are checked but whose open scan has not run yet: nothing may be appended until
     * {@link #open} ran (restart recovery runs the open scan itself, redoing pages while it finds the log's end, once
     * the engine around the log exists).
     *
     * @param segmentLength bytes per segment (a multiple of the page length, at least 1 MiB).
     */
    public static LogWriter unopened(final LogDevice device, final long segmentLength) {
        return new LogWriter(device, segmentLength, true);
    }

    /** Whether the open scan ran ({@link #open}): the log's end is known and records may be appended. */
    public boolean isOpen() {
        return opened;
    }

    /**
     * The open scan of a log made by {@link #unopened}: finds the end of the valid log, cuts any torn or invalid tail
     * after it (so that stale bytes can never be read as records later), and appends from there; an empty log starts
     * at segment 0. Every valid record is shown to {@code visitor} on the way, in LSN order; the visitor's {@link
     * LogScanner.Visitor#release()} runs before the scan's window moves on and once the scan stops (on every path),
     * before the mapping is released.
     *
     * @param visitor sees each valid record, from the first segment to the end found; null for none.
     */
    public void open(final LogScanner.Visitor visitor) {
        if (opened) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "the log is open already");
        }
        final List<Long> segments = device.segments();
        if (segments.isEmpty()) {
            nextLsn = LogSegmentHeaderDescriptor.HEADER_LENGTH;
        } else {
            // What the scan reads counts as durable (restart redoes from it and may write pages back before the log
            // is open), but the newest segment may hold bytes a killed process wrote and never forced: they sit in
            // the page cache, and a power loss now would take them while pages written from them survive. Force it
            // first (older segments were forced before the writer moved on; a clean file's force is cheap).
            device.force(segments.get(segments.size() - 1));
            // one sequential pass to the end of the valid log; its mapping is released before the tail is cut
            try (LogScanner scanner = LogScanner.sequential(
                    device,
                    segmentLength,
                    segments.get(0) * segmentLength + LogSegmentHeaderDescriptor.HEADER_LENGTH)) {
                if (visitor != null) {
                    scanner.beforeMove(visitor::release);
                }
                if (checkAhead(device, segments)) {
                    scanner.checkAhead();
                }
                scan(scanner, visitor);
                nextLsn = scanner.position();
            }
            final long endSegment = nextLsn / segmentLength;
            for (final long s : segments) {
                if (s > endSegment) {
                    device.delete(s);
                } else {
                    if (s == endSegment && device.size(s) > nextLsn % segmentLength) {
                        device.truncate(s, nextLsn % segmentLength);
                    }
                    highestSegment = Math.max(highestSegment, s);
                }
            }
        }
        durableLsn = nextLsn;
        opened = true;
    }

    /**
     * Whether the open scan has the records' checksums verified ahead of it on a second thread ({@link
     * LogScanner#checkAhead()}): on a machine with more than one processor, for a log of at least {@link
     * #CHECK_AHEAD_MIN_BYTES} (property {@code bess.log.check.ahead}: false never, true always).
     */
    static boolean checkAhead(final LogDevice device, final List<Long> segments) {
        final String property = System.getProperty("bess.log.check.ahead");
        if (property != null) {
            return Boolean.parseBoolean(property);
        }
        if (Runtime.getRuntime().availableProcessors() < 2) {
            return false;
        }
        long bytes = 0;
        for (final long s : segments) {
            bytes += device.size(s);
            if (bytes >= CHECK_AHEAD_MIN_BYTES) {
                return true;
            }
        }
        return false;
    }

    /** Shows every valid record to the visitor; its release runs before the scanner is closed, on every path. */
    private static void scan(final LogScanner scanner, final LogScanner.Visitor visitor) {
        if (visitor == null) {
            while (scanner.advance()) {
                // only the end is wanted
            }
            return;
        }
        boolean done = false;
        try {
            while (scanner.advance()) {
                visitor.visit(scanner);
            }
            done = true;
        } finally {
            if (done) {
                visitor.release();
            } else {
                try {
                    visitor.release();
                } catch (final RuntimeException suppressed) {
                    // the failure that stopped the scan is the one to report
                }
            }
        }
    }

    /** The LSN the next record will get (or a later one, if it must start a new segment). */
    public long endLsn() {
        return nextLsn;
    }

    /** Everything before this LSN is durable. */
    public long durableLsn() {
        return durableLsn;
    }

    /** The segment length. */
    public long segmentLength() {
        return segmentLength;
    }

    /** The device. */
    public LogDevice device() {
        return device;
    }

    /** Forces (fdatasync calls) so far. */
    public long forces() {
        return forces;
    }

    /** Records made durable so far (divided by {@link #forces()}: the average group size). */
    public long flushedRecords() {
        return flushedRecords;
    }

    /**
     * Flushes so far that wrote something, the nanoseconds their writes and forces took in all, and the nanoseconds
     * their leaders spent gathering committers before them ({@link #forceCommit}), and the gathers whose last committer
     * flushed itself: {flushes, flush ns, gather ns, hand-offs}.
     */
    public long[] flushTimes() {
        lock.lock();
        try {
            return new long[] {flushes, flushNanos, gatherNanos, handOffs};
        } finally {
            lock.unlock();
        }
    }

    /** Records appended so far. */
    public long recordsAppended() {
        return recordsAppended;
    }

    /** Bytes appended so far (records, headers and padding). */
    public long bytesAppended() {
        return bytesAppended;
    }

    /**
     * Appends a record.
     *
     * @param payload the payload, from its position to its limit (not consumed).
     * @return the record's LSN.
     */
    public long append(
            final short type, final short flags, final long txnId, final long prevLsn, final ByteBuffer payload) {
        final int payloadLength = payload.remaining();
        final int length = LogRecordDescriptor.recordLength(payloadLength);
        if (length > LogRecordDescriptor.MAX_RECORD_LENGTH) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "log record too long: length=" + length);
        }
        if (!opened) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "the log is not open yet: its open scan has not run");
        }
        lock.lock();
        try {
            return appendLocked(type, flags, txnId, prevLsn, payload, length);
        } finally {
            lock.unlock();
        }
    }

    /** {@link #append} with the lock held, the record's length checked. */
    private long appendLocked(
            final short type,
            final short flags,
            final long txnId,
            final long prevLsn,
            final ByteBuffer payload,
            final int length) {
        final int payloadLength = payload.remaining();
        checkNotFailed();
        long lsn = nextLsn;
        final long offset = lsn % segmentLength;
        if (offset < LogSegmentHeaderDescriptor.HEADER_LENGTH) {
            // the last record filled its segment exactly: the next one starts after the next segment's header,
            // never over it
            lsn += LogSegmentHeaderDescriptor.HEADER_LENGTH - offset;
        } else if (offset + length > segmentLength) {
            lsn = (lsn / segmentLength + 1) * segmentLength + LogSegmentHeaderDescriptor.HEADER_LENGTH;
        }
        Run run = pending.isEmpty() ? null : pending.get(pending.size() - 1);
        if (run == null || run.endLsn() != lsn) {
            run = new Run(lsn, runBuffer(length));
            pending.add(run);
        }
        if (run.bytes.remaining() < length) {
            final ByteBuffer bigger = ByteBuffer.allocate(
                            Math.max(run.bytes.capacity() * 2, run.bytes.position() + length))
                    .order(ByteOrder.LITTLE_ENDIAN);
            run.bytes.flip();
            bigger.put(run.bytes);
            run.bytes = bigger;
        }
        final ByteBuffer b = run.bytes;
        final int start = b.position();
        b.putInt(start + LENGTH_OFFSET, length);
        b.putLong(start + LSN_OFFSET, lsn);
        b.putLong(start + PREV_LSN_OFFSET, prevLsn);
        b.putLong(start + TXN_ID_OFFSET, txnId);
        b.putShort(start + TYPE_OFFSET, type);
        b.putShort(start + FLAGS_OFFSET, flags);
        b.putInt(start + PAYLOAD_LENGTH_OFFSET, payloadLength);
        b.put(start + PAYLOAD_OFFSET, payload, payload.position(), payloadLength);
        for (int i = start + PAYLOAD_OFFSET + payloadLength; i < start + length - TRAILER_LENGTH; i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(start + length - TRAILER_LENGTH, length);
        crc.reset();
        crc.update(b.array(), start + LSN_OFFSET, length - TRAILER_LENGTH - LSN_OFFSET);
        b.putInt(start + CHECKSUM_OFFSET, (int) crc.getValue());
        b.position(start + length);
        run.records++;
        nextLsn = lsn + length;
        recordsAppended++;
        bytesAppended += length;
        pendingBytes += length;
        if (pendingBytes >= PENDING_LIMIT_BYTES && !flushing) {
            // a full buffer is written out (and forced), as a log buffer must be: a transaction that logs
            // gigabytes (a large object's new pages) would otherwise hold all of it in the heap until it commits
            flushAsLeader();
        }
        return lsn;
    }

    /**
     * Returns once the record at {@code lsn} (and everything before it) is durable.
     *
     * @throws BessException {@code STORE} when the log failed; the record must then not be acknowledged.
     */
    public void force(final long lsn) {
        force(lsn, false, -1);
    }

    /**
     * {@link #force(long)} for a transaction's commit record: a committer that leads a flush first waits a little
     * (while the others keep arriving, 2 ms at most) for the committers the last flush found blocked on the log, so
     * that one force serves them all (see {@link #gatherAndFlush}). Only for a caller that holds nothing the others
     * need to commit (not the engine latch): they must be able to reach their own commit meanwhile.
     *
     * @throws BessException {@code STORE} when the log failed; the record must then not be acknowledged.
     */
    public void forceCommit(final long lsn) {
        force(lsn, true, -1);
    }

    /**
     * {@link #forceCommit(long)}, then appends transaction {@code txnId}'s {@code END} record (previous LSN {@code
     * lsn}, its commit record's) in the same hold of the log's lock that saw the commit durable: a committer woken by
     * its flush takes the lock once, not once more for its {@code END} while the rest of its cohort wakes.
     *
     * @return the {@code END} record's LSN.
     * @throws BessException {@code STORE} when the log failed: nothing is appended, the commit must not be
     *     acknowledged.
     */
    public long forceCommitAndEnd(final long lsn, final long txnId) {
        if (txnId < 0) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "bad transaction id for END: " + txnId);
        }
        return force(lsn, true, txnId);
    }

    /** Forces; then, when {@code endTxnId} is not negative, appends its END record under the same lock hold. */
    private long force(final long lsn, final boolean gather, final long endTxnId) {
        if (durableLsn > lsn && failure == null) {
            // already durable (a later commit's flush served it): no lock for the force
            return endTxnId < 0 ? 0 : append(LogRecordDescriptor.TYPE_END, (short) 0, endTxnId, lsn, NO_PAYLOAD);
        }
        lock.lock();
        inForce++;
        try {
            boolean counted = false;
            while (true) {
                checkNotFailed();
                if (durableLsn > lsn) {
                    return endTxnId < 0
                            ? 0
                            : appendLocked(
                                    LogRecordDescriptor.TYPE_END,
                                    (short) 0,
                                    endTxnId,
                                    lsn,
                                    NO_PAYLOAD,
                                    LogRecordDescriptor.recordLength(0));
                }
                if (!counted && !(flushing && lsn < flushTarget)) {
                    // no flush started covers this record: one more committer for the next one
                    counted = true;
                    nextWaiters++;
                    if (gathering) {
                        lastArrivalNanos = System.nanoTime();
                        if (nextWaiters >= gatherTarget || !gather) {
                            // the gather is complete, or a write-back or checkpoint force (which may hold the latch
                            // the others need to commit) ends it: this thread, running and holding the lock, flushes
                            // now rather than waking the leader to do it (a wake-up less on the path between
                            // flushes); the leader waits on the flush's condition and is served by this flush
                            gathering = false;
                            gatherNanos += lastArrivalNanos - gatherStartNanos;
                            handOffs++;
                            flushAsLeader();
                            continue;
                        }
                    }
                }
                if (!flushing) {
                    if (gather) {
                        gatherAndFlush();
                    } else {
                        flushAsLeader();
                    }
                    continue;
                }
                try {
                    flushed.await(100, TimeUnit.MILLISECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BessException(ErrorCode.IO, "interrupted while waiting for the log force");
                }
            }
        } finally {
            inForce--;
            lock.unlock();
        }
    }

    /**
     * Called with the lock held by a committer that found no flush running: waits until as many committers wait for
     * the next flush as were blocked on the log when the last one ended; the committer whose arrival completes the
     * gather (or a write-back or checkpoint force arriving meanwhile) flushes itself, in {@link #force(long, boolean,
     * long)}, and this leader is woken by that flush's end with the others it served. It stops waiting, and flushes
     * itself, early when the
     * next arrival is late: later than {@link #GATHER_PATIENCE} times the flush's cost per commit so far (the last
     * flush's time and the wait, over those gathered) after the previous one, and after 2 ms at most. Without it, the
     * cohort one flush served starts its next transactions while the next flush (of the others) runs, and each flush
     * serves about half the committers; with it, the cohort of the last flush gets its next commit records into this
     * one. A lone committer ({@link #gatherTarget} 1) never waits.
     */
    private void gatherAndFlush() {
        flushing = true;
        if (nextWaiters < gatherTarget && failure == null) {
            gathering = true;
            final long number = ++gatherNumber;
            final long start = System.nanoTime();
            gatherStartNanos = start;
            lastArrivalNanos = start;
            try {
                while (gathering && gatherNumber == number && failure == null) {
                    // one more commit in this flush is worth waiting for while it comes soon against the flush's cost
                    // per commit so far (the last flush's time and this wait, shared by those gathered)
                    final long cost = lastFlushNanos + (lastArrivalNanos - start);
                    final long deadline = gatherWindowForTests > 0
                            ? start + gatherWindowForTests
                            : Math.min(
                                    lastArrivalNanos + cost * GATHER_PATIENCE / nextWaiters, start + MAX_GATHER_NANOS);
                    final long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    // the flush's condition: the committer that completes the gather flushes itself, and its flush's
                    // end wakes this leader with the others it served
                    flushed.awaitNanos(left);
                }
            } catch (final InterruptedException e) {
                // the flush goes on without the others; the interrupt stays for the caller to see
                Thread.currentThread().interrupt();
            }
            if (!gathering || gatherNumber != number) {
                // the last committer gathered took the flush over (it may still run, or be over): the caller's loop
                // waits for it or sees its record durable
                return;
            }
            gathering = false;
            gatherNanos += System.nanoTime() - start;
        }
        if (failure != null) {
            // stopped meanwhile (failStop): nothing more is written; the caller throws
            flushing = false;
            flushed.signalAll();
            return;
        }
        flushAsLeader();
    }

    /**
     * Tests only: a gathering leader waits up to {@code nanos} for the other committers, instead of the window the
     * last flush's time gives (which a test's gated force makes arbitrary).
     */
    void gatherWindowForTests(final long nanos) {
        lock.lock();
        try {
            gatherWindowForTests = nanos;
        } finally {
            lock.unlock();
        }
    }

    /** Tests only: whether a leader gathers committers now. */
    boolean gatheringForTests() {
        lock.lock();
        try {
            return gathering;
        } finally {
            lock.unlock();
        }
    }

    /** Tests only: threads now in {@link #force}. */
    int threadsInForce() {
        lock.lock();
        try {
            return inForce;
        } finally {
            lock.unlock();
        }
    }

    /** Forces everything appended so far. */
    public void forceAll() {
        final long end = endLsn();
        if (end > durableLsn()) {
            force(end - 1, false, -1);
        }
    }

    /** Under the lock: a buffer for a new run of at least {@code length} bytes, the spare one when it fits. */
    private ByteBuffer runBuffer(final int length) {
        if (length <= RUN_BYTES && !spareRuns.isEmpty()) {
            return spareRuns.pop();
        }
        return ByteBuffer.allocate(Math.max(RUN_BYTES, length)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Called with the lock held; releases it while writing. */
    private void flushAsLeader() {
        final List<Run> runs = pending;
        nextWaiters = 0;
        if (runs.isEmpty()) {
            durableLsn = nextLsn;
            flushing = false;
            flushed.signalAll();
            return;
        }
        pending = new ArrayList<>();
        pendingBytes = 0;
        flushing = true;
        final long target = runs.get(runs.size() - 1).endLsn();
        flushTarget = target;
        lock.unlock();
        final long started = System.nanoTime();
        Throwable failed = null;
        int records = 0;
        int segmentForces = 0;
        try {
            long lastSegment = -1;
            for (final Run run : runs) {
                final long segment = run.startLsn / segmentLength;
                if (segment != lastSegment && lastSegment >= 0) {
                    device.force(lastSegment);
                    segmentForces++;
                }
                // segments are made in order, by the flush leader only: no directory listing per flush
                if (segment > highestSegment) {
                    device.create(segment, header(segment));
                    highestSegment = segment;
                }
                run.bytes.flip();
                device.write(segment, run.startLsn % segmentLength, run.bytes);
                records += run.records;
                lastSegment = segment;
            }
            org.bess.server.FaultPoints.hit("log.afterWrite");
            device.force(lastSegment);
            segmentForces++;
        } catch (final RuntimeException | Error e) {
            failed = e;
        }
        lastFlushNanos = System.nanoTime() - started;
        lock.lock();
        flushing = false;
        // everyone blocked on the log now comes back for the next flush (a lone committer: 1, no gathering)
        gatherTarget = Math.max(1, inForce);
        if (failed != null) {
            failure = failed;
        } else {
            durableLsn = Math.max(durableLsn, target);
            forces += segmentForces;
            flushedRecords += records;
            flushes++;
            flushNanos += lastFlushNanos;
            for (final Run run : runs) {
                if (run.bytes.capacity() == RUN_BYTES && spareRuns.size() < MAX_SPARE_RUNS) {
                    spareRuns.push(run.bytes.clear());
                }
            }
        }
        flushed.signalAll();
    }

    private ByteBuffer header(final long segment) {
        final ByteBuffer h =
                ByteBuffer.allocate(LogSegmentHeaderDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        h.putLong(LogSegmentHeaderDescriptor.MAGIC_OFFSET, LogSegmentHeaderDescriptor.MAGIC);
        h.putInt(LogSegmentHeaderDescriptor.FORMAT_VERSION_OFFSET, LogSegmentHeaderDescriptor.FORMAT_VERSION);
        h.putInt(LogSegmentHeaderDescriptor.PAGE_LENGTH_OFFSET, PageHeaderDescriptor.PAGE_LENGTH);
        h.putLong(LogSegmentHeaderDescriptor.SEGMENT_INDEX_OFFSET, segment);
        h.putLong(LogSegmentHeaderDescriptor.SEGMENT_LENGTH_OFFSET, segmentLength);
        final CRC32C c = new CRC32C();
        c.update(h.array(), 0, LogSegmentHeaderDescriptor.CHECKSUM_OFFSET);
        h.putInt(LogSegmentHeaderDescriptor.CHECKSUM_OFFSET, (int) c.getValue());
        return h;
    }

    private void checkNotFailed() {
        if (failure != null) {
            throw new LogFailedException(failure);
        }
    }

    /**
     * Stops the log as a failed force would: nothing more is appended or reported durable, and every later call
     * throws. The engine calls it when its state in memory can no longer be trusted (a rollback that could not
     * finish): only restart recovery from the durable log can then give a consistent state.
     */
    public void failStop(final Throwable cause) {
        lock.lock();
        try {
            if (failure == null) {
                failure = cause;
            }
            flushed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Throws the log's failure ({@code IO}, "restart recovery is needed") when it failed earlier. */
    public void requireUsable() {
        // the failure is volatile: no lock (every transaction's begin asks, and the lock is the flushes' and appends')
        checkNotFailed();
    }

    /** Whether a write or force failed (the log is fail-stop from then on). */
    public boolean failed() {
        lock.lock();
        try {
            return failure != null;
        } finally {
            lock.unlock();
        }
    }

    /** Deletes segments wholly before {@code lsn} (no longer needed by restart). */
    public int recycleBefore(final long lsn) {
        int deleted = 0;
        for (final long s : device.segments()) {
            if ((s + 1) * segmentLength <= lsn && s < nextLsn / segmentLength) {
                device.delete(s);
                deleted++;
            }
        }
        return deleted;
    }

    /** Forces what is pending (when the log has not failed) and closes the device. */
    @Override
    public void close() {
        try {
            if (!failed()) {
                forceAll();
            }
        } finally {
            device.close();
        }
    }

    /** The log failed earlier; the store needs restart recovery. */
    public static final class LogFailedException extends BessException {
        private static final long serialVersionUID = 1L;

        LogFailedException(final Throwable cause) {
            super(ErrorCode.IO, "the write-ahead log failed earlier; restart recovery is needed: " + cause, cause);
        }
    }
}
