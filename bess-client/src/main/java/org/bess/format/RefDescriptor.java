package org.bess.format;

/**
 * A persistent reference: one 64-bit word naming a slot, never swizzled.
 *
 * <pre>
 *  63                             32 31             16 15            0
 *  +--------------------------------+-----------------+--------------+
 *  | root-area page of the slotted  |   slot index    |  generation  |
 *  | segment                        |                 |              |
 *  +--------------------------------+-----------------+--------------+
 * </pre>
 *
 * Zero is the null reference (page 0 of the root area is its header, never a slotted segment).
 */
public final class RefDescriptor {
    /** The null reference. */
    public static final long NULL_REF = 0L;

    private RefDescriptor() {}

    /** Packs a reference. */
    public static long pack(final long segmentPage, final int slotIndex, final int generation) {
        return (segmentPage << 32) | ((long) (slotIndex & 0xFFFF) << 16) | (generation & 0xFFFF);
    }

    /** The slotted segment's page. */
    public static long segmentPage(final long ref) {
        return ref >>> 32;
    }

    /** The slot index. */
    public static int slotIndex(final long ref) {
        return (int) (ref >>> 16) & 0xFFFF;
    }

    /** The generation. */
    public static int generation(final long ref) {
        return (int) ref & 0xFFFF;
    }

    /** Readable form, e.g. {@code @12:3#1}. */
    public static String toString(final long ref) {
        return ref == NULL_REF ? "null" : "@" + segmentPage(ref) + ":" + slotIndex(ref) + "#" + generation(ref);
    }
}
