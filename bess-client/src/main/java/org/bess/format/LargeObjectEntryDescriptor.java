package org.bess.format;

/**
 * An entry of a {@link LargeObjectNodeDescriptor large-object node}: a child pointer and the child's byte count. 16
 * bytes.
 *
 * <pre>
 *  +---------------+---------------+-------------------------------+
 *  | Child Area (2)| Child Order(2)|       Child Page (4)          |
 *  +---------------+---------------+-------------------------------+
 *  |                     Byte Count (8)                            |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * In a level-0 node the child is a leaf: a buddy block of {@code 2^order} data pages starting at the child page, whose
 * first {@code byteCount} bytes (at least 1, at most {@code 4096 << order}) are the leaf's part of the object; the
 * rest of the block is slack. In higher nodes the child is a node (order 0: one page) and the count is the sum of
 * that node's entries.
 */
public final class LargeObjectEntryDescriptor {
    /** Area of the child. */
    public static final int CHILD_AREA_OFFSET = 0;
    /** log2 of the child's pages (0 for nodes). */
    public static final int CHILD_ORDER_OFFSET = CHILD_AREA_OFFSET + Short.BYTES;
    /** First page of the child in its area. */
    public static final int CHILD_PAGE_OFFSET = CHILD_ORDER_OFFSET + Short.BYTES;
    /** Bytes of the object under the child. */
    public static final int BYTE_COUNT_OFFSET = CHILD_PAGE_OFFSET + Integer.BYTES;
    /** Bytes per entry. */
    public static final int ENTRY_LENGTH = BYTE_COUNT_OFFSET + Long.BYTES;

    private LargeObjectEntryDescriptor() {}
}
