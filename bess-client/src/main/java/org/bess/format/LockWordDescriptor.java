package org.bess.format;

/**
 * The 64-bit lock word of one lockable resource (a page, a file or a database), and the shared-memory lock-table
 * entry that will hold it (DESIGN.md §5: an uncontended lock without a round trip to the server). Holders are
 * counted per mode, not named; the names live in each holder's lock log and in the server's table.
 *
 * <pre>
 *  63  62  61          50  49  48  47          32 31          16 15           0
 *  +---+---+--------------+---+---+--------------+--------------+--------------+
 *  | W | L |  Generation  | X |SIX|   S count    |   IX count   |   IS count   |
 *  +---+---+--------------+---+---+--------------+--------------+--------------+
 *
 *  Shared lock-table entry (one cache line, 64-byte aligned):
 *  +---------------------------------------------------------------+
 *  |           Resource Key (8 bytes); 0 = free entry              |
 *  +---------------------------------------------------------------+
 *  |                     Lock Word (8 bytes)                       |
 *  +---------------------------------------------------------------+
 *  |               Reserved, written as zero (48 bytes)          ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <ul>
 *   <li><b>Counts</b>: holders of IS, IX and S (16 bits each); SIX and X are single bits because at most one
 *       transaction holds either. A word whose holder fields are all zero is free.
 *   <li><b>W</b> ({@link #WAITERS_FLAG}): a request waits in the server's queue for this resource. It closes the fast
 *       path both ways: new requests go to the server (FIFO fairness behind the waiter) and so do releases (the
 *       server must wake the waiter).
 *   <li><b>L</b> ({@link #LATCH_FLAG}): the server is rewriting the entry (recounting after a client died, freeing or
 *       reusing the entry); the fast path is closed.
 *   <li><b>Generation</b>: bumped each time the server gives the entry to another resource, so that a client which
 *       read the key before the change cannot CAS a word that now belongs to another resource (ABA).
 * </ul>
 *
 * Fast path of a client: read the key (acquire), read the word (acquire), re-read the key; if it still matches and
 * {@link #isFastPathAcquirable(long, int)}, {@code compareAndSetLong(word, word, add(word, mode))}. Release:
 * {@code compareAndSetLong(word, word, remove(word, mode))} while neither W nor L is set; otherwise the server
 * releases. Every other case (conflict, W or L set, a count full, the key absent) is a request to the server.
 * Nothing here is durable: the table is rebuilt empty when the server starts.
 */
public final class LockWordDescriptor {
    /** No mode: the wire value of "unset". */
    public static final int NULL_MODE = 0;
    /** Intention shared: the holder will take S locks below (in a file or database). */
    public static final int MODE_IS = 1;
    /** Intention exclusive: the holder will take X (or S) locks below. */
    public static final int MODE_IX = 2;
    /** Shared: read. */
    public static final int MODE_S = 3;
    /** Shared with intention exclusive: read everything, write some parts below. */
    public static final int MODE_SIX = 4;
    /** Exclusive: write. */
    public static final int MODE_X = 5;
    /** The highest mode code. */
    public static final int MAX_MODE = MODE_X;

    /** Bits of each counted field (IS, IX, S). */
    public static final int COUNT_BITS = 16;
    /** Largest value of a counted field: more holders of the mode go through the server, which refuses them. */
    public static final int MAX_COUNT = (1 << COUNT_BITS) - 1;
    /** Bits of the generation field. */
    public static final int GENERATION_BITS = 12;

    /** Shift of the IS holder count. */
    public static final int IS_COUNT_SHIFT = 0;
    /** Shift of the IX holder count. */
    public static final int IX_COUNT_SHIFT = IS_COUNT_SHIFT + COUNT_BITS;
    /** Shift of the S holder count. */
    public static final int S_COUNT_SHIFT = IX_COUNT_SHIFT + COUNT_BITS;
    /** Shift of the SIX holder bit. */
    public static final int SIX_SHIFT = S_COUNT_SHIFT + COUNT_BITS;
    /** Shift of the X holder bit. */
    public static final int X_SHIFT = SIX_SHIFT + 1;
    /** Shift of the generation field. */
    public static final int GENERATION_SHIFT = X_SHIFT + 1;
    /** Shift of the latch flag. */
    public static final int LATCH_SHIFT = GENERATION_SHIFT + GENERATION_BITS;
    /** Shift of the waiters flag (the sign bit). */
    public static final int WAITERS_SHIFT = LATCH_SHIFT + 1;

    /** A request waits in the server: acquire and release go through the server. */
    public static final long WAITERS_FLAG = 1L << WAITERS_SHIFT;
    /** The server is rewriting the entry: acquire and release go through the server. */
    public static final long LATCH_FLAG = 1L << LATCH_SHIFT;
    /** The generation field. */
    public static final long GENERATION_MASK = ((1L << GENERATION_BITS) - 1) << GENERATION_SHIFT;
    /** Every holder field (counts and single bits). */
    public static final long HOLDERS_MASK = (1L << GENERATION_SHIFT) - 1;
    /** A free word with no waiters, generation 0. */
    public static final long FREE_WORD = 0L;

    /** Offset of the resource key in a shared lock-table entry. */
    public static final int ENTRY_KEY_OFFSET = 0;
    /** Offset of the lock word in a shared lock-table entry (8-byte aligned: it is CASed by several processes). */
    public static final int ENTRY_WORD_OFFSET = ENTRY_KEY_OFFSET + Long.BYTES;
    /** Bytes per shared lock-table entry: one cache line, so that words of different resources never share one. */
    public static final int ENTRY_LENGTH = 64;
    /** Alignment of the entries. */
    public static final int ENTRY_ALIGNMENT = ENTRY_LENGTH;

