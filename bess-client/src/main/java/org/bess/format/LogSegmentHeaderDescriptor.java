package org.bess.format;

/**
 * Header at offset 0 of every log segment file {@code log-<segment index as 16 hex digits>.dat}. Little-endian.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                  Magic "BESSLOG1" (8 bytes)                   |
 *  +-------------------------------+-------------------------------+
 *  |      Format Version (4)       |      Page Length (4)          |
 *  +-------------------------------+-------------------------------+
 *  |                     Segment Index (8 bytes)                   |
 *  +---------------------------------------------------------------+
 *  |                  Segment Length in bytes (8)                  |
 *  +---------------------------------------------------------------+
 *  |               Reserved, written as zero (92 bytes)           ...
 *  +---------------------------------------------------------------+
 *  |                    CRC32C of bytes [0, 124)                   |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * A log sequence number (LSN) is a byte position in the concatenation of all segments: segment {@code i} covers LSNs
 * {@code [i * segmentLength, (i + 1) * segmentLength)}, and LSN {@code l} is at file offset {@code l % segmentLength}
 * of its segment. The first {@link #HEADER_LENGTH} bytes of each segment are this header, so no record starts there.
 * The header is written and forced when the segment is created, before any record goes into it.
 */
public final class LogSegmentHeaderDescriptor {
    /** ASCII "BESSLOG1" read as a little-endian long. */
    public static final long MAGIC = 0x3147_4f4c_5353_4542L;
    /** The log format this code writes; readers refuse a newer one. */
    public static final int FORMAT_VERSION = 1;
    /** Magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Format version. */
    public static final int FORMAT_VERSION_OFFSET = MAGIC_OFFSET + Long.BYTES;
    /** Page length of the node. */
    public static final int PAGE_LENGTH_OFFSET = FORMAT_VERSION_OFFSET + Integer.BYTES;
    /** Index of this segment. */
    public static final int SEGMENT_INDEX_OFFSET = PAGE_LENGTH_OFFSET + Integer.BYTES;
    /** Length of every segment of this log. */
    public static final int SEGMENT_LENGTH_OFFSET = SEGMENT_INDEX_OFFSET + Long.BYTES;
    /** Bytes of the header. */
    public static final int HEADER_LENGTH = 128;
    /** CRC32C of bytes [0, CHECKSUM_OFFSET). */
    public static final int CHECKSUM_OFFSET = HEADER_LENGTH - Integer.BYTES;

    private LogSegmentHeaderDescriptor() {}

    /** The segment holding an LSN. */
    public static long segmentIndex(final long lsn, final long segmentLength) {
        return lsn / segmentLength;
    }

    /** The file name of a segment. */
    public static String fileName(final long segmentIndex) {
        return String.format(java.util.Locale.ROOT, "log-%016x.dat", segmentIndex);
    }
}
