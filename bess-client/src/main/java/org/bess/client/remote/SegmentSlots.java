package org.bess.client.remote;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.DecodedSlot;
import org.bess.format.RefDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.format.SlottedSegmentDescriptor;

/**
 * The slot arrays of the slotted segments the current transaction has opened objects in, so that a client resolves
 * further references into those segments itself: an open is a lookup here instead of a request. A snapshot is valid
 * while the transaction holds the shared lock the server took on the page when it sent the slots (no other
 * transaction can change them) and until the transaction itself changes something on the server (allocation, free,
 * resize, roots: {@link #clear()}) or the layout stamp moves.
 *
 * <p>Only live, ordinary slots are resolved here; a freed or reused slot, a forward object, a large object, or a data
 * area the client does not know yet goes to the server's {@code OPEN}, which answers with the object or the precise
 * error. Bounded: past {@link #MAX_SEGMENTS} snapshots the table starts over.
 *
 * <p>Not thread safe: used by the session's thread.
 */
final class SegmentSlots {
    /** Snapshots kept at most (4 KiB each at most). */
    static final int MAX_SEGMENTS = 2048;

    private final Map<RemoteDatabase, Long2ObjectHashMap<UnsafeBuffer>> slots = new HashMap<>();
    /** Per database: area id to {window, page count}. */
    private final Map<RemoteDatabase, Int2ObjectHashMap<long[]>> areas = new HashMap<>();

    private final DecodedSlot decoded = new DecodedSlot();
    private int count;
    private int stamp;
    // the database of the last resolution and its tables: a traversal stays in one database, so this skips the two
    // map lookups by database per open
    private RemoteDatabase lastDb;
    private Long2ObjectHashMap<UnsafeBuffer> lastSlots;
    private Int2ObjectHashMap<long[]> lastAreas;

    /** The window of the data area of the object {@link #resolve} placed last. */
    int window;
    /** Its first page. */
    long firstPage;
    /** The offset of its first byte in that page. */
    int pageOffset;
    /** Its size. */
    int size;
    /** Its type id. */
    int typeId;
    /** The page count of its data area. */
    long areaPages;

    /** Forgets every snapshot: a new transaction, or the current one changed pages on the server. */
    void clear() {
        slots.clear();
        areas.clear();
        count = 0;
        lastDb = null;
        lastSlots = null;
        lastAreas = null;
    }

    /**
     * Places a reference's object from the slot snapshot of its segment (fetched with one request the first time), into
     * {@link #window}, {@link #firstPage}, {@link #pageOffset}, {@link #size}, {@link #typeId} and {@link #areaPages};
     * false when the server must answer ({@code OPEN}).
     *
     * @return whether the object was placed.
     */
    boolean resolve(final RemoteSession session, final RemoteDatabase db, final long word) {
        if (word == RefDescriptor.NULL_REF) {
            return false;
        }
        if (stamp != session.stamp) {
            clear();
            stamp = session.stamp;
        }
        final long segPage = RefDescriptor.segmentPage(word);
        final int index = RefDescriptor.slotIndex(word);
        if (segPage < 1 || index < 0 || index >= SlottedSegmentDescriptor.SLOT_CAPACITY) {
            return false;
        }
        if (db != lastDb) {
            lastDb = db;
            lastSlots = slots.computeIfAbsent(db, d -> new Long2ObjectHashMap<>());
            lastAreas = areas.get(db);
        }
        UnsafeBuffer s = lastSlots.get(segPage);
        if (s == null) {
            if (count >= MAX_SEGMENTS) {
                clear();
                return resolve(session, db, word);
            }
            s = fetch(session, db, segPage);
            if (s == null) {
                return false;
            }
            // fetch replaced the database's areas (and a clear may have run meanwhile): look both up again
            lastDb = db;
            lastSlots = slots.computeIfAbsent(db, d -> new Long2ObjectHashMap<>());
            lastAreas = areas.get(db);
            lastSlots.put(segPage, s);
            count++;
        }
        final int off = index * SlotDescriptor.SLOT_LENGTH;
        if (off + SlotDescriptor.SLOT_LENGTH > s.capacity()) {
            return false;
        }
        final DecodedSlot slot = decoded;
        slot.read(s, off);
        if (!slot.resolvesOrdinary(word)) {
            return false;
        }
        final long[] area = lastAreas == null ? null : lastAreas.get(slot.area);
        if (area == null) {
            return false;
        }
        window = (int) area[0];
        firstPage = slot.firstPage();
        pageOffset = slot.offsetInPage();
        size = slot.size;
        typeId = slot.typeId;
        areaPages = area[1];
        return true;
    }

    /** Asks the server for a segment's slots; null when the page is not a slotted segment (OPEN says why). */
    private UnsafeBuffer fetch(final RemoteSession session, final RemoteDatabase db, final long segPage) {
        final ByteBuffer r;
        try {
            r = session.call(
                    session.request(Wire.SEGMENT_SLOTS).putInt(db.handle()).putLong(segPage));
        } catch (final BessException e) {
            if (e.errorCode() == ErrorCode.INVALID_REFERENCE) {
                return null;
            }
            throw e;
        }
        final int length = r.getInt();
        if (length < 0 || length > r.remaining() || length % SlotDescriptor.SLOT_LENGTH != 0) {
            throw new BessException(ErrorCode.PROTOCOL, "bad slot array in a SEGMENT_SLOTS reply: bytes=" + length);
        }
        final byte[] bytes = new byte[length];
        r.get(bytes);
        final int n = r.getInt();
        if (n < 0 || n > r.remaining() / 16) {
            throw new BessException(ErrorCode.PROTOCOL, "bad area count in a SEGMENT_SLOTS reply: " + n);
        }
        final Int2ObjectHashMap<long[]> ofAreas = new Int2ObjectHashMap<>();
        for (int i = 0; i < n; i++) {
            final int id = r.getInt();
            final int window = r.getInt();
            final long pages = r.getLong();
            ofAreas.put(id, new long[] {window, pages});
        }
        areas.put(db, ofAreas);
        return new UnsafeBuffer(bytes);
    }
}