    /** Per mode code, the mask of the mode codes it is compatible with (the standard IS/IX/S/SIX/X matrix). */
    private static final int[] COMPATIBLE_MASKS = {
        0, // NULL_MODE
        bit(MODE_IS) | bit(MODE_IX) | bit(MODE_S) | bit(MODE_SIX), // IS
        bit(MODE_IS) | bit(MODE_IX), // IX
        bit(MODE_IS) | bit(MODE_S), // S
        bit(MODE_IS), // SIX
        0, // X
    };

    private LockWordDescriptor() {}

    /** The mask bit of a mode code: {@code 1 << mode}. */
    public static int bit(final int mode) {
        return 1 << mode;
    }

    /** The mask of the mode codes compatible with {@code mode}. */
    public static int compatibleMask(final int mode) {
        return COMPATIBLE_MASKS[mode];
    }

    /** Whether two modes may be held on one resource by two transactions at once. */
    public static boolean isCompatible(final int modeA, final int modeB) {
        return (COMPATIBLE_MASKS[modeA] & bit(modeB)) != 0;
    }

    /** Whether {@code mode} is compatible with every mode in {@code modeMask} (a mask of {@link #bit} values). */
    public static boolean isCompatibleWithMask(final int modeMask, final int mode) {
        return (modeMask & ~COMPATIBLE_MASKS[mode]) == 0;
    }

    /** Whether {@code mode} is compatible with every holder counted in {@code word}. */
    public static boolean isCompatible(final long word, final int mode) {
        return isCompatibleWithMask(modeMask(word), mode);
    }

    /** The mask of the modes with at least one holder in {@code word}. */
    public static int modeMask(final long word) {
        int mask = 0;
        if (count(word, MODE_IS) != 0) {
            mask |= bit(MODE_IS);
        }
        if (count(word, MODE_IX) != 0) {
            mask |= bit(MODE_IX);
        }
        if (count(word, MODE_S) != 0) {
            mask |= bit(MODE_S);
        }
        if ((word & (1L << SIX_SHIFT)) != 0) {
            mask |= bit(MODE_SIX);
        }
        if ((word & (1L << X_SHIFT)) != 0) {
            mask |= bit(MODE_X);
        }
        return mask;
    }

    /** Holders of {@code mode} counted in {@code word}: 0 to {@link #MAX_COUNT}, or 0 to 1 for SIX and X. */
    public static int count(final long word, final int mode) {
        return (int) ((word >>> shift(mode)) & fieldMask(mode));
    }

    /** Whether one more holder of {@code mode} fits in {@code word}. */
    public static boolean canAdd(final long word, final int mode) {
        return count(word, mode) < fieldMask(mode);
    }

    /** {@code word} with one more holder of {@code mode}; the caller checked {@link #canAdd}. */
    public static long add(final long word, final int mode) {
        return word + (1L << shift(mode));
    }

    /** {@code word} with one holder of {@code mode} fewer; the caller knows there is one. */
    public static long remove(final long word, final int mode) {
        return word - (1L << shift(mode));
    }

    /** Whether any transaction holds the resource. */
    public static boolean isHeld(final long word) {
        return (word & HOLDERS_MASK) != 0;
    }

    /** Whether {@link #WAITERS_FLAG} is set. */
    public static boolean hasWaiters(final long word) {
        return (word & WAITERS_FLAG) != 0;
    }

    /** Whether {@link #LATCH_FLAG} is set. */
    public static boolean isLatched(final long word) {
        return (word & LATCH_FLAG) != 0;
    }

    /** The entry generation. */
    public static int generation(final long word) {
        return (int) ((word & GENERATION_MASK) >>> GENERATION_SHIFT);
    }

    /** {@code word} with another generation (taken modulo 2^{@link #GENERATION_BITS}). */
    public static long withGeneration(final long word, final int generation) {
        return (word & ~GENERATION_MASK) | (((long) generation << GENERATION_SHIFT) & GENERATION_MASK);
    }

    /** Whether a client may take {@code mode} with one CAS: no waiter, no latch, compatible, room in the count. */
    public static boolean isFastPathAcquirable(final long word, final int mode) {
        return (word & (WAITERS_FLAG | LATCH_FLAG)) == 0 && isCompatible(word, mode) && canAdd(word, mode);
    }

    /** Readable form, e.g. {@code IS=2 S=1 X=0 gen=3 waiters}. */
    public static String toString(final long word) {
        return "IS=" + count(word, MODE_IS) + " IX=" + count(word, MODE_IX) + " S=" + count(word, MODE_S) + " SIX="
                + count(word, MODE_SIX) + " X=" + count(word, MODE_X) + " gen=" + generation(word)
                + (hasWaiters(word) ? " waiters" : "") + (isLatched(word) ? " latched" : "");
    }

    private static int shift(final int mode) {
        switch (mode) {
            case MODE_IS:
                return IS_COUNT_SHIFT;
            case MODE_IX:
                return IX_COUNT_SHIFT;
            case MODE_S:
                return S_COUNT_SHIFT;
            case MODE_SIX:
                return SIX_SHIFT;
            case MODE_X:
                return X_SHIFT;
            default:
                throw new IllegalArgumentException("not a lock mode: mode=" + mode);
        }
    }

    private static long fieldMask(final int mode) {
        return mode == MODE_SIX || mode == MODE_X ? 1L : MAX_COUNT;
    }
}
