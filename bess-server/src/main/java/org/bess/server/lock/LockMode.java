package org.bess.server.lock;

import org.bess.format.LockWordDescriptor;

/**
 * The five lock modes of multi-granularity locking, with the standard compatibility matrix (held in
 * {@link LockWordDescriptor}, which the shared-memory fast path will use too). Pages take {@link #S} and {@link #X}
 * only; files and databases take all five.
 *
 * <p>Modes form a lattice ordered by {@link #covers}: {@code IS < IX < SIX < X} and {@code IS < S < SIX}. A request
 * for a mode the transaction already covers returns at once; any other request by a holder is an upgrade to the
 * {@link #supremum} of the two (S and IX make SIX).
 */
public enum LockMode {
    /** Intention shared: S locks will be taken below this file or database. */
    IS(LockWordDescriptor.MODE_IS),
    /** Intention exclusive: X (or S) locks will be taken below this file or database. */
    IX(LockWordDescriptor.MODE_IX),
    /** Shared: read. */
    S(LockWordDescriptor.MODE_S),
    /** Shared and intention exclusive: read all of it, write parts below. */
    SIX(LockWordDescriptor.MODE_SIX),
    /** Exclusive: write. */
    X(LockWordDescriptor.MODE_X);

    private static final LockMode[] BY_CODE = {null, IS, IX, S, SIX, X};

    private final int code;

    LockMode(final int code) {
        this.code = code;
    }

    /** The stable code of this mode in lock words and on the wire ({@code LockWordDescriptor.MODE_*}). */
    public int code() {
        return code;
    }

    /**
     * The mode of a code.
     *
     * @param code a {@code LockWordDescriptor.MODE_*} value.
     * @return the mode.
     * @throws IllegalArgumentException when the code names no mode.
     */
    public static LockMode ofCode(final int code) {
        if (code <= LockWordDescriptor.NULL_MODE || code > LockWordDescriptor.MAX_MODE) {
            throw new IllegalArgumentException("not a lock mode: code=" + code);
        }
        return BY_CODE[code];
    }

    /** Whether two transactions may hold this mode and {@code other} on one resource at once. */
    public boolean isCompatibleWith(final LockMode other) {
        return LockWordDescriptor.isCompatible(code, other.code);
    }

    /** Whether holding this mode grants everything {@code other} grants. */
    public boolean covers(final LockMode other) {
        switch (this) {
            case X:
                return true;
            case SIX:
                return other != X;
            case S:
                return other == S || other == IS;
            case IX:
                return other == IX || other == IS;
            case IS:
                return other == IS;
            default:
                throw new IllegalStateException("unknown mode: " + this);
        }
    }

    /** The weakest mode that covers both this mode and {@code other}: the target of an upgrade. */
    public LockMode supremum(final LockMode other) {
        if (covers(other)) {
            return this;
        }
        if (other.covers(this)) {
            return other;
        }
        return SIX; // the only incomparable pair is S and IX
    }
}
