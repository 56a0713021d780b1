package org.bess.server.log;

import static org.bess.format.LogRecordDescriptor.CHECKSUM_OFFSET;
import static org.bess.format.LogRecordDescriptor.FLAGS_OFFSET;
import static org.bess.format.LogRecordDescriptor.LSN_OFFSET;
import static org.bess.format.LogRecordDescriptor.PAYLOAD_LENGTH_OFFSET;
import static org.bess.format.LogRecordDescriptor.PAYLOAD_OFFSET;
import static org.bess.format.LogRecordDescriptor.PREV_LSN_OFFSET;
import static org.bess.format.LogRecordDescriptor.TRAILER_LENGTH;
import static org.bess.format.LogRecordDescriptor.TXN_ID_OFFSET;
import static org.bess.format.LogRecordDescriptor.TYPE_OFFSET;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.nativeshim.Native;

/**
 * Reads records forward from an LSN and stops at the first one that is not whole and valid: a zero or impossible
 * length, lengths at both ends that disagree, an LSN field that is not the record's position, or a CRC mismatch. A
 * segment whose rest is empty (zero length or end of file) continues at the next segment, which the writer starts
 * only after the earlier segment's tail is durable. {@link #stopReason()} says why the scan ended.
 *
 * <p>Two ways to read: {@link #next()} returns each record as an object with its own copy of the payload (undo, tools);
 * {@link #advance()} moves a cursor to the next record in place, with no allocation and no copy: the header fields are
 * read from the scanner ({@link #lsn()}, {@link #type()}, ...) and the payload from {@link #buffer()} at
 * {@link #payloadOffset()} (restart: the open scan, analysis and redo read every record once each).
 *
 * <p>A scanner made by {@link #sequential} reads a whole segment at a time through {@link LogDevice#map} when the
 * device offers it (one read-only mapping per segment, released when the scan moves on and at {@link #close()}), and
 * in 1 MiB reads into a direct buffer otherwise. The plain constructor reads a little first and doubles its read-ahead
 * while it goes on (undo reads one record at a time).
 *
 * <p>Not thread safe.
 */
public final class LogScanner implements AutoCloseable {
    /** Sees records in place during a scan (see {@link LogWriter#open}). */
    @FunctionalInterface
    public interface Visitor {
        /**
         * A valid record: read it from {@code record} ({@link #lsn()}, {@link #type()}, {@link #buffer()}, ...) before
         * returning; never advance or close the scanner.
         */
        void visit(LogScanner record);

        /**
         * Runs before the bytes of the records visited so far may change or go away: before the scan's window moves
         * on, and once the scan stops (on every path, before its mapping is released). A visitor that handed record
         * addresses to another thread waits for it here. Nothing by default.
         */
        default void release() {
            // nothing handed out
        }
    }

    private static final int FIRST_READ = 4096;
    private static final int MAX_READ = 1 << 20;

    private final LogDevice device;
    private final long segmentLength;
    private final long[] segments;
    private final boolean sequential;
    /** Reads mapped segments only: a segment the device does not map ends the scan (see {@link LogCheckAhead}). */
    private boolean mappedOnly;
    /** A scanner that reads mapped segments only met one the device did not map: it stops there. */
    private boolean unmapped;
    /** Verifies records ahead of this scan on another thread (null: none; see {@link #checkAhead()}). */
    private LogCheckAhead ahead;
    /** The last position {@link #ahead} published: records that end at or before it need no checksum here. */
    private long verifiedAhead;
    /** Read-ahead: bytes [windowStart, windowStart + windowBytes) of segment windowSegment. */
    private ByteBuffer window = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
    /** The window's bytes for the checksum (position and limit set per record). */
    private ByteBuffer crcView = window.duplicate();
    /** The window's bytes for in-place reads (native order: bess runs on little-endian machines only). */
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    /** The mapping the window is, when it is one. */
    private MappedByteBuffer mapped;

    private long windowSegment = -1;
    /** The first LSN of the segment {@link #position} is in (kept so that records need no division). */
    private long segmentStart = Long.MAX_VALUE;

    private long currentSegment;
    /** A segment known to exist (the one being read). */
    private long knownSegment = -1;

    private long windowStart;
    private int windowBytes;
    /** The next read-ahead: small for a scanner that reads one record (undo), doubling while it scans on. */
    private int nextRead = FIRST_READ;
    /** Records that end at or before this LSN were verified by an earlier scan of the same bytes: no checksum. */
    private long checkedUpTo;

