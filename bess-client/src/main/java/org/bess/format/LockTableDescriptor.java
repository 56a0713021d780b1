package org.bess.format;

import org.agrona.DirectBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * The shared-memory lock table file ({@code locks} in the node's cache directory, {@code 0600}, created empty at every
 * server start): a header, the open-addressing table of {@link LockWordDescriptor} entries (one cache line each) and
 * the lock logs, one region per connected shared-memory client. Spec: {@code docs/format/lock-table.md}.
 *
 * <pre>
 *  header (64 bytes): magic "BESSLOCK" (8), version (4), entry capacity (4, a power of two), log slots (4),
 *                     entries per log (4), server pid (8), zero (32)
 *  entries:           capacity x 64 bytes: resource key (8, 0 = free), lock word (8), zero (48)
 *  logs:              slots x (64 + entries x 16): slot header (connection id (8), revoked flag (8), zero (48)),
 *                     then entries: resource key (8), state (8: bits 0-7 state, bits 8-15 mode code)
 * </pre>
 *
 * A client probes at most {@link #MAX_PROBE} entries from {@code hash(key) & (capacity - 1)} (the server inserts a key
 * only there), so freed entries need no tombstones.
 */
public final class LockTableDescriptor {
    /** "BESSLOCK" as a little-endian long. */
    public static final long MAGIC = 0x4B434F4C53534542L;
    /** The layout version. */
    public static final int VERSION = 1;
    /** Header length; the entries start here (64-byte aligned). */
    public static final int HEADER_LENGTH = 64;
    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the version. */
    public static final int VERSION_OFFSET = 8;
    /** Offset of the entry capacity. */
    public static final int CAPACITY_OFFSET = 12;
    /** Offset of the number of log slots. */
    public static final int LOG_SLOTS_OFFSET = 16;
    /** Offset of the entries per log. */
    public static final int LOG_ENTRIES_OFFSET = 20;
    /** Offset of the server's pid. */
    public static final int SERVER_PID_OFFSET = 24;

    /** Entries a client probes for a key (and the server's insertion window). */
    public static final int MAX_PROBE = 16;
    /** Largest entry capacity accepted. */
    public static final int MAX_CAPACITY = 1 << 22;
    /** Largest number of log slots accepted. */
    public static final int MAX_LOG_SLOTS = 1 << 16;
    /** Largest number of entries per log accepted. */
    public static final int MAX_LOG_ENTRIES = 1 << 16;

    /** Bytes of a log slot's header. */
    public static final int LOG_HEADER_LENGTH = 64;
    /** Offset of the connection id in a log slot's header (written by the server). */
    public static final int LOG_CONNECTION_OFFSET = 0;
    /** Offset of the revoked flag in a log slot's header (the server sets it when the client is cut off). */
    public static final int LOG_REVOKED_OFFSET = 8;
    /** Bytes per log entry. */
    public static final int LOG_ENTRY_LENGTH = 16;
    /** Offset of the resource key in a log entry. */
    public static final int LOG_KEY_OFFSET = 0;
    /** Offset of the state word in a log entry. */
    public static final int LOG_STATE_OFFSET = 8;

    /** A log entry not in use. */
    public static final int FREE = 0;
    /** The client is taking the lock: its CAS may or may not have happened. */
    public static final int ACQUIRING = 1;
    /** The client holds the lock (counted in the word). */
    public static final int HELD = 2;
    /** The server took the lock over into its own table (still counted in the word, by the server's holder). */
    public static final int TRANSFERRED = 3;

    private LockTableDescriptor() {}

    /** The file length for the given geometry. */
    public static long fileLength(final int capacity, final int logSlots, final int logEntries) {
        return entryOffset(capacity, capacity) + (long) logSlots * logSlotLength(logEntries);
    }

    /** Offset of entry {@code index} (its key; the word is {@link LockWordDescriptor#ENTRY_WORD_OFFSET} after). */
    public static long entryOffset(final int capacity, final int index) {
        return HEADER_LENGTH + (long) index * LockWordDescriptor.ENTRY_LENGTH;
    }

