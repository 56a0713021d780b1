package org.bess.format;

import org.agrona.DirectBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * The client-map file ({@code maps} beside the cache file, {@code 0600}, created empty at every server start and
 * deleted at close): for every cache frame, which shared-memory clients map it into a virtual frame by themselves (a
 * cache hit without a request), so that the server's clock never replaces it. Clients map this file read-write and
 * set or clear only their own bit; the server only reads the bits, sets and clears the frame's evicting flag, and
 * clears a dead client's bits. Spec: {@code docs/format/client-map.md}.
 *
 * <pre>
 *  header (64 bytes): magic "BESSMAP1" (8), version (4), frame count (4), client slots (4, a multiple of 64),
 *                     words per frame (4, 1 + slots / 64), zero (40)
 *  frame i, at 64 + i x words x 8:
 *                     state word (8): bit 0 evicting (server only), bits 1-63 zero
 *                     slot bitmap (slots / 8 bytes): bit s % 64 of word 1 + s / 64 set = client slot s maps frame i
 * </pre>
 *
 * A client's slot is its lock-log slot in the shared lock table ({@link LockTableDescriptor}); clients whose slot is
 * past the last one here never take the hit path.
 */
public final class ClientMapDescriptor {
    /** "BESSMAP1" as a little-endian long. */
    public static final long MAGIC = 0x3150_414D_5353_4542L;
    /** The layout version. */
    public static final int VERSION = 1;
    /** Header length. */
    public static final int HEADER_LENGTH = 64;
    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the version. */
    public static final int VERSION_OFFSET = 8;
    /** Offset of the frame count. */
    public static final int FRAME_COUNT_OFFSET = 12;
    /** Offset of the number of client slots. */
    public static final int SLOTS_OFFSET = 16;
    /** Offset of the words per frame. */
    public static final int WORDS_OFFSET = 20;
    /** Client slots of a file the server makes (the lock table's default number of lock logs). */
    public static final int DEFAULT_SLOTS = 256;
    /** Largest number of client slots accepted. */
    public static final int MAX_SLOTS = 1 << 12;
    /** Largest frame count accepted (the control file's frame indexes are 4-byte). */
    public static final int MAX_FRAMES = Integer.MAX_VALUE / 64;
    /** The state word's evicting flag: the server is replacing the frame; a client that sees it backs out. */
    public static final long EVICTING = 1L;
    /**
     * The state word's writing flag: the server is writing the frame back. A client that took X on the frame's page by
     * the lock fast path waits for it to clear before it makes the frame writable (the server sets it, then checks for
     * a fast-path X; the client takes X, then checks it: one of them sees the other).
     */
    public static final long WRITING = 2L;
    /**
     * The state word's referenced flag, the only bit a client sets (CAS): it mapped the frame by a cache hit, which
     * the server's level-two clock does not see otherwise. The clock gives such a frame a second chance and clears it,
     * as it does its own referenced flag.
     */
    public static final long REFERENCED = 4L;

    private ClientMapDescriptor() {}

    /** Words (8 bytes each) per frame record for a slot count. */
    public static int wordsPerFrame(final int slots) {
        return 1 + slots / 64;
    }

    /** Offset of frame {@code frame}'s state word. */
    public static long stateOffset(final int slots, final int frame) {
        return HEADER_LENGTH + (long) frame * wordsPerFrame(slots) * Long.BYTES;
    }

    /** Offset of the bitmap word holding slot {@code slot}'s bit for frame {@code frame}. */
    public static long slotWordOffset(final int slots, final int frame, final int slot) {
        return stateOffset(slots, frame) + Long.BYTES + (long) (slot >>> 6) * Long.BYTES;
    }

    /** Slot {@code slot}'s bit in its bitmap word. */
    public static long slotBit(final int slot) {
        return 1L << (slot & 63);
    }

    /** The file's length for a geometry. */
    public static long fileLength(final int frames, final int slots) {
        return stateOffset(slots, frames);
    }

    /** Writes the header of a new file (the server). */
    public static void writeHeader(final org.agrona.MutableDirectBuffer buffer, final int frames, final int slots) {
        checkGeometry("new client-map file", frames, slots);
        buffer.putLong(MAGIC_OFFSET, MAGIC, java.nio.ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(VERSION_OFFSET, VERSION, java.nio.ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(FRAME_COUNT_OFFSET, frames, java.nio.ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(SLOTS_OFFSET, slots, java.nio.ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(WORDS_OFFSET, wordsPerFrame(slots), java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Checks a mapped file's header against what this build reads and the file's length.
     *
     * @param expectedFrames the cache's frame count (from the control file), or -1 to take the header's.
     * @return {frames, slots}.
     * @throws BessException {@code BAD_FORMAT} naming the file and the field.
     */
    public static int[] checkHeader(
            final DirectBuffer buffer, final long length, final String file, final int expectedFrames) {
        if (length < HEADER_LENGTH) {
            throw bad(file, "shorter than its header: length=" + length);
        }
        final long magic = buffer.getLong(MAGIC_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (magic != MAGIC) {
            throw bad(file, "not a client-map file: magic=0x" + Long.toHexString(magic));
        }
        final int version = buffer.getInt(VERSION_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (version != VERSION) {
            throw bad(file, "unsupported version " + version + " (this build reads " + VERSION + ")");
        }
        final int frames = buffer.getInt(FRAME_COUNT_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        final int slots = buffer.getInt(SLOTS_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        final int words = buffer.getInt(WORDS_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        checkGeometry(file, frames, slots);
        if (words != wordsPerFrame(slots)) {
            throw bad(file, "words per frame " + words + " do not match slots=" + slots);
        }
        if (expectedFrames >= 0 && frames != expectedFrames) {
            throw bad(file, "frame count " + frames + " is not the cache's " + expectedFrames);
        }
        final long expected = fileLength(frames, slots);
        if (length != expected) {
            throw bad(file, "length " + length + " does not match its geometry (expected " + expected + ")");
        }
        return new int[] {frames, slots};
    }

    private static void checkGeometry(final String file, final int frames, final int slots) {
        if (frames < 1 || frames > MAX_FRAMES) {
            throw bad(file, "frame count out of range: frames=" + frames);
        }
        if (slots < 64 || slots > MAX_SLOTS || slots % 64 != 0) {
            throw bad(file, "client slots " + slots + " are not a multiple of 64 in [64, " + MAX_SLOTS + "]");
        }
    }

    /**
     * Whether a frame's state word is one the server and the clients can have written ({@link #EVICTING}, {@link
     * #WRITING}, {@link #REFERENCED} or 0): anything else is garbage.
     */
    public static boolean isValidState(final long state) {
        return (state & ~(EVICTING | WRITING | REFERENCED)) == 0;
    }

    private static BessException bad(final String file, final String what) {
        return new BessException(ErrorCode.BAD_FORMAT, "client-map file is damaged: file=" + file + ": " + what);
    }
}