    private final CRC32C crc = new CRC32C();
    /** Runs before the window's bytes may change (mapping released, buffer read again): see {@link #beforeMove}. */
    private Runnable beforeMove;

    private long position;
    private String stopReason = "not started";

    // the current record (after advance() returned true)
    private long lsn = -1;
    private int length;
    private int at;

    /**
     * A scanner starting at {@code fromLsn}.
     *
     * @param segmentLength the log's segment length.
     */
    public LogScanner(final LogDevice device, final long segmentLength, final long fromLsn) {
        this(device, segmentLength, fromLsn, false);
    }

    private LogScanner(final LogDevice device, final long segmentLength, final long fromLsn, final boolean sequential) {
        this.device = device;
        this.segmentLength = segmentLength;
        final List<Long> list = device.segments();
        this.segments = new long[list.size()];
        for (int i = 0; i < segments.length; i++) {
            segments[i] = list.get(i);
        }
        this.position = fromLsn;
        this.sequential = sequential;
        if (sequential) {
            nextRead = MAX_READ;
        }
    }

    /**
     * A scanner for reading a long stretch of the log in order: whole segments mapped, or large reads.
     *
     * @param segmentLength the log's segment length.
     * @param fromLsn where to start.
     * @return the scanner; close it to release its mapping.
     */
    public static LogScanner sequential(final LogDevice device, final long segmentLength, final long fromLsn) {
        return new LogScanner(device, segmentLength, fromLsn, true);
    }

    /** A sequential scanner that reads only mapped segments (stops where the device does not map). */
    static LogScanner mappedOnly(final LogDevice device, final long segmentLength, final long fromLsn) {
        final LogScanner s = new LogScanner(device, segmentLength, fromLsn, true);
        s.mappedOnly = true;
        return s;
    }

    /**
     * Verifies the records ahead of this scan on a second thread ({@link LogCheckAhead}): this scanner then computes
     * the checksum only of the records past the position that thread has verified (it still checks every record's
     * lengths and LSN field, and a record that thread found invalid is past that position, so this scan stops at the
     * first invalid record as before). For a sequential scanner about to start; the thread is stopped by
     * {@link #close()}.
     *
     * @return this scanner.
     */
    public LogScanner checkAhead() {
        if (!sequential || ahead != null) {
            throw new IllegalStateException("check ahead: a sequential scanner, once");
        }
        ahead = new LogCheckAhead(device, segmentLength, position);
        verifiedAhead = position;
        return this;
    }

    /** The thread verifying ahead of this scan (null: none); for tests. */
    LogCheckAhead ahead() {
        return ahead;
    }

    /**
     * Skips the checksum of records that end at or before {@code lsn}: an earlier scan of these same bytes (the log's
     * open scan) verified them, and nothing writes below the log's end. Lengths and LSN fields are still checked.
     *
     * @return this scanner.
     */
    public LogScanner checkedUpTo(final long lsn) {
        this.checkedUpTo = lsn;
        return this;
    }