    /** Bytes of one log slot. */
    public static long logSlotLength(final int logEntries) {
        return LOG_HEADER_LENGTH + (long) logEntries * LOG_ENTRY_LENGTH;
    }

    /** Offset of log slot {@code slot}'s header. */
    public static long logOffset(final int capacity, final int logEntries, final int slot) {
        return entryOffset(capacity, capacity) + slot * logSlotLength(logEntries);
    }

    /** Offset of entry {@code index} of log slot {@code slot}. */
    public static long logEntryOffset(final int capacity, final int logEntries, final int slot, final int index) {
        return logOffset(capacity, logEntries, slot) + LOG_HEADER_LENGTH + (long) index * LOG_ENTRY_LENGTH;
    }

    /** The first entry probed for a key. */
    public static int home(final long key, final int capacity) {
        return (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> 32) & (capacity - 1);
    }

    /** A log entry's state word. */
    public static long logState(final int state, final int mode) {
        return (state & 0xFF) | ((long) (mode & 0xFF) << 8);
    }

    /** The state of a log entry's state word. */
    public static int stateOf(final long stateWord) {
        return (int) (stateWord & 0xFF);
    }

    /** The mode code of a log entry's state word. */
    public static int modeOf(final long stateWord) {
        return (int) ((stateWord >>> 8) & 0xFF);
    }

    /**
     * Checks a log entry's state word: a known state, a lock mode (1 to 5) unless free, no other bits.
     *
     * @throws BessException {@code BAD_FORMAT} naming the slot, the entry and the value.
     */
    public static void checkLogState(final long stateWord, final int slot, final int index) {
        final int state = stateOf(stateWord);
        final int mode = modeOf(stateWord);
        if ((stateWord & ~0xFFFFL) != 0
                || state > TRANSFERRED
                || (state != FREE && (mode < LockWordDescriptor.MODE_IS || mode > LockWordDescriptor.MAX_MODE))) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "lock log entry is garbage: slot=" + slot + ", entry=" + index + ", state word=0x"
                            + Long.toHexString(stateWord) + " (state 0-3, mode 1-5, no other bits)");
        }
    }

    /**
     * Checks the header of a mapped table file and returns its geometry.
     *
     * @param file what to name in errors.
     * @param length the mapped length.
     * @return {capacity, log slots, entries per log}.
     * @throws BessException {@code BAD_FORMAT} naming what is wrong.
     */
    public static int[] checkHeader(final DirectBuffer buffer, final long length, final String file) {
        if (length < HEADER_LENGTH) {
            throw bad(file, "shorter than its header: length=" + length);
        }
        final long magic = buffer.getLong(MAGIC_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (magic != MAGIC) {
            throw bad(file, "not a lock table: magic=0x" + Long.toHexString(magic));
        }
        final int version = buffer.getInt(VERSION_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (version != VERSION) {
            throw bad(file, "unsupported version " + version + " (this build reads " + VERSION + ")");
        }
        final int capacity = buffer.getInt(CAPACITY_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        final int slots = buffer.getInt(LOG_SLOTS_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        final int entries = buffer.getInt(LOG_ENTRIES_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
        if (capacity < MAX_PROBE || capacity > MAX_CAPACITY || Integer.bitCount(capacity) != 1) {
            throw bad(file, "entry capacity " + capacity + " is not a power of two in [16, " + MAX_CAPACITY + "]");
        }
        if (slots < 1 || slots > MAX_LOG_SLOTS || entries < 1 || entries > MAX_LOG_ENTRIES) {
            throw bad(file, "log geometry out of range: slots=" + slots + ", entries=" + entries);
        }
        final long expected = fileLength(capacity, slots, entries);
        if (length != expected) {
            throw bad(file, "length " + length + " does not match its geometry (expected " + expected + ")");
        }
        return new int[] {capacity, slots, entries};
    }

    private static BessException bad(final String file, final String what) {
        return new BessException(ErrorCode.BAD_FORMAT, "lock table file is damaged: file=" + file + ": " + what);
    }
}
