package org.bess.format;

import static org.bess.format.PageHeaderDescriptor.HEADER_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

/**
 * A node of a large object's tree (BeSS §2.2, the EOS/EXODUS large-object structure): one control page of type {@link
 * PageHeaderDescriptor#TYPE_LARGE_NODE}, after the {@link PageHeaderDescriptor common header}. The root node is what
 * the object's slot points at (flag {@link SlotDescriptor#FLAG_LARGE}); it never moves except when its file is moved to
 * another area. Rows are 8 bytes.
 *
 * <pre>
 *  +---------------+---------------+---------------+---------------+
 *  | Level (2) @32 | Entry Count(2)| Flags (2)     | Stripe Count(2)|
 *  +---------------+---------------+---------------+---------------+
 *  |              Owner: the object's reference word (8)           |
 *  +---------------------------------------------------------------+
 *  |              Length of the object in bytes (8), root          |
 *  +-------------------------------+---------------+---------------+
 *  |        File Id (4), root      |Next Stripe (2)| Reserved (2)  |
 *  +-------------------------------+---------------+---------------+
 *  |  Stripe areas: 32 area ids of 2 bytes @64, root             ...
 *  +---------------------------------------------------------------+
 *  |  Entry 0 (16 bytes, see LargeObjectEntryDescriptor) @128    ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Level 0 nodes point at leaves (data blocks, 2^k pages in any area); a node of level {@code l > 0} points at nodes of
 * level {@code l - 1}. Each entry holds its child's byte count, so the bytes of the object are the leaves' used bytes
 * left to right, and the root's length is the sum of its entries' counts. Fields marked "root" are zero in other
 * nodes. New leaves go to the stripe areas in turn, starting at "next stripe"; nodes live in the first stripe area.
 *
 * <p>Durability: a node is a control page like any other (checksum in its header, verified on every read); the tree's
 * pages reach disk at checkpoint, data pages before control pages.
 */
public final class LargeObjectNodeDescriptor {
    /** 0: entries point at leaves; {@code l > 0}: at nodes of level {@code l - 1}. */
    public static final int LEVEL_OFFSET = HEADER_LENGTH;
    /** Entries in use. */
    public static final int ENTRY_COUNT_OFFSET = LEVEL_OFFSET + Short.BYTES;
    /** {@link #FLAG_ROOT}. */
    public static final int FLAGS_OFFSET = ENTRY_COUNT_OFFSET + Short.BYTES;
    /** Areas in the stripe list (root; at least 1). */
    public static final int STRIPE_COUNT_OFFSET = FLAGS_OFFSET + Short.BYTES;
    /** The object's reference word, in every node: a node reached from another object is caught. */
    public static final int OWNER_REF_OFFSET = STRIPE_COUNT_OFFSET + Short.BYTES;
    /** Length of the object (root). */
    public static final int LENGTH_OFFSET = OWNER_REF_OFFSET + Long.BYTES;
    /** The file the object belongs to (root). */
    public static final int FILE_ID_OFFSET = LENGTH_OFFSET + Long.BYTES;
    /** Index into the stripe areas of the area of the next new leaf (root). */
    public static final int NEXT_STRIPE_OFFSET = FILE_ID_OFFSET + Integer.BYTES;
    /** The stripe areas, 2 bytes each (root). */
    public static final int STRIPE_AREAS_OFFSET = NEXT_STRIPE_OFFSET + 2 * Short.BYTES;
    /** Most areas a large object can be striped over. */
    public static final int MAX_STRIPE_AREAS = 32;
    /** The entry array. */
    public static final int ENTRIES_OFFSET = STRIPE_AREAS_OFFSET + MAX_STRIPE_AREAS * Short.BYTES;
    /** Entries per node. */
    public static final int ENTRY_CAPACITY = (PAGE_LENGTH - ENTRIES_OFFSET) / LargeObjectEntryDescriptor.ENTRY_LENGTH;

    /** The node is the root of its tree. */
    public static final int FLAG_ROOT = 1;

    /**
     * The largest leaf: 2^6 pages, 256 KiB (smaller when the extent is: a leaf is at most half an extent, the first
     * half holding the extent's own metadata). It bounds what an insert or delete in the middle moves.
     */
    public static final int MAX_LEAF_ORDER = 6;

    private LargeObjectNodeDescriptor() {}

    /** Offset of an entry in the page. */
    public static int entryOffset(final int index) {
        return ENTRIES_OFFSET + index * LargeObjectEntryDescriptor.ENTRY_LENGTH;
    }

    /** Offset of a stripe area id in the page. */
    public static int stripeAreaOffset(final int index) {
        return STRIPE_AREAS_OFFSET + index * Short.BYTES;
    }
}
