package org.bess.format;

/**
 * A log record. Records are 8-byte aligned, carry their length at both ends and a CRC32C, and never span two
 * segments: a record that does not fit the rest of its segment goes to the start of the next one, and the reader
 * skips the rest (which is zero).
 *
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |     Record Length (4)         |   CRC32C of [8, length - 4)   |
 *  +-------------------------------+-------------------------------+
 *  |                   LSN of this record (8)                      |
 *  +---------------------------------------------------------------+
 *  |          Previous LSN of the same transaction (8)             |
 *  +---------------------------------------------------------------+
 *  |                    Transaction Id (8)                         |
 *  +---------------+---------------+-------------------------------+
 *  |  Type (2)     |  Flags (2)    |   Payload Length (4)          |
 *  +---------------+---------------+-------------------------------+
 *  |  Payload ...                                                ...
 *  +-------------------------------+-------------------------------+
 *  |  padding to 8 bytes, zero     |  Record Length again (4)      |
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * A length of zero marks the end of the log (or of the used part of a segment). A record is valid only when both
 * lengths agree, its LSN field equals its position, and the CRC matches; recovery stops at the first record that is
 * not valid.
 */
public final class LogRecordDescriptor {
    /** Total record length, a multiple of 8. */
    public static final int LENGTH_OFFSET = 0;
    /** CRC32C of bytes [LSN_OFFSET, length - 4). */
    public static final int CHECKSUM_OFFSET = LENGTH_OFFSET + Integer.BYTES;
    /** The record's own LSN. */
    public static final int LSN_OFFSET = CHECKSUM_OFFSET + Integer.BYTES;
    /** The previous record of the same transaction (0: none). */
    public static final int PREV_LSN_OFFSET = LSN_OFFSET + Long.BYTES;
    /** The transaction (0: none, e.g. checkpoints). */
    public static final int TXN_ID_OFFSET = PREV_LSN_OFFSET + Long.BYTES;
    /** One of the {@code TYPE_*} values. */
    public static final int TYPE_OFFSET = TXN_ID_OFFSET + Long.BYTES;
    /** Flags of the type. */
    public static final int FLAGS_OFFSET = TYPE_OFFSET + Short.BYTES;
    /** Bytes of payload. */
    public static final int PAYLOAD_LENGTH_OFFSET = FLAGS_OFFSET + Short.BYTES;
    /** Start of the payload. */
    public static final int PAYLOAD_OFFSET = PAYLOAD_LENGTH_OFFSET + Integer.BYTES;
    /** Bytes of the trailer (the length again). */
    public static final int TRAILER_LENGTH = Integer.BYTES;
    /** Alignment of records. */
    public static final int ALIGNMENT = 8;
    /** Largest record: a full page image plus headroom. */
    public static final int MAX_RECORD_LENGTH = 1 << 20;

    /** A transaction began. */
    public static final short TYPE_BEGIN = 1;
    /** Changed byte ranges of one page, with before and after images. */
    public static final short TYPE_PAGE_DIFF = 2;
    /** A whole page image (first change after the page was clean: repairs torn writes). */
    public static final short TYPE_FULL_PAGE = 3;
    /** A compensation record: the undo of one page diff, redo-only. */
    public static final short TYPE_CLR = 4;
    /** The transaction committed. */
    public static final short TYPE_COMMIT = 5;
    /** The transaction decided to abort. */
    public static final short TYPE_ABORT = 6;
    /** The transaction is finished (after commit, or after its undo). */
    public static final short TYPE_END = 7;
    /** A fuzzy checkpoint: active transactions and dirty pages. */
    public static final short TYPE_CHECKPOINT = 8;
    /** End of a nested top action. */
    public static final short TYPE_NESTED_TOP_ACTION = 9;
    /** The transaction is prepared (two-phase commit). */
    public static final short TYPE_PREPARE = 10;
    /** A database was opened: its id and root area path, so restart can find its areas. */
    public static final short TYPE_DATABASE = 11;
    /** A database's catalog as a committing transaction left it: database id (8), serialized catalog. */
    public static final short TYPE_CATALOG = 12;

    private LogRecordDescriptor() {}

    /** The aligned total length of a record with {@code payloadLength} bytes of payload. */
    public static int recordLength(final int payloadLength) {
        final int raw = PAYLOAD_OFFSET + payloadLength + TRAILER_LENGTH;
        return (raw + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** A readable name of a record type. */
    public static String typeName(final int type) {
        return switch (type) {
            case TYPE_BEGIN -> "BEGIN";
            case TYPE_PAGE_DIFF -> "PAGE_DIFF";
            case TYPE_FULL_PAGE -> "FULL_PAGE";
            case TYPE_CLR -> "CLR";
            case TYPE_COMMIT -> "COMMIT";
            case TYPE_ABORT -> "ABORT";
            case TYPE_END -> "END";
            case TYPE_CHECKPOINT -> "CHECKPOINT";
            case TYPE_NESTED_TOP_ACTION -> "NESTED_TOP_ACTION";
            case TYPE_PREPARE -> "PREPARE";
            case TYPE_DATABASE -> "DATABASE";
            case TYPE_CATALOG -> "CATALOG";
            default -> "TYPE_" + type;
        };
    }
}