    /**
     * Runs {@code hook} before the bytes of records already returned may change: before the scanner releases its
     * mapping or reads into its buffer again while advancing (restart's redo hands the addresses of records to a
     * second thread and waits for it there). Not run by {@link #close()}: whoever reads those bytes stops first.
     *
     * @return this scanner.
     */
    public LogScanner beforeMove(final Runnable hook) {
        this.beforeMove = hook;
        return this;
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
     * The next valid record, as an object with its own copy of the payload.
     *
     * @return the record, or null at the end of the valid log.
     */
    public LogRecord next() {
        if (!advance()) {
            return null;
        }
        final byte[] payload = new byte[payloadLength()];
        view.getBytes(payloadOffset(), payload);
        return new LogRecord(
                lsn,
                length,
                prevLsn(),
                txnId(),
                type(),
                flags(),
                ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer());
    }

    /**
     * Moves to the next valid record, read in place: see {@link #lsn()}, {@link #type()}, {@link #buffer()}. The
     * current record's bytes stay valid until the next call.
     *
     * @return false at the end of the valid log ({@link #position()} is then the end, {@link #stopReason()} why).
     */
    public boolean advance() {
        try {
            return advanceChecked();
        } catch (final InternalError e) {
            // an I/O error on a mapped page surfaces as an InternalError ("a fault occurred in an unsafe memory
            // access")
            throw new BessException(
                    ErrorCode.IO, "cannot read log segment " + windowSegment + " (mapped): " + e.getMessage(), e);
        }
    }

    private boolean advanceChecked() {
        while (true) {
            if (position < segmentStart || position - segmentStart >= segmentLength) {
                // a division only when the scan enters another segment, not per record
                currentSegment = position / segmentLength;
                segmentStart = currentSegment * segmentLength;
            }
            final long segment = currentSegment;
            final long offset = position - segmentStart;
            if (!hasSegment(segment)) {
                stopReason = "end of log";
                return false;
            }
            if (offset < LogSegmentHeaderDescriptor.HEADER_LENGTH) {
                // the last record filled its segment exactly: records go on after the next segment's header
                position += LogSegmentHeaderDescriptor.HEADER_LENGTH - offset;
                continue;
            }
            final long remaining = segmentLength - offset;
            int recordLength = 0;
            if (remaining >= LogRecordDescriptor.recordLength(0) && ensure(segment, offset, Integer.BYTES)) {
                recordLength = view.getInt((int) (offset - windowStart));
            }
            if (unmapped) {
                // not "the rest of the segment is unused": nothing of it was read
                stopReason = "log segment " + segment + " not mapped";
                return false;
            }
            if (recordLength == 0) {
                // the rest of this segment is unused: go on in the next one if the writer got there
                final long next = (segment + 1) * segmentLength + LogSegmentHeaderDescriptor.HEADER_LENGTH;
                if (hasSegment(segment + 1) && device.size(segment + 1) > LogSegmentHeaderDescriptor.HEADER_LENGTH) {
                    position = next;
                    continue;
                }
                stopReason = "end of log";
                return false;
            }
            return readRecord(segment, offset, recordLength, remaining);
        }
    }

    private boolean hasSegment(final long segment) {
        if (segment == knownSegment) {
            return true;
        }
        if (java.util.Arrays.binarySearch(segments, segment) >= 0) {
            knownSegment = segment;
            return true;
        }
        return false;
    }

    private boolean readRecord(final long segment, final long offset, final int recordLength, final long remaining) {
        if (recordLength < LogRecordDescriptor.recordLength(0)
                || recordLength > LogRecordDescriptor.MAX_RECORD_LENGTH
                || recordLength % LogRecordDescriptor.ALIGNMENT != 0
                || recordLength > remaining) {
            stopReason = "bad record length " + recordLength + " at lsn " + position;
            return false;
        }
        if (!ensure(segment, offset, recordLength)) {
            stopReason = "record cut short at lsn " + position + " (length " + recordLength + ")";
            return false;
        }
        final int start = (int) (offset - windowStart);
        final UnsafeBuffer buf = view;
        if (buf.getInt(start + recordLength - TRAILER_LENGTH) != recordLength) {
            stopReason = "record lengths disagree at lsn " + position;
            return false;
        }
        if (buf.getLong(start + LSN_OFFSET) != position) {
            stopReason = "record at lsn " + position + " says lsn " + buf.getLong(start + LSN_OFFSET);
            return false;
        }
        final long recordEnd = position + recordLength;
        if (recordEnd > checkedUpTo && !verifiedAhead(recordEnd)) {
            crc.reset();
            crcView.limit(start + recordLength - TRAILER_LENGTH).position(start + LSN_OFFSET);
            crc.update(crcView);
            if ((int) crc.getValue() != buf.getInt(start + CHECKSUM_OFFSET)) {
                stopReason = "record checksum mismatch at lsn " + position;
                return false;
            }
        }
        final int payloadLength = buf.getInt(start + PAYLOAD_LENGTH_OFFSET);
        if (payloadLength < 0 || PAYLOAD_OFFSET + payloadLength + TRAILER_LENGTH > recordLength) {
            stopReason = "bad payload length " + payloadLength + " at lsn " + position;
            return false;
        }
        lsn = position;
        length = recordLength;
        at = start;
        position += recordLength;
        return true;
    }

    /** Whether the thread checking ahead verified every record up to {@code recordEnd} (the same bytes). */
    private boolean verifiedAhead(final long recordEnd) {
        if (ahead == null) {
            return false;
        }
        if (recordEnd <= verifiedAhead) {
            return true;
        }
        // read the other thread's position only when this scan caught up with the last one read
        verifiedAhead = ahead.verified();
        return recordEnd <= verifiedAhead;
    }

    /** The current record's LSN. */
    public long lsn() {
        return lsn;
    }

    /** The current record's total length (the next record starts at {@code lsn() + length()}). */
    public int length() {
        return length;
    }

    /** The current record's previous record of its transaction, or 0. */
    public long prevLsn() {
        return view.getLong(at + PREV_LSN_OFFSET);
    }

    /** The current record's transaction, or 0. */
    public long txnId() {
        return view.getLong(at + TXN_ID_OFFSET);
    }

    /** The current record's type, one of {@code LogRecordDescriptor.TYPE_*}. */
    public short type() {
        return view.getShort(at + TYPE_OFFSET);
    }

    /** The current record's flags. */
    public short flags() {
        return view.getShort(at + FLAGS_OFFSET);
    }

    /** The bytes holding the current record (little-endian, read only): its payload is at {@link #payloadOffset()}. */
    public DirectBuffer buffer() {
        return view;
    }

    /** The current record's payload as a little-endian buffer of its own (a view: valid until the next advance). */
    public ByteBuffer payload() {
        return window.slice(payloadOffset(), payloadLength()).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Where the current record's payload starts in {@link #buffer()}. */
    public int payloadOffset() {
        return at + PAYLOAD_OFFSET;
    }

    /** The current record's payload length. */
    public int payloadLength() {
        return view.getInt(at + PAYLOAD_LENGTH_OFFSET);
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
        if (beforeMove != null) {
            beforeMove.run();
        }
        if (sequential && segment != windowSegment && map(segment)) {
            return offset + length <= windowBytes;
        }
        if (mapped != null && segment == windowSegment) {
            // the mapping holds every byte the segment had: there are no more
            return false;
        }
        if (mappedOnly) {
            // the device does not map this segment: nothing more to check ahead
            unmapped = true;
            return false;
        }
        release();
        final int want = (int) Math.min(Math.max(length, nextRead), Math.max(length, segmentLength - offset));
        nextRead = Math.min(MAX_READ, nextRead * 2);
        if (window.capacity() < want) {
            final int capacity = Math.max(want, Math.min(MAX_READ, window.capacity() * 2));
            window = (sequential ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity))
                    .order(ByteOrder.LITTLE_ENDIAN);
            crcView = window.duplicate();
        }
        window.clear().limit(want);
        windowSegment = segment;
        windowStart = offset;
        windowBytes = device.read(segment, offset, window);
        window.clear();
        crcView.clear();
        view.wrap(window, 0, window.capacity());
        return windowBytes >= length;
    }

    /** Maps a whole segment as the window; false when the device cannot (then it is read). */
    private boolean map(final long segment) {
        final long size = device.size(segment);
        if (size > Integer.MAX_VALUE) {
            return false;
        }
        final MappedByteBuffer m = device.map(segment, size);
        if (m == null) {
            return false;
        }
        release();
        if (checkedUpTo == 0 && size > 0) {
            readAhead(m, size);
        }
        mapped = m;
        window = m.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        crcView = m.duplicate();
        view.wrap(window, 0, (int) size);
        windowSegment = segment;
        windowStart = 0;
        windowBytes = (int) size;
        return true;
    }

    /**
     * Asks the kernel to read the whole mapped segment ahead ({@code MADV_WILLNEED}: asynchronous read-ahead), so that
     * a scan of a segment that is not in the page cache (after a power loss) reads from the device while it checks the
     * records already read, instead of waiting at each fault. Only for a first scan of these bytes (a scan whose
     * records an earlier scan checked finds them in the page cache). Best effort: a failure changes nothing.
     */
    private static void readAhead(final MappedByteBuffer m, final long size) {
        try {
            Native.madvise(BufferUtil.address(m), size, Native.MADV_WILLNEED);
        } catch (final RuntimeException e) {
            // the scan faults the pages in as it goes
        }
    }

    private void release() {
        if (mapped != null) {
            final MappedByteBuffer m = mapped;
            mapped = null;
            window = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
            crcView = window.duplicate();
            view.wrap(0, 0);
            windowSegment = -1;
            windowBytes = 0;
            IoUtil.unmap(m);
        }
    }

    /**
     * Stops the thread checking ahead, if any, and releases the mapping; the current record's bytes are no longer
     * readable.
     */
    @Override
    public void close() {
        try {
            if (ahead != null) {
                ahead.close();
            }
        } finally {
            release();
        }
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
