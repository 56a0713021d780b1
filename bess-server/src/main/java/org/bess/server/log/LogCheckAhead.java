package org.bess.server.log;

import static org.bess.format.LogRecordDescriptor.CHECKSUM_OFFSET;
import static org.bess.format.LogRecordDescriptor.LSN_OFFSET;
import static org.bess.format.LogRecordDescriptor.PAYLOAD_LENGTH_OFFSET;
import static org.bess.format.LogRecordDescriptor.PAYLOAD_OFFSET;
import static org.bess.format.LogRecordDescriptor.TRAILER_LENGTH;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;

/**
 * Verifies the log's records ahead of a long scan, on a thread of its own ({@code bess-log-check}): it walks the same
 * records from the same LSN with every check a scan makes (lengths at both ends, LSN field, CRC32C, payload length),
 * through a mapping of its own of each segment, and publishes how far every record matched ({@link #verified()}). The
 * scan it runs ahead of still checks each record's lengths and LSN field itself and computes the checksum only of the
 * records past that point, so the scan stops at the first invalid record as before: this thread only saves it the
 * checksums of records already verified. It reads only mapped segments (a device that does not map gives it nothing
 * to check: it stops at once and the scan checks everything), and any failure of its own (an I/O error on a mapped
 * page) just stops it: it is advisory.
 *
 * <p>Both read the same bytes: the log below its end is not written while a scan runs (restart's open scan runs
 * before the log is open), and two mappings of one file see the same page cache.
 *
 * <p>Its walk is a loop of its own over each mapped segment ({@link #walk}), not a {@link LogScanner}: the same rules
 * (the records of a segment from its header on, a zero length or a segment's end sending the walk to the next segment
 * when the writer got there, every check of {@code LogScanner.readRecord}), with the record's position in local
 * variables and no per-record call for the window: the walk is most of this thread's work, the checksum the lesser
 * part. Where it would differ from a scan it can only stop earlier, which costs the scan checksums, never a check.
 */
final class LogCheckAhead implements Runnable, AutoCloseable {
    /** Records verified between two publications (a store the scanning thread may read). */
    private static final int PUBLISH_EVERY = 16;

    private final LogDevice device;
    private final long segmentLength;
    private final long fromLsn;
    /** The segments that exist when the walk starts, ascending. */
    private final long[] segments;
    /** Why the walk stopped ("not started" while it runs). */
    private volatile String stopReason = "not started";
    /** Every record that ends at or before this LSN passed every check (a release by this thread). */
    private final AtomicLong verified;

    private volatile boolean stop;
    private final Thread thread;

    /** Starts verifying the records from {@code fromLsn} on (the LSN the scan starts at). */
    LogCheckAhead(final LogDevice device, final long segmentLength, final long fromLsn) {
        this.device = device;
        this.segmentLength = segmentLength;
        this.fromLsn = fromLsn;
        this.segments = device.segments().stream().mapToLong(Long::longValue).toArray();
        this.verified = new AtomicLong(fromLsn);
        this.thread = new Thread(this, "bess-log-check");
        thread.setDaemon(true);
        thread.start();
    }

    /** Every record that ends at or before this LSN passed every check of a scan. */
    long verified() {
        return verified.get();
    }

    /** Why this thread's own walk stopped ("not started" while it runs; for tests). */
    String stopReason() {
        return stopReason;
    }

    /** Waits for the thread to end its walk (tests: everything it will verify is verified). */
    void awaitEnd() {
        joinUninterruptibly();
    }

    @Override
    public void run() {
        try {
            stopReason = walk();
        } catch (final RuntimeException | InternalError e) {
            // advisory: the scan checks the records past the last published position itself
            stopReason = "failed: " + e;
        }
    }

    /**
     * Checks every record from {@link #fromLsn} on, segment by segment, publishing how far they all passed.
     *
     * @return why it stopped.
     */
    private String walk() {
        final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        final CRC32C crc = new CRC32C();
        final int minRecord = LogRecordDescriptor.recordLength(0);
        long position = fromLsn;
        int n = 0;
        while (!stop) {
            final long segment = position / segmentLength;
            final long segmentStart = segment * segmentLength;
            if (Arrays.binarySearch(segments, segment) < 0) {
                return "end of log";
            }
            final long size = device.size(segment);
            final MappedByteBuffer m = size > Integer.MAX_VALUE ? null : device.map(segment, size);
            if (m == null) {
                return "log segment " + segment + " not mapped";
            }
            try {
                LogScanner.readAhead(m, size);
                view.wrap(m, 0, (int) size);
                final ByteBuffer crcView = m.duplicate();
                long offset = Math.max(position - segmentStart, LogSegmentHeaderDescriptor.HEADER_LENGTH);
                String failure = null;
                // the records of this segment
                while (!stop) {
                    final long remaining = segmentLength - offset;
                    final int length =
                            remaining >= minRecord && offset + Integer.BYTES <= size ? view.getInt((int) offset) : 0;
                    if (length == 0) {
                        break;
                    }
                    final int at = (int) offset;
                    final long lsn = segmentStart + offset;
                    if (length < minRecord
                            || length > LogRecordDescriptor.MAX_RECORD_LENGTH
                            || length % LogRecordDescriptor.ALIGNMENT != 0
                            || length > remaining) {
                        failure = "bad record length " + length + " at lsn " + lsn;
                        break;
                    }
                    if (offset + length > size) {
                        failure = "record cut short at lsn " + lsn + " (length " + length + ")";
                        break;
                    }
                    if (view.getInt(at + length - TRAILER_LENGTH) != length || view.getLong(at + LSN_OFFSET) != lsn) {
                        failure = "record lengths or lsn disagree at lsn " + lsn;
                        break;
                    }
                    crc.reset();
                    crcView.limit(at + length - TRAILER_LENGTH).position(at + LSN_OFFSET);
                    crc.update(crcView);
                    if ((int) crc.getValue() != view.getInt(at + CHECKSUM_OFFSET)) {
                        failure = "record checksum mismatch at lsn " + lsn;
                        break;
                    }
                    final int payloadLength = view.getInt(at + PAYLOAD_LENGTH_OFFSET);
                    if (payloadLength < 0 || PAYLOAD_OFFSET + payloadLength + TRAILER_LENGTH > length) {
                        failure = "bad payload length " + payloadLength + " at lsn " + lsn;
                        break;
                    }
                    offset += length;
                    if (++n == PUBLISH_EVERY) {
                        n = 0;
                        verified.lazySet(segmentStart + offset);
                    }
                }
                // every record before offset passed every check
                position = segmentStart + offset;
                verified.lazySet(position);
                if (failure != null) {
                    return failure;
                }
            } finally {
                view.wrap(0, 0);
                IoUtil.unmap(m);
            }
            if (stop) {
                return "stopped";
            }
            // the rest of this segment is unused (or it is full): go on in the next one if the writer got there
            if (Arrays.binarySearch(segments, segment + 1) < 0
                    || device.size(segment + 1) <= LogSegmentHeaderDescriptor.HEADER_LENGTH) {
                return "end of log";
            }
            position = (segment + 1) * segmentLength + LogSegmentHeaderDescriptor.HEADER_LENGTH;
        }
        return "stopped";
    }

    /** Stops the thread and waits for it (its mapping released). */
    @Override
    public void close() {
        stop = true;
        joinUninterruptibly();
    }

    private void joinUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (final InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
