package org.bess.format;

import static org.bess.format.PageHeaderDescriptor.HEADER_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

/**
 * A page of the serialized catalog (directory of areas, files, types, named roots and foreign databases), in the root
 * area. Pages form a chain from the root area header's "catalog first page".
 *
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |   Next Catalog Page (4) @32   |    Payload Bytes Here (4)     |
 *  +-------------------------------+-------------------------------+
 *  |  Payload ...                                              @40 ...
 * </pre>
 *
 * The catalog is rewritten as a new chain and switched in by rewriting the root area header (shadow update); the old
 * chain is freed after the switch is durable.
 */
public final class CatalogPageDescriptor {
    /** The next page of the chain (0 = last). */
    public static final int NEXT_PAGE_OFFSET = HEADER_LENGTH;
    /** Payload bytes on this page. */
    public static final int PAYLOAD_LENGTH_OFFSET = NEXT_PAGE_OFFSET + Integer.BYTES;
    /** Start of the payload. */
    public static final int PAYLOAD_OFFSET = PAYLOAD_LENGTH_OFFSET + Integer.BYTES;
    /** Payload bytes a page can hold. */
    public static final int PAYLOAD_CAPACITY = PAGE_LENGTH - PAYLOAD_OFFSET;
    /** Magic at the start of the serialized catalog ("BESSCAT1"). */
    public static final long CATALOG_MAGIC = 0x3154_4143_5353_4542L;
    /** Version of the serialized catalog. */
    public static final int CATALOG_VERSION = 1;

    private CatalogPageDescriptor() {}
}
