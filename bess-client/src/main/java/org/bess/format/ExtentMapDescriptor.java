package org.bess.format;

import static org.bess.format.PageHeaderDescriptor.HEADER_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

/**
 * The first page of every extent: the persistent state of the extent's binary buddy allocator, after the {@link
 * PageHeaderDescriptor common header}.
 *
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |      Extent Number (4) @32    |      Max Order m (4)          |
 *  +-------------------------------+-------------------------------+
 *  |      Meta Pages (4)           |      Free Pages (4)           |
 *  +-------------------------------+-------------------------------+
 *  |  Free bitmaps, order 0..m: order k has 2^(m-k) bits, bit i    |
 *  |  set = block i of size 2^k pages is free and maximal        ...
 *  +---------------------------------------------------------------+
 *  |  Allocated bitmaps, order 0..m: bit i set = an allocated    ...
 *  |  segment of 2^k pages starts at block i                       |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Bitmaps are arrays of little-endian longs (order k's map is {@code max(1, 2^(m-k) / 64)} longs), orders one after
 * another, free maps first. The first {@code metaPages} pages of the extent (this page and the page-info pages,
 * rounded up to a power of two) are one allocated segment. Page numbers in the maps are relative to the extent.
 */
public final class ExtentMapDescriptor {
    /** Extent number in its area. */
    public static final int EXTENT_NO_OFFSET = HEADER_LENGTH;
    /** log2 of the pages per extent. */
    public static final int MAX_ORDER_OFFSET = EXTENT_NO_OFFSET + Integer.BYTES;
    /** Pages reserved for the extent's own metadata. */
    public static final int META_PAGES_OFFSET = MAX_ORDER_OFFSET + Integer.BYTES;
    /** Free pages in the extent (a cache of the bitmaps' content, checked by {@code check}). */
    public static final int FREE_PAGES_OFFSET = META_PAGES_OFFSET + Integer.BYTES;
    /** Start of the bitmaps. */
    public static final int BITMAPS_OFFSET = FREE_PAGES_OFFSET + Integer.BYTES;

    /** Smallest extent: 256 pages (1 MiB). */
    public static final int MIN_EXTENT_PAGES = 256;
    /** Largest extent whose maps fit one page: 4096 pages (16 MiB). */
    public static final int MAX_EXTENT_PAGES = 4096;

    private ExtentMapDescriptor() {}

    /** Longs in the bitmap of one order. */
    public static int bitmapLongs(final int maxOrder, final int order) {
        return Math.max(1, (1 << (maxOrder - order)) >>> 6);
    }

    /** Offset of the free bitmap of an order. */
    public static int freeBitmapOffset(final int maxOrder, final int order) {
        int offset = BITMAPS_OFFSET;
        for (int k = 0; k < order; k++) {
            offset += bitmapLongs(maxOrder, k) * Long.BYTES;
        }
        return offset;
    }

    /** Offset of the allocated bitmap of an order. */
    public static int allocBitmapOffset(final int maxOrder, final int order) {
        return freeBitmapOffset(maxOrder, maxOrder + 1) - BITMAPS_OFFSET + freeBitmapOffset(maxOrder, order);
    }

    /** Pages of page-info table an extent of {@code extentPages} needs. */
    public static int pageInfoPages(final int extentPages) {
        return (extentPages + PageInfoDescriptor.ENTRIES_PER_PAGE - 1) / PageInfoDescriptor.ENTRIES_PER_PAGE;
    }

    /** Pages reserved for metadata at the start of each extent: map page plus page-info, up to a power of two. */
    public static int metaPages(final int extentPages) {
        return Integer.highestOneBit(2 * (1 + pageInfoPages(extentPages)) - 1);
    }

    /** Whether the maps of an extent of this size fit in one page. */
    public static boolean fits(final int extentPages) {
        final int maxOrder = Integer.numberOfTrailingZeros(extentPages);
        return allocBitmapOffset(maxOrder, maxOrder + 1) <= PAGE_LENGTH;
    }
}
