package org.bess.nativeshim;

/** The hardware protection of a mapped range, as {@code mprotect(2)} sets it. */
public enum Protection {
    /** No access: any touch faults. */
    NONE(Native.PROT_NONE),
    /** Read only: a write faults. */
    READ(Native.PROT_READ),
    /** Read and write. */
    READ_WRITE(Native.PROT_READ | Native.PROT_WRITE);

    private final int prot;

    Protection(final int prot) {
        this.prot = prot;
    }

    /** The {@code PROT_*} bits. */
    public int bits() {
        return prot;
    }
}
