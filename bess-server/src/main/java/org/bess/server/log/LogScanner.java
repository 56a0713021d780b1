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
import java.util.List;
import java.util.zip.CRC32C;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;

/**
 * Reads records forward from an LSN and stops at the first one that is not whole and valid: a zero or impossible
 * length, lengths at both ends that disagree, an LSN field that is not the record's position, or a CRC mismatch. A
 * segment whose rest is empty (zero length or end of file) continues at the next segment, which the writer starts
 * only after the earlier segment's tail is durable. {@link #stopReason()} says why the scan ended.
 *
 * <p>Not thread safe.
 */
public final class LogScanner {
    private static final int FIRST_READ = 4096;
    private static final int MAX_READ = 1 << 20;

    private final LogDevice device;
    private final long segmentLength;
    private final List<Long> segments;
    /** Read-ahead: bytes [windowStart, windowStart + windowBytes) of segment windowSegment. */
    private ByteBuffer window = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);

    private long windowSegment = -1;
    private long windowStart;
    private int windowBytes;
    /** The next read-ahead: small for a scanner that reads one record (undo), doubling while it scans on. */
    private int nextRead = FIRST_READ;

    private final CRC32C crc = new CRC32C();
    private long position;
    private String stopReason = "not started";

    /**
     * A scanner starting at {@code fromLsn}.
     *
     * @param segmentLength the log's segment length.
     */
    public LogScanner(final LogDevice device, final long segmentLength, final long fromLsn) {
        this.device = device;
        this.segmentLength = segmentLength;
        this.segments = device.segments();
        this.position = fromLsn;
    }

    /** The LSN just past the last valid record returned (the end of the log once {@link #next()} returned null). */
    public long position() {
        return position;
    }

    /** Why the scan stopped: "end of log", or the defect found at {@link #position()}. */
    public String stopReason() {
        return stopReason;
    }

    /**
     * The next valid record.
     *
     * @return the record, or null at the end of the valid log.
     */
    public LogRecord next() {
        while (true) {
            final long segment = position / segmentLength;
            final long offset = position % segmentLength;
            if (!segments.contains(segment)) {
                stopReason = "end of log";
                return null;
            }
            if (offset < LogSegmentHeaderDescriptor.HEADER_LENGTH) {
                // the last record filled its segment exactly: records go on after the next segment's header
                position += LogSegmentHeaderDescriptor.HEADER_LENGTH - offset;
                continue;
            }
            final long remaining = segmentLength - offset;
            int length = 0;
            if (remaining >= LogRecordDescriptor.recordLength(0) && ensure(segment, offset, Integer.BYTES)) {
                length = window.getInt((int) (offset - windowStart));
            }
            if (length == 0) {
                // the rest of this segment is unused: go on in the next one if the writer got there
                final long next = (segment + 1) * segmentLength + LogSegmentHeaderDescriptor.HEADER_LENGTH;
                if (segments.contains(segment + 1)
                        && device.size(segment + 1) > LogSegmentHeaderDescriptor.HEADER_LENGTH) {
                    position = next;
                    continue;
                }
                stopReason = "end of log";
                return null;
            }
            return readRecord(segment, offset, length, remaining);
        }
    }

    private LogRecord readRecord(final long segment, final long offset, final int length, final long remaining) {
        if (length < LogRecordDescriptor.recordLength(0)
                || length > LogRecordDescriptor.MAX_RECORD_LENGTH
                || length % LogRecordDescriptor.ALIGNMENT != 0
                || length > remaining) {
            stopReason = "bad record length " + length + " at lsn " + position;
            return null;
        }
        if (!ensure(segment, offset, length)) {
            stopReason = "record cut short at lsn " + position + " (length " + length + ")";
            return null;
        }
        final byte[] bytes = new byte[length];
        window.get((int) (offset - windowStart), bytes);
        final ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.getInt(length - TRAILER_LENGTH) != length) {
            stopReason = "record lengths disagree at lsn " + position;
            return null;
        }
        if (buf.getLong(LSN_OFFSET) != position) {
            stopReason = "record at lsn " + position + " says lsn " + buf.getLong(LSN_OFFSET);
            return null;
        }
        crc.reset();
        crc.update(buf.array(), LSN_OFFSET, length - TRAILER_LENGTH - LSN_OFFSET);
        if ((int) crc.getValue() != buf.getInt(CHECKSUM_OFFSET)) {
            stopReason = "record checksum mismatch at lsn " + position;
            return null;
        }
        final int payloadLength = buf.getInt(PAYLOAD_LENGTH_OFFSET);
        if (payloadLength < 0 || PAYLOAD_OFFSET + payloadLength + TRAILER_LENGTH > length) {
            stopReason = "bad payload length " + payloadLength + " at lsn " + position;
            return null;
        }
        final LogRecord record = new LogRecord(
                position,
                buf.getInt(LENGTH_OFFSET),
                buf.getLong(PREV_LSN_OFFSET),
                buf.getLong(TXN_ID_OFFSET),
                buf.getShort(TYPE_OFFSET),
                buf.getShort(FLAGS_OFFSET),
                buf.slice(PAYLOAD_OFFSET, payloadLength).asReadOnlyBuffer());
        position += length;
        return record;
    }

    /**
     * Makes bytes [offset, offset + length) of a segment available in the read-ahead window, reading from the device
     * when they are not there (bytes before the end of a segment never change once written, so a window stays valid).
     *
     * @return false when the segment holds fewer bytes.
     */
    private boolean ensure(final long segment, final long offset, final int length) {
        if (segment == windowSegment && offset >= windowStart && offset + length <= windowStart + windowBytes) {
            return true;
        }
        final int want = (int) Math.min(Math.max(length, nextRead), Math.max(length, segmentLength - offset));
        nextRead = Math.min(MAX_READ, nextRead * 2);
        if (window.capacity() < want) {
            window = ByteBuffer.allocate(Math.max(want, Math.min(MAX_READ, window.capacity() * 2)))
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
        window.clear().limit(want);
        windowSegment = segment;
        windowStart = offset;
        windowBytes = device.read(segment, offset, window);
        return windowBytes >= length;
    }

    /** Reads and checks a segment header; throws {@code BAD_FORMAT} naming the segment when it is not one. */
    public static void checkHeader(final LogDevice device, final long index, final long segmentLength) {
        final ByteBuffer h =
                ByteBuffer.allocate(LogSegmentHeaderDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        final int n = device.read(index, 0, h);
        final CRC32C c = new CRC32C();
        c.update(h.array(), 0, LogSegmentHeaderDescriptor.CHECKSUM_OFFSET);
        final String where = "log segment " + LogSegmentHeaderDescriptor.fileName(index);
        if (n != LogSegmentHeaderDescriptor.HEADER_LENGTH || h.getLong(0) != LogSegmentHeaderDescriptor.MAGIC) {
            throw new BessException(ErrorCode.BAD_FORMAT, "not a bess log segment: " + where);
        }
        if (h.getInt(LogSegmentHeaderDescriptor.FORMAT_VERSION_OFFSET) > LogSegmentHeaderDescriptor.FORMAT_VERSION) {
            throw new BessException(ErrorCode.BAD_FORMAT, "log has a newer format than this bess reads: " + where);
        }
        if ((int) c.getValue() != h.getInt(LogSegmentHeaderDescriptor.CHECKSUM_OFFSET)) {
            throw new BessException(ErrorCode.BAD_FORMAT, "log segment header checksum mismatch: " + where);
        }
        if (h.getLong(LogSegmentHeaderDescriptor.SEGMENT_INDEX_OFFSET) != index
                || h.getLong(LogSegmentHeaderDescriptor.SEGMENT_LENGTH_OFFSET) != segmentLength) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    where + " does not belong here: index=" + h.getLong(LogSegmentHeaderDescriptor.SEGMENT_INDEX_OFFSET)
                            + ", segmentLength=" + h.getLong(LogSegmentHeaderDescriptor.SEGMENT_LENGTH_OFFSET)
                            + ", expected segmentLength=" + segmentLength);
        }
    }
}
