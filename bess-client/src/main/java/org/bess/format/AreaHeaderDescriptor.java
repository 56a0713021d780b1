package org.bess.format;

import static org.bess.format.PageHeaderDescriptor.HEADER_LENGTH;

/**
 * Page 0 of every storage area, after the {@link PageHeaderDescriptor common header}. The root area's header also
 * holds the database header: the location of the catalog.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                 Magic "BESSAREA" (8 bytes)       @32           |
 *  +-------------------------------+-------------------------------+
 *  |  Area Format Version (4)      |      Page Length (4)          |
 *  +-------------------------------+-------------------------------+
 *  |                    Database Id (8 bytes)                      |
 *  +-------------------------------+-------------------------------+
 *  |        Area Id (4)            |  Flags (4): 1=root 2=device   |
 *  +-------------------------------+-------------------------------+
 *  |   Extent Length in pages (4)  |      Extent Count (4)         |
 *  +-------------------------------+-------------------------------+
 *  |   Max Extent Count (4)        |   Open By Node (4), 0 = closed|
 *  +-------------------------------+-------------------------------+
 *  |  Catalog First Page (4)       |   Catalog Page Count (4)      |
 *  +-------------------------------+-------------------------------+
 *  |                Catalog Length in bytes (8)                    |
 *  +---------------------------------------------------------------+
 *  |                   Created, epoch ms (8)                       |
 *  +-------------------------------+-------------------------------+
 *  | Pending Catalog First Page (4)| Pending Catalog Page Count (4)|
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * Extent {@code k} covers area pages {@code [1 + k * extentPages, 1 + (k + 1) * extentPages)}. The header is written
 * last when an area grows or the catalog moves: it is the switch that makes the new state current.
 */
public final class AreaHeaderDescriptor {
    /** ASCII "BESSAREA" read as a little-endian long. */
    public static final long MAGIC = 0x4145_5241_5353_4542L;
    /** The area format this code writes; readers refuse a newer one. */
    public static final int AREA_FORMAT_VERSION = 1;

    /** Magic. */
    public static final int MAGIC_OFFSET = HEADER_LENGTH;
    /** Area format version. */
    public static final int AREA_FORMAT_VERSION_OFFSET = MAGIC_OFFSET + Long.BYTES;
    /** Page length the area was made with. */
    public static final int PAGE_LENGTH_OFFSET = AREA_FORMAT_VERSION_OFFSET + Integer.BYTES;
    /** Id of the database the area belongs to. */
    public static final int DATABASE_ID_OFFSET = PAGE_LENGTH_OFFSET + Integer.BYTES;
    /** Id of this area in its database (the root area is 0). */
    public static final int AREA_ID_OFFSET = DATABASE_ID_OFFSET + Long.BYTES;
    /** {@link #FLAG_ROOT}, {@link #FLAG_DEVICE}. */
    public static final int FLAGS_OFFSET = AREA_ID_OFFSET + Integer.BYTES;
    /** Pages per extent, a power of two. */
    public static final int EXTENT_PAGES_OFFSET = FLAGS_OFFSET + Integer.BYTES;
    /** Extents the area holds now. */
    public static final int EXTENT_COUNT_OFFSET = EXTENT_PAGES_OFFSET + Integer.BYTES;
    /** The most extents the area may grow to. */
    public static final int MAX_EXTENT_COUNT_OFFSET = EXTENT_COUNT_OFFSET + Integer.BYTES;
    /**
     * Root area: the node that has the database open (a hash of its node directory), or 0 when it was closed cleanly.
     * A database left open by a node that stopped has its recent changes in that node's log only.
     */
    public static final int OPEN_BY_NODE_OFFSET = MAX_EXTENT_COUNT_OFFSET + Integer.BYTES;
    /** First catalog page (root area only; 0 = none). */
    public static final int CATALOG_FIRST_PAGE_OFFSET = OPEN_BY_NODE_OFFSET + Integer.BYTES;
    /** Number of catalog pages in the chain. */
    public static final int CATALOG_PAGE_COUNT_OFFSET = CATALOG_FIRST_PAGE_OFFSET + Integer.BYTES;
    /** Bytes of serialized catalog. */
    public static final int CATALOG_LENGTH_OFFSET = CATALOG_PAGE_COUNT_OFFSET + Integer.BYTES;
    /** Creation time. */
    public static final int CREATED_MS_OFFSET = CATALOG_LENGTH_OFFSET + Long.BYTES;
    /**
     * Root area: first page of a catalog block being written by a checkpoint and not yet switched in (0 = none). A
     * crash between its allocation and the switch leaves it named here, and restart recovery frees it.
     */
    public static final int PENDING_CATALOG_FIRST_PAGE_OFFSET = CREATED_MS_OFFSET + Long.BYTES;
    /** Pages of the pending catalog block. */
    public static final int PENDING_CATALOG_PAGE_COUNT_OFFSET = PENDING_CATALOG_FIRST_PAGE_OFFSET + Integer.BYTES;
    /** End of the used header bytes; the rest of the page is zero. */
    public static final int END_OFFSET = PENDING_CATALOG_PAGE_COUNT_OFFSET + Integer.BYTES;

    /** The area is the root area of its database. */
    public static final int FLAG_ROOT = 1;
    /** The area is a raw block device: used at its size, never grown. */
    public static final int FLAG_DEVICE = 2;

    private AreaHeaderDescriptor() {}

    /**
     * The first page of an extent.
     *
     * @param extentNo the extent.
     * @param extentPages pages per extent.
     * @return the area page number.
     */
    public static long extentFirstPage(final int extentNo, final int extentPages) {
        return 1L + (long) extentNo * extentPages;
    }
}
