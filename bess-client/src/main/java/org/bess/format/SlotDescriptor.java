package org.bess.format;

/**
 * A slot: the header of one object, in a slotted segment. 24 bytes.
 *
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |   Generation (2) | Flags (2)  |        Type Id (4)            |
 *  +-------------------------------+-------------------------------+
 *  |        Size in bytes (4)      | Data Area (2) | Next Free (2) |
 *  +-------------------------------+-------------------------------+
 *  |     Data Page (4)             |  Data Offset from page (4)    |
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * The data pointer is (data area, data page, data offset): the object's bytes start {@code dataOffset} bytes after
 * the start of page {@code dataPage} of area {@code dataArea}. The generation is bumped each time the slot is freed, so
 * a reference made before the free no longer matches. Next free is a slot index plus one (zero: end of list).
 */
public final class SlotDescriptor {
    /** Bumped on free. */
    public static final int GENERATION_OFFSET = 0;
    /** {@link #FLAG_LIVE}, {@link #FLAG_LARGE}, {@link #FLAG_FORWARD}. */
    public static final int FLAGS_OFFSET = GENERATION_OFFSET + Short.BYTES;
    /** The object's type id. */
    public static final int TYPE_ID_OFFSET = FLAGS_OFFSET + Short.BYTES;
    /** The object's size in bytes. */
    public static final int SIZE_OFFSET = TYPE_ID_OFFSET + Integer.BYTES;
    /** Area of the bytes. */
    public static final int DATA_AREA_OFFSET = SIZE_OFFSET + Integer.BYTES;
    /** Free list link, index plus one. */
    public static final int NEXT_FREE_OFFSET = DATA_AREA_OFFSET + Short.BYTES;
    /** Page of the bytes. */
    public static final int DATA_PAGE_OFFSET = NEXT_FREE_OFFSET + Short.BYTES;
    /** Offset of the bytes from the start of the data page. */
    public static final int DATA_OFFSET_OFFSET = DATA_PAGE_OFFSET + Integer.BYTES;
    /** Bytes per slot. */
    public static final int SLOT_LENGTH = DATA_OFFSET_OFFSET + Integer.BYTES;

    /** The slot holds a live object. */
    public static final int FLAG_LIVE = 1;
    /**
     * The object is a large object: its data pointer names the root node of its tree (a {@link
     * LargeObjectNodeDescriptor} page; offset zero), its size field is zero, and its length is in the root node.
     */
    public static final int FLAG_LARGE = 2;
    /** The object is a forward object to another database. */
    public static final int FLAG_FORWARD = 4;

    private SlotDescriptor() {}
}
