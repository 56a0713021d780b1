package org.bess.format;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

/**
 * The fields of one slot ({@link SlotDescriptor}), decoded from a slot array: a slotted segment page in the cache, or a
 * copy of its used slots (an embedded session's slot snapshot, a client's {@code SEGMENT_SLOTS} reply). The one decoder
 * of slots, so that the engine and both kinds of snapshot read them alike. Mutable and reused: not thread safe.
 */
public class DecodedSlot {
    /** Bumped each time the slot is freed. */
    public int generation;
    /** {@link SlotDescriptor#FLAG_LIVE}, {@link SlotDescriptor#FLAG_LARGE}, {@link SlotDescriptor#FLAG_FORWARD}. */
    public int flags;
    /** The object's type id. */
    public int typeId;
    /** The object's size in bytes (zero for a large object). */
    public int size;
    /** The area of the object's bytes (its id in the database). */
    public int area;
    /** The page of the object's bytes in that area. */
    public long dataPage;
    /** The offset of the object's bytes from the start of {@link #dataPage} (may pass a page). */
    public int dataOffset;

    /**
     * Decodes the slot at {@code offset} of {@code slots}.
     *
     * @param slots the slot array.
     * @param offset the byte offset of the slot in it.
     */
    public final void read(final DirectBuffer slots, final int offset) {
        generation = slots.getShort(offset + SlotDescriptor.GENERATION_OFFSET) & 0xFFFF;
        flags = slots.getShort(offset + SlotDescriptor.FLAGS_OFFSET) & 0xFFFF;
        typeId = slots.getInt(offset + SlotDescriptor.TYPE_ID_OFFSET);
        size = slots.getInt(offset + SlotDescriptor.SIZE_OFFSET);
        area = slots.getShort(offset + SlotDescriptor.DATA_AREA_OFFSET) & 0xFFFF;
        dataPage = slots.getInt(offset + SlotDescriptor.DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
        dataOffset = slots.getInt(offset + SlotDescriptor.DATA_OFFSET_OFFSET);
    }

    /**
     * Decodes the slot at {@code address}: a slot array in memory the caller keeps mapped and unchanged meanwhile (the
     * engine's own mapping of a pinned cache frame). Byte order as {@link #read}.
     *
     * @param address the address of the slot's first byte.
     */
    public final void readAt(final long address) {
        generation = UnsafeApi.getShort(address + SlotDescriptor.GENERATION_OFFSET) & 0xFFFF;
        flags = UnsafeApi.getShort(address + SlotDescriptor.FLAGS_OFFSET) & 0xFFFF;
        typeId = UnsafeApi.getInt(address + SlotDescriptor.TYPE_ID_OFFSET);
        size = UnsafeApi.getInt(address + SlotDescriptor.SIZE_OFFSET);
        area = UnsafeApi.getShort(address + SlotDescriptor.DATA_AREA_OFFSET) & 0xFFFF;
        dataPage = UnsafeApi.getInt(address + SlotDescriptor.DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
        dataOffset = UnsafeApi.getInt(address + SlotDescriptor.DATA_OFFSET_OFFSET);
    }

    /**
     * Decodes the slot at {@code offset} of a slot array in a buffer whose bounds the caller checked (the slot's {@link
     * SlotDescriptor#SLOT_LENGTH} bytes lie within it): {@link #read} without a bounds check per field. Byte order as
     * {@link #read}.
     *
     * @param slots the slot array (on the heap or off it).
     * @param offset the byte offset of the slot in it.
     */
    public final void readChecked(final DirectBuffer slots, final int offset) {
        final byte[] array = slots.byteArray();
        final long at = slots.addressOffset() + offset;
        generation = UnsafeApi.getShort(array, at + SlotDescriptor.GENERATION_OFFSET) & 0xFFFF;
        flags = UnsafeApi.getShort(array, at + SlotDescriptor.FLAGS_OFFSET) & 0xFFFF;
        typeId = UnsafeApi.getInt(array, at + SlotDescriptor.TYPE_ID_OFFSET);
        size = UnsafeApi.getInt(array, at + SlotDescriptor.SIZE_OFFSET);
        area = UnsafeApi.getShort(array, at + SlotDescriptor.DATA_AREA_OFFSET) & 0xFFFF;
        dataPage = UnsafeApi.getInt(array, at + SlotDescriptor.DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
        dataOffset = UnsafeApi.getInt(array, at + SlotDescriptor.DATA_OFFSET_OFFSET);
    }

    /**
     * Whether a reference may be resolved from this slot alone, without asking the engine: the slot is live, of the
     * reference's generation, neither a large object nor a forward object, and its data pointer is sane. Anything
     * else (a freed or reused slot, a large or forward object) goes to the engine, which answers with the object or
     * the precise error.
     *
     * @param word the reference word ({@link RefDescriptor}).
     * @return whether the slot resolves the reference as an ordinary object.
     */
    public final boolean resolvesOrdinary(final long word) {
        return (flags & SlotDescriptor.FLAG_LIVE) != 0
                && (flags & (SlotDescriptor.FLAG_LARGE | SlotDescriptor.FLAG_FORWARD)) == 0
                && generation == RefDescriptor.generation(word)
                && dataOffset >= 0
                && size >= 0;
    }

    /** The page of the object's first byte: {@link #dataPage} plus the whole pages of {@link #dataOffset}. */
    public final long firstPage() {
        return dataPage + (dataOffset >>> PAGE_SHIFT);
    }

    /** The offset of the object's first byte in {@link #firstPage()}. */
    public final int offsetInPage() {
        return dataOffset & (PAGE_LENGTH - 1);
    }
}
