package org.bess.format;

import static org.bess.format.PageHeaderDescriptor.HEADER_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

/**
 * The page-info table of an extent: pages 1 .. n of the extent, after the {@link PageHeaderDescriptor common header},
 * an array of 4-byte checksums, one per page of the extent (extent-relative page {@code i} is entry {@code i %
 * ENTRIES_PER_PAGE} of page-info page {@code 1 + i / ENTRIES_PER_PAGE}).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  entry 0: CRC32C(page) XOR CRC32C(zero page) (4 bytes) @32     |
 *  +---------------------------------------------------------------+
 *  |  entry 1 ...                                                ...
 * </pre>
 *
 * The XOR makes a never-written page (all zeros on disk) and a never-set entry (zero) agree, so a freshly grown extent
 * needs no checksum writes. An entry is set when its data page is written back, before the page-info page itself is.
 */
public final class PageInfoDescriptor {
    /** Where the entries start. */
    public static final int ENTRIES_OFFSET = HEADER_LENGTH;
    /** Bytes per entry. */
    public static final int ENTRY_LENGTH = Integer.BYTES;
    /** Entries per page-info page. */
    public static final int ENTRIES_PER_PAGE = (PAGE_LENGTH - ENTRIES_OFFSET) / ENTRY_LENGTH;

    private PageInfoDescriptor() {}

    /** The extent-relative page-info page holding entry {@code relativePage}. */
    public static int infoPage(final int relativePage) {
        return 1 + relativePage / ENTRIES_PER_PAGE;
    }

    /** The offset of entry {@code relativePage} in its page-info page. */
    public static int entryOffset(final int relativePage) {
        return ENTRIES_OFFSET + (relativePage % ENTRIES_PER_PAGE) * ENTRY_LENGTH;
    }
}
