package org.bess.format;

import static org.bess.format.PageHeaderDescriptor.HEADER_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

/**
 * A slotted segment: one page of the root area, never moved, holding the headers (slots) of the objects whose bytes
 * live in one data segment. After the {@link PageHeaderDescriptor common header}:
 *
 * <pre>
 *  +-------------------------------+---------------+---------------+
 *  |        File Id (4) @32        | Slot Cap. (2) | Live Count (2)|
 *  +-------------------------------+---------------+---------------+
 *  |  Next Segment of file (4)     |  Previous Segment (4)         |
 *  +---------------+---------------+-------------------------------+
 *  | Data Area (2) | Data Order (2)|  Data Segment First Page (4)  |
 *  +---------------+---------------+-------------------------------+
 *  |  Data Top: bump offset (4)    |  Live Bytes (4)               |
 *  +---------------+---------------+-------------------------------+
 *  |Free Slot Head (2)| Slots Used (2)| Reserved, zero (4)         |
 *  +---------------------------------------------------------------+
 *  |  Slot 0 (24 bytes, see SlotDescriptor) @72                  ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * A data order of {@link #NO_DATA} means the segment has no data segment yet. The free slot head is a slot index plus
 * one (zero: none); free slots chain through their own next-free field. Slots beyond "slots used" were never handed
 * out.
 */
public final class SlottedSegmentDescriptor {
    /** The file the segment belongs to. */
    public static final int FILE_ID_OFFSET = HEADER_LENGTH;
    /** Number of slots in the array. */
    public static final int SLOT_CAPACITY_OFFSET = FILE_ID_OFFSET + Integer.BYTES;
    /** Number of live slots. */
    public static final int LIVE_COUNT_OFFSET = SLOT_CAPACITY_OFFSET + Short.BYTES;
    /** Root-area page of the next slotted segment of the file (0 = last). */
    public static final int NEXT_SEGMENT_OFFSET = LIVE_COUNT_OFFSET + Short.BYTES;
    /** Root-area page of the previous slotted segment of the file (0 = first). */
    public static final int PREV_SEGMENT_OFFSET = NEXT_SEGMENT_OFFSET + Integer.BYTES;
    /** Area of the data segment. */
    public static final int DATA_AREA_OFFSET = PREV_SEGMENT_OFFSET + Integer.BYTES;
    /** log2 of the data segment's pages, or {@link #NO_DATA}. */
    public static final int DATA_ORDER_OFFSET = DATA_AREA_OFFSET + Short.BYTES;
    /** First page of the data segment in its area. */
    public static final int DATA_PAGE_OFFSET = DATA_ORDER_OFFSET + Short.BYTES;
    /** Bytes of the data segment handed out by the bump pointer. */
    public static final int DATA_TOP_OFFSET = DATA_PAGE_OFFSET + Integer.BYTES;
    /** Bytes of the data segment held by live objects. */
    public static final int LIVE_BYTES_OFFSET = DATA_TOP_OFFSET + Integer.BYTES;
    /** Free slot list head, index plus one. */
    public static final int FREE_SLOT_HEAD_OFFSET = LIVE_BYTES_OFFSET + Integer.BYTES;
    /** Slots handed out so far (high-water mark). */
    public static final int SLOTS_USED_OFFSET = FREE_SLOT_HEAD_OFFSET + Short.BYTES;
    /** The slot array. */
    public static final int SLOTS_OFFSET = SLOTS_USED_OFFSET + Short.BYTES + Integer.BYTES;
    /** Slots per slotted segment. */
    public static final int SLOT_CAPACITY = (PAGE_LENGTH - SLOTS_OFFSET) / SlotDescriptor.SLOT_LENGTH;

    /** Data order meaning "no data segment". */
    public static final int NO_DATA = 0xFFFF;
    /** Largest data segment: 16 pages, 64 KiB. */
    public static final int MAX_DATA_ORDER = 4;
    /** Largest data segment in bytes. */
    public static final int MAX_DATA_LENGTH = PAGE_LENGTH << MAX_DATA_ORDER;

    private SlottedSegmentDescriptor() {}

    /** Offset of a slot in the page. */
    public static int slotOffset(final int slotIndex) {
        return SLOTS_OFFSET + slotIndex * SlotDescriptor.SLOT_LENGTH;
    }
}
