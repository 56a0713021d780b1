package org.bess.format;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * The recovery-buffer area of one session: the before-images of the pages its open transaction changed, one page per
 * slot, with a directory naming the page in each slot. A client session's area is the file {@code recovery-<connection
 * id>-<n>} in the node's cache directory ({@code /dev/shm/bess-<node>-<pid>/}, {@code 0600}, created at {@code
 * HELLO}, deleted when the connection is cleaned up); an embedded session's is an anonymous mapping of the same
 * layout. Little-endian. Spec: {@code docs/format/recovery-buffer.md}.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                  Magic "BESSRBUF" (8 bytes)                   |
 *  +-------------------------------+-------------------------------+
 *  |        Format Version (4)     |      Page Length (4)          |
 *  +-------------------------------+-------------------------------+
 *  |          Slot Count (4)       |    Client Slot Count (4)      |
 *  +-------------------------------+-------------------------------+
 *  |                    Server Pid (8 bytes)                       |
 *  +---------------------------------------------------------------+
 *  |               Connection Id (8 bytes; 0: embedded)            |
 *  +---------------------------------------------------------------+
 *  |               Reserved, written as zero (20 bytes)           ...
 *  +-------------------------------+-------------------------------+
 *  ...                             |  CRC32C of bytes [0, 60) (4)  |
 *  +-------------------------------+-------------------------------+
 *  |  server directory: (Slot Count - Client Slot Count) x 32      |
 *  |  bytes, from offset 64; each entry:                           |
 *  |    page key (8) | transaction id (8) | state (4) | flags (4)  |
 *  |    | image checksum (4) | reserved, zero (4)                  |
 *  +---------------------------------------------------------------+
 *  |  client directory: Client Slot Count x 32 bytes, from the     |
 *  |  first 4096-byte boundary after the server directory          |
 *  +---------------------------------------------------------------+
 *  |  images: Slot Count x 4096 bytes (the client's last), from    |
 *  |  the first 4096-byte boundary after the client directory      |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The header is written once, before the area is named to anyone. The last {@code Client Slot Count} slots are the
 * client's (a shared-memory client copies the before-image of a page it X-locked by the lock fast path into one of
 * them itself); the server writes every other slot. A writer fills a slot's image, then its key, transaction, flags and
 * image checksum, then release-stores state {@link #STATE_IMAGE}; the server frees a slot by release-storing {@link
 * #STATE_FREE}. A reader acquire-reads the state before the other fields. The server never trusts the file for a page's
 * identity: it keeps its own copy of the key of every slot it wrote or adopted, adopts a client slot only when the
 * client's lock log holds X on the page it names and the image matches its checksum, and checks a slot's entry and
 * image checksum against its copy again before restoring the image; a damaged slot is refused, never restored.
 */
public final class RecoveryBufferDescriptor {
    /** "BESSRBUF" as a little-endian long. */
    public static final long MAGIC = 0x4655_4252_5353_4542L;
    /** The layout version (readers refuse any other). */
    public static final int VERSION = 2;
    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the format version. */
    public static final int VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    /** Offset of the page length (4096). */
    public static final int PAGE_LENGTH_OFFSET = VERSION_OFFSET + SIZE_OF_INT;
    /** Offset of the slot count. */
    public static final int SLOT_COUNT_OFFSET = PAGE_LENGTH_OFFSET + SIZE_OF_INT;
    /** Offset of the client slot count: the last slots of the area, written by the client (0: none). */
    public static final int CLIENT_SLOT_COUNT_OFFSET = SLOT_COUNT_OFFSET + SIZE_OF_INT;
    /** Offset of the server's pid. */
    public static final int SERVER_PID_OFFSET = CLIENT_SLOT_COUNT_OFFSET + SIZE_OF_INT;
    /** Offset of the connection id (0 for an embedded session). */
    public static final int CONNECTION_ID_OFFSET = SERVER_PID_OFFSET + SIZE_OF_LONG;
    /** Header length; the directory starts here. */
    public static final int HEADER_LENGTH = 64;
    /** Offset of the header's CRC32C (of the bytes before it). */
    public static final int HEADER_CHECKSUM_OFFSET = HEADER_LENGTH - SIZE_OF_INT;

    /** Bytes of one directory entry. */
    public static final int ENTRY_LENGTH = 32;
    /** Offset of the page key ({@link CacheControlDescriptor#pageKey}) in an entry. */
    public static final int ENTRY_KEY_OFFSET = 0;
    /** Offset of the id of the transaction whose before-image the slot holds. */
    public static final int ENTRY_TXN_OFFSET = ENTRY_KEY_OFFSET + SIZE_OF_LONG;
    /** Offset of the state word (written last, release; read first, acquire). */
    public static final int ENTRY_STATE_OFFSET = ENTRY_TXN_OFFSET + SIZE_OF_LONG;
    /** Offset of the flags: bit 0, the image is of a control page. */
    public static final int ENTRY_FLAGS_OFFSET = ENTRY_STATE_OFFSET + SIZE_OF_INT;
    /** Offset of the checksum of the slot's image ({@link #imageChecksum}). */
    public static final int ENTRY_IMAGE_CHECKSUM_OFFSET = ENTRY_FLAGS_OFFSET + SIZE_OF_INT;

    /** State of a free slot. */
    public static final int STATE_FREE = 0;
    /** State of a slot holding a before-image. */
    public static final int STATE_IMAGE = 1;
    /** Flag: the image is of a control page (its checksum is in its header). */
    public static final int FLAG_CONTROL_PAGE = 1;
    /** Flag: the client made the image (set in every client slot it seals; the server checks it). */
    public static final int FLAG_CLIENT_MADE = 2;

    /** Largest slot count accepted (2^20 slots: 4 GiB of images). */
    public static final int MAX_SLOTS = 1 << 20;

    private RecoveryBufferDescriptor() {}

    /** Offset of slot {@code slot}'s directory entry in an area without client slots. */
    public static long entryOffset(final int slot) {
        return HEADER_LENGTH + (long) slot * ENTRY_LENGTH;
    }

    /**
     * Offset of slot {@code slot}'s directory entry in an area of {@code slotCount} slots whose last {@code
     * clientSlots} are the client's: the server's entries follow the header, the client's start on a page of their
     * own.
     */
    public static long entryOffset(final int slotCount, final int clientSlots, final int slot) {
        final int serverSlots = slotCount - clientSlots;
        return slot < serverSlots
                ? entryOffset(slot)
                : clientDirectoryOffset(slotCount, clientSlots) + (long) (slot - serverSlots) * ENTRY_LENGTH;
    }

    /** Offset of the client slots' directory entries: the server's entries' end rounded up to a page. */
    public static long clientDirectoryOffset(final int slotCount, final int clientSlots) {
        return pageAligned(entryOffset(slotCount - clientSlots));
    }

    /** Offset of the first image in an area without client slots (the directory's end rounded up to a page). */
    public static long imagesOffset(final int slotCount) {
        return imagesOffset(slotCount, 0);
    }

    /** Offset of the first image (the client directory's end rounded up to a page). */
    public static long imagesOffset(final int slotCount, final int clientSlots) {
        return pageAligned(clientDirectoryOffset(slotCount, clientSlots) + (long) clientSlots * ENTRY_LENGTH);
    }

    private static long pageAligned(final long offset) {
        return (offset + PAGE_LENGTH - 1) & -PAGE_LENGTH;
    }

    /** Offset of slot {@code slot}'s image in an area without client slots. */
    public static long imageOffset(final int slotCount, final int slot) {
        return imageOffset(slotCount, 0, slot);
    }

    /** Offset of slot {@code slot}'s image. */
    public static long imageOffset(final int slotCount, final int clientSlots, final int slot) {
        return imagesOffset(slotCount, clientSlots) + (long) slot * PAGE_LENGTH;
    }

    /** Length of an area of {@code slotCount} slots without client slots. */
    public static long fileLength(final int slotCount) {
        return fileLength(slotCount, 0);
    }

    /** Length of an area of {@code slotCount} slots, the last {@code clientSlots} of them the client's. */
    public static long fileLength(final int slotCount, final int clientSlots) {
        return imageOffset(slotCount, clientSlots, slotCount);
    }

    /**
     * The checksum of a page image: a multiply-xor hash over its 512 little-endian longs, folded to 32 bits. Not
     * CRC32C: the JDK computes CRC32C only over heap arrays and {@code ByteBuffer}s, and the images are in native
     * memory; this runs at memory speed on the first-write path.
     */
    public static int imageChecksum(final DirectBuffer buffer, final int offset) {
        long h = 0x5851_F42D_4C95_7F2DL;
        for (int i = 0; i < PAGE_LENGTH; i += SIZE_OF_LONG) {
            h = (h ^ buffer.getLong(offset + i, ByteOrder.LITTLE_ENDIAN)) * 0x9E37_79B9_7F4A_7C15L;
            h ^= h >>> 29;
        }
        return (int) (h ^ (h >>> 32));
    }

    /** The CRC32C of the header's first {@link #HEADER_CHECKSUM_OFFSET} bytes. */
    public static int headerChecksum(final DirectBuffer buffer) {
        final byte[] b = new byte[HEADER_CHECKSUM_OFFSET];
        buffer.getBytes(0, b);
        final CRC32C crc = new CRC32C();
        crc.update(b);
        return (int) crc.getValue();
    }

    /**
     * Checks a mapped area's header against its length.
     *
     * @param length the bytes mapped (the file's length).
     * @param file the file, for messages.
     * @return the slot count.
     * @throws BessException {@code BAD_FORMAT} naming the file and the field that is wrong.
     */
    public static int checkHeader(final DirectBuffer buffer, final long length, final String file) {
        if (length < HEADER_LENGTH) {
            throw bad(file, "shorter than its header: length=" + length);
        }
        final long magic = buffer.getLong(MAGIC_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (magic != MAGIC) {
            throw bad(file, "not a recovery buffer: magic=0x" + Long.toHexString(magic));
        }
        final int version = buffer.getInt(VERSION_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (version != VERSION) {
            throw bad(file, "unsupported version " + version + " (this build reads " + VERSION + ")");
        }
        final int stored = buffer.getInt(HEADER_CHECKSUM_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int computed = headerChecksum(buffer);
        if (stored != computed) {
            throw bad(
                    file,
                    "header checksum mismatch: stored=0x" + Integer.toHexString(stored) + ", computed=0x"
                            + Integer.toHexString(computed));
        }
        final int pageLength = buffer.getInt(PAGE_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (pageLength != PAGE_LENGTH) {
            throw bad(file, "page length " + pageLength + " (expected " + PAGE_LENGTH + ")");
        }
        final int slots = buffer.getInt(SLOT_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (slots < 1 || slots > MAX_SLOTS) {
            throw bad(file, "slot count " + slots + " out of range [1, " + MAX_SLOTS + "]");
        }
        final int clientSlots = buffer.getInt(CLIENT_SLOT_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (clientSlots < 0 || clientSlots >= slots) {
            throw bad(file, "client slot count " + clientSlots + " out of range [0, " + (slots - 1) + "]");
        }
        final long expected = fileLength(slots, clientSlots);
        if (length != expected) {
            throw bad(
                    file,
                    "length " + length + " does not match its slot count " + slots + " (expected " + expected + ")");
        }
        return slots;
    }

    /** The client slot count of a header {@link #checkHeader} accepted: slots {@code [count - this, count)}. */
    public static int clientSlotCount(final DirectBuffer buffer) {
        return buffer.getInt(CLIENT_SLOT_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    private static BessException bad(final String file, final String what) {
        return new BessException(ErrorCode.BAD_FORMAT, "recovery buffer is damaged: file=" + file + ": " + what);
    }
}
