package org.bess.format;

/**
 * The live counters file of a node server, {@code <cache dir>/counters} (by default {@code /dev/shm/bess-<node>/}),
 * created {@code 0600} (or {@code 0640} when the node allows a group). Little-endian.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                  Magic "BESSCNT1" (8 bytes)                   |
 *  +-------------------------------+-------------------------------+
 *  |      Format Version (4)       |   Metadata Length (4)         |
 *  +-------------------------------+-------------------------------+
 *  |      Values Length (4)        |   Reserved, zero (4)          |
 *  +-------------------------------+-------------------------------+
 *  |                     Server PID (8 bytes)                      |
 *  +---------------------------------------------------------------+
 *  |                Start Time, epoch ms (8 bytes)                 |
 *  +---------------------------------------------------------------+
 *  |                    Node Id (8 bytes)                          |
 *  +-------------------------------+-------------------------------+
 *  |   CRC32C of bytes [0, 48) (4) |   Reserved, zero, up to 64  ...
 *  +-------------------------------+-------------------------------+
 *  |  Heartbeat, epoch ms (8 bytes), at 64: its own cache line     |
 *  +---------------------------------------------------------------+
 *  |  Stopped Flag (4 bytes): 1 after a clean shutdown, at 72      |
 *  +---------------------------------------------------------------+
 *  |          Reserved, zero, up to HEADER_LENGTH (4096)         ...
 *  +---------------------------------------------------------------+
 *  |  Agrona CountersManager metadata (Metadata Length bytes)    ...
 *  +---------------------------------------------------------------+
 *  |  Agrona CountersManager values (Values Length bytes)        ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The server writes the whole header, then the CRC, then starts its counters; the heartbeat is stored with release
 * semantics once a second and the stopped flag once, at a clean shutdown. Readers check the magic, version, lengths
 * (against the file's size and Agrona's ratios) and CRC before they map the counters, and read values with acquire
 * semantics. Nothing in it is durable: it lives in {@code /dev/shm} and a new server recreates it.
 */
public final class CountersFileDescriptor {
    /** ASCII "BESSCNT1" as a little-endian long. */
    public static final long MAGIC = 0x31544e4353534542L;
    /** The format this code writes; readers refuse another. */
    public static final int FORMAT_VERSION = 1;
    /** Magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Format version. */
    public static final int FORMAT_VERSION_OFFSET = MAGIC_OFFSET + Long.BYTES;
    /** Bytes of the Agrona metadata buffer. */
    public static final int METADATA_LENGTH_OFFSET = FORMAT_VERSION_OFFSET + Integer.BYTES;
    /** Bytes of the Agrona values buffer. */
    public static final int VALUES_LENGTH_OFFSET = METADATA_LENGTH_OFFSET + Integer.BYTES;
    /** Reserved, zero. */
    public static final int RESERVED_OFFSET = VALUES_LENGTH_OFFSET + Integer.BYTES;
    /** The server's pid. */
    public static final int PID_OFFSET = RESERVED_OFFSET + Integer.BYTES;
    /** When the server started, epoch ms. */
    public static final int START_TIME_OFFSET = PID_OFFSET + Long.BYTES;
    /** The node id. */
    public static final int NODE_ID_OFFSET = START_TIME_OFFSET + Long.BYTES;
    /** CRC32C of bytes [0, CHECKSUM_OFFSET). */
    public static final int CHECKSUM_OFFSET = NODE_ID_OFFSET + Long.BYTES;
    /** Heartbeat, epoch ms, on its own cache line. */
    public static final int HEARTBEAT_OFFSET = 64;
    /** 1 after a clean shutdown. */
    public static final int STOPPED_OFFSET = HEARTBEAT_OFFSET + Long.BYTES;
    /** Bytes of the header; the metadata buffer starts here. */
    public static final int HEADER_LENGTH = 4096;
    /** Largest metadata or values buffer a reader accepts (16 MiB). */
    public static final int MAX_BUFFER_LENGTH = 16 << 20;

    private CountersFileDescriptor() {}

    /** Where the values buffer starts. */
    public static int valuesOffset(final int metadataLength) {
        return HEADER_LENGTH + metadataLength;
    }

    /** The file's length. */
    public static long fileLength(final int metadataLength, final int valuesLength) {
        return (long) HEADER_LENGTH + metadataLength + valuesLength;
    }
}
