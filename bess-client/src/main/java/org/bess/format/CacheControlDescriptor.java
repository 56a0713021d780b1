package org.bess.format;

/**
 * The cache control file of a node ({@code <cacheDir>/control}), beside the cache file of page frames. It starts with
 * a header, then one 32-byte descriptor per cache frame, then the page-to-frame table.
 *
 * <pre>
 *  Header (64 bytes):
 *  +---------------------------------------------------------------+
 *  |                 Magic "BESSCTL1" (8 bytes)                    |
 *  +-------------------------------+-------------------------------+
 *  |      Format Version (4)       |      Frame Count (4)          |
 *  +-------------------------------+-------------------------------+
 *  |   Page Table Capacity (4)     |      Reserved (44)          ...
 *  +---------------------------------------------------------------+
 *  Frame descriptor i (40 bytes, at 64 + 40 i):
 *  +---------------------------------------------------------------+
 *  |   Page Key (8): (window + 1) << 40 | page number; 0 = free     |
 *  +-------------------------------+-------------------------------+
 *  |  Access Count (4): processes  |   Pin Count (4)               |
 *  |  mapping the frame            |                               |
 *  +-------------------------------+-------------------------------+
 *  |  Flags (4): 1 dirty, 2 control|   Reserved (4)                |
 *  |  page, 4 referenced           |                               |
 *  +-------------------------------+-------------------------------+
 *  |                    Page LSN in memory (8)                     |
 *  +---------------------------------------------------------------+
 *  |              Recovery LSN of a dirty frame (8)                |
 *  +---------------------------------------------------------------+
 *  Page table entry j (16 bytes): Page Key (8), Frame Index (4), Reserved (4); linear probing, key 0 = empty.
 * </pre>
 *
 * The file is recreated at every server start (the cache is volatile); it lives in {@code /dev/shm} by default.
 */
public final class CacheControlDescriptor {
    /** ASCII "BESSCTL1" as a little-endian long. */
    public static final long MAGIC = 0x314C_5443_5353_4542L;
    /** Layout version. */
    public static final int FORMAT_VERSION = 2;
    /** Magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Version. */
    public static final int FORMAT_VERSION_OFFSET = MAGIC_OFFSET + Long.BYTES;
    /** Frames in the cache file. */
    public static final int FRAME_COUNT_OFFSET = FORMAT_VERSION_OFFSET + Integer.BYTES;
    /** Entries in the page table (a power of two). */
    public static final int TABLE_CAPACITY_OFFSET = FRAME_COUNT_OFFSET + Integer.BYTES;
    /** Bytes of the header. */
    public static final int HEADER_LENGTH = 64;

    /** Page key of the frame. */
    public static final int FRAME_PAGE_KEY_OFFSET = 0;
    /** Processes mapping the frame. */
    public static final int FRAME_ACCESS_COUNT_OFFSET = FRAME_PAGE_KEY_OFFSET + Long.BYTES;
    /** Engine pins. */
    public static final int FRAME_PIN_COUNT_OFFSET = FRAME_ACCESS_COUNT_OFFSET + Integer.BYTES;
    /** Flags. */
    public static final int FRAME_FLAGS_OFFSET = FRAME_PIN_COUNT_OFFSET + Integer.BYTES;
    /** Page LSN. */
    public static final int FRAME_PAGE_LSN_OFFSET = FRAME_FLAGS_OFFSET + 2 * Integer.BYTES;
    /**
     * Recovery LSN of a dirty frame: no log record that changed the page since it was last clean lies before it (the
     * checkpoint's dirty page table). Kept here rather than in the server's heap, so that the heap does not grow with
     * the cache.
     */
    public static final int FRAME_REC_LSN_OFFSET = FRAME_PAGE_LSN_OFFSET + Long.BYTES;
    /** Bytes per frame descriptor. */
    public static final int FRAME_DESCRIPTOR_LENGTH = FRAME_REC_LSN_OFFSET + Long.BYTES;

    /** The frame holds changes not yet written to the area. */
    public static final int FLAG_DIRTY = 1;
    /** The frame holds a control page (checksum in its header). */
    public static final int FLAG_CONTROL = 2;
    /** Clock reference bit. */
    public static final int FLAG_REFERENCED = 4;

    /** Page key. */
    public static final int ENTRY_KEY_OFFSET = 0;
    /** Frame index. */
    public static final int ENTRY_FRAME_OFFSET = ENTRY_KEY_OFFSET + Long.BYTES;
    /** Bytes per page table entry. */
    public static final int ENTRY_LENGTH = 16;

    private CacheControlDescriptor() {}

    /** Offset of frame {@code i}'s descriptor. */
    public static int frameOffset(final int frame) {
        return HEADER_LENGTH + frame * FRAME_DESCRIPTOR_LENGTH;
    }

    /** Offset of the page table. */
    public static int tableOffset(final int frameCount) {
        return frameOffset(frameCount);
    }

    /** Page table capacity for a frame count: twice, as a power of two. */
    public static int tableCapacity(final int frameCount) {
        return Integer.highestOneBit(Math.max(16, frameCount * 2 - 1)) << 1;
    }

    /** Total control file length. */
    public static long fileLength(final int frameCount) {
        return tableOffset(frameCount) + (long) tableCapacity(frameCount) * ENTRY_LENGTH;
    }

    /**
     * Checks a control file a client mapped: magic, version, frame count, page table capacity, and the length they
     * imply.
     *
     * @return the frame count.
     * @throws org.bess.exceptions.BessException {@code BAD_FORMAT} naming the file and the field.
     */
    public static int checkHeader(final org.agrona.DirectBuffer buffer, final long length, final String file) {
        if (length < HEADER_LENGTH) {
            throw bad(file, "shorter than its header: length=" + length);
        }
        final long magic = buffer.getLong(MAGIC_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (magic != MAGIC) {
            throw bad(file, "not a cache control file: magic=0x" + Long.toHexString(magic));
        }
        final int version = buffer.getInt(FORMAT_VERSION_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (version != FORMAT_VERSION) {
            throw bad(file, "unsupported version " + version + " (this build reads " + FORMAT_VERSION + ")");
        }
        final int frames = buffer.getInt(FRAME_COUNT_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (frames < 1 || frames > (Integer.MAX_VALUE - HEADER_LENGTH) / (FRAME_DESCRIPTOR_LENGTH + 2 * ENTRY_LENGTH)) {
            throw bad(file, "frame count out of range: frames=" + frames);
        }
        final int capacity = buffer.getInt(TABLE_CAPACITY_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (capacity != tableCapacity(frames)) {
            throw bad(file, "page table capacity " + capacity + " does not match frames=" + frames);
        }
        if (length != fileLength(frames)) {
            throw bad(file, "length " + length + " does not match its geometry (expected " + fileLength(frames) + ")");
        }
        return frames;
    }

    private static org.bess.exceptions.BessException bad(final String file, final String what) {
        return new org.bess.exceptions.BessException(
                org.bess.exceptions.ErrorCode.BAD_FORMAT, "cache control file is damaged: file=" + file + ": " + what);
    }

    /**
     * The home slot of a page key in the page table (linear probing from there): the server and clients probe alike.
     *
     * @param mask the table capacity minus one.
     */
    public static int home(final long key, final int mask) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        h ^= h >>> 29;
        return (int) h & mask;
    }

    /** The page key of a page of a window. */
    public static long pageKey(final int window, final long pageNo) {
        return ((long) (window + 1) << 40) | pageNo;
    }
}
