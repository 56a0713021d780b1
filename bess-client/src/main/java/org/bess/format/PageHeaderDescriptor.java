package org.bess.format;

/**
 * The 32-byte header at offset 0 of every control page (area header, extent map, page-info, slotted segment, catalog,
 * large-object node).
 * Data pages have no header; their checksum lives in their extent's page-info table.
 *
 * <pre>
 *  0                   1                   2                   3
 *  +---------------------------------------------------------------+
 *  |              CRC32C of bytes [4, 4096) (4 bytes)              |
 *  +-------------------------------+-------------------------------+
 *  |      Page Type (2 bytes)      |    Format Version (2 bytes)   |
 *  +-------------------------------+-------------------------------+
 *  |                 Page Number in its area (4 bytes)             |
 *  +-------------------------------+-------------------------------+
 *  |        Area Id (2 bytes)      |    Reserved, zero (2 bytes)   |
 *  +-------------------------------+-------------------------------+
 *  |                      Page LSN (8 bytes)                       |
 *  +---------------------------------------------------------------+
 *  |                 Reserved, written as zero (8 bytes)           |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The checksum is computed last, over the final bytes, just before the page is written to its area; it is verified on
 * every read from disk together with the page type, page number and area id (a misdirected write fails the check).
 */
public final class PageHeaderDescriptor {
    /** Bytes in a page: one OS page, so that a virtual frame is one page. */
    public static final int PAGE_LENGTH = 4096;
    /** log2 of {@link #PAGE_LENGTH}. */
    public static final int PAGE_SHIFT = 12;

    /** CRC32C of bytes [{@link #CHECKSUMMED_FROM}, {@link #PAGE_LENGTH}). */
    public static final int CHECKSUM_OFFSET = 0;
    /** First byte covered by the checksum. */
    public static final int CHECKSUMMED_FROM = CHECKSUM_OFFSET + Integer.BYTES;
    /** One of the {@code TYPE_*} values. */
    public static final int PAGE_TYPE_OFFSET = CHECKSUMMED_FROM;
    /** Layout version of this page type. */
    public static final int FORMAT_VERSION_OFFSET = PAGE_TYPE_OFFSET + Short.BYTES;
    /** The page's own number, for misdirected-write detection. */
    public static final int PAGE_NO_OFFSET = FORMAT_VERSION_OFFSET + Short.BYTES;
    /** The page's own area id. */
    public static final int AREA_ID_OFFSET = PAGE_NO_OFFSET + Integer.BYTES;
    /** LSN of the last logged change (zero until logging). */
    public static final int PAGE_LSN_OFFSET = AREA_ID_OFFSET + Integer.BYTES;
    /** Bytes of the header; page-type fields start here. */
    public static final int HEADER_LENGTH = PAGE_LSN_OFFSET + 2 * Long.BYTES;

    /** The area header, page 0 of every area. */
    public static final short TYPE_AREA_HEADER = 1;
    /** The first page of every extent: its buddy maps. */
    public static final short TYPE_EXTENT_MAP = 2;
    /** The checksums of the extent's data pages. */
    public static final short TYPE_PAGE_INFO = 3;
    /** A slotted segment: header and slot array. */
    public static final short TYPE_SLOTTED_SEGMENT = 4;
    /** A page of the serialized catalog. */
    public static final short TYPE_CATALOG = 5;
    /** A node of a large object's tree (see {@link LargeObjectNodeDescriptor}). */
    public static final short TYPE_LARGE_NODE = 6;

    /** The layout version written by this code for every control page type. */
    public static final short FORMAT_VERSION = 1;

    private PageHeaderDescriptor() {}
}
