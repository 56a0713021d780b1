package org.bess.client.remote;

import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

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
 * <p>A shared-memory client reads a segment's slots itself when it can ({@link ClientFaults#localSlots}): the page's S
 * lock by the lock fast path, the slots decoded in place from the server's cache frame, no request. For that it keeps,
 * per database and across transactions (until the layout stamp moves), the root window and the areas learnt from the
 * last {@code SEGMENT_SLOTS} reply; a slot whose object lies past the learnt page count of its area, or in an area not
 * learnt, sends the segment to the request once more, which refreshes them.
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

    /** What is kept per database: the transaction's snapshots, and the root window and areas (across transactions). */
    private static final class Db {
        final Long2ObjectHashMap<UnsafeBuffer> slots = new Long2ObjectHashMap<>();
        /** Area id to {window, page count}, from the last reply; null until one came. */
        Int2ObjectHashMap<long[]> areas;
        /** The database's root window, from the last reply; -1 until one named it. */
        int rootWindow = -1;
    }

    private final Map<RemoteDatabase, Db> dbs = new HashMap<>();

    private final DecodedSlot decoded = new DecodedSlot();
    private int count;
    private int stamp;
    private long localSnapshots;
    // the database of the last resolution: a traversal stays in one database, so this skips the map lookup per open
    private RemoteDatabase lastDb;
    private Db last;

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
        for (final Db d : dbs.values()) {
            d.slots.clear();
        }
        count = 0;
    }

    /** Forgets everything, the areas learnt too (the layout stamp moved). */
    private void forget() {
        dbs.clear();
        count = 0;
        lastDb = null;
        last = null;
    }

    /** Snapshots read by the client itself, without a request, so far. */
    long localSnapshots() {
        return localSnapshots;
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
            forget();
            stamp = session.stamp;
        }
        final long segPage = RefDescriptor.segmentPage(word);
        final int index = RefDescriptor.slotIndex(word);
        if (segPage < 1 || index < 0 || index >= SlottedSegmentDescriptor.SLOT_CAPACITY) {
            return false;
        }
        if (db != lastDb) {
            lastDb = db;
            last = dbs.computeIfAbsent(db, d -> new Db());
        }
        final Db d = last;
        UnsafeBuffer s = d.slots.get(segPage);
        boolean requested = false;
        if (s == null) {
            if (count >= MAX_SEGMENTS) {
                clear();
            }
            if (d.rootWindow >= 0 && d.areas != null) {
                s = session.faults().localSlots(d.rootWindow, segPage);
            }
            if (s == null) {
                s = fetch(session, db, d, segPage);
                if (s == null) {
                    return false;
                }
                requested = true;
            } else {
                localSnapshots++;
            }
            d.slots.put(segPage, s);
            count++;
        }
        final int off = index * SlotDescriptor.SLOT_LENGTH;
        final DecodedSlot slot = decoded;
        while (true) {
            if (off + SlotDescriptor.SLOT_LENGTH > s.capacity()) {
                return false;
            }
            slot.read(s, off);
            if (!slot.resolvesOrdinary(word)) {
                return false;
            }
            final long[] area = d.areas == null ? null : d.areas.get(slot.area);
            final long lastPage =
                    slot.firstPage() + ((slot.offsetInPage() + Math.max(slot.size, 1) - 1L) >>> PAGE_SHIFT);
            if (area != null && lastPage < area[1]) {
                window = (int) area[0];
                firstPage = slot.firstPage();
                pageOffset = slot.offsetInPage();
                size = slot.size;
                typeId = slot.typeId;
                areaPages = area[1];
                return true;
            }
            if (requested) {
                return false; // the server's own answer: OPEN says what is wrong
            }
            // areas learnt in an earlier transaction: ask for the segment again, which refreshes them
            s = fetch(session, db, d, segPage);
            if (s == null) {
                return false;
            }
            requested = true;
            d.slots.put(segPage, s);
        }
    }

    /** Asks the server for a segment's slots; null when the page is not a slotted segment (OPEN says why). */
    private static UnsafeBuffer fetch(
            final RemoteSession session, final RemoteDatabase db, final Db d, final long segPage) {
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
        final Reply reply = Reply.read(r);
        d.areas = reply.areas;
        if (reply.rootWindow >= 0) {
            d.rootWindow = reply.rootWindow;
            session.faults().learnSlotKey(reply.rootWindow, segPage, reply.key);
        }
        return new UnsafeBuffer(reply.slots);
    }

    /** A decoded {@code SEGMENT_SLOTS} reply. */
    static final class Reply {
        /** The used slots, raw. */
        final byte[] slots;
        /** Area id to {window, page count}. */
        final Int2ObjectHashMap<long[]> areas;
        /** The database's root window, or -1 when the reply does not name it (an older server). */
        final int rootWindow;
        /** The segment page's lock resource key in the shared lock table, or 0. */
        final long key;

        private Reply(final byte[] slots, final Int2ObjectHashMap<long[]> areas, final int rootWindow, final long key) {
            this.slots = slots;
            this.areas = areas;
            this.rootWindow = rootWindow;
            this.key = key;
        }

        /**
         * Decodes a reply's payload: slot bytes (int length, bytes), areas (int count, then id, window, page count),
         * then, appended, the root window (int) and the segment page's resource key (long).
         *
         * @throws BessException {@code PROTOCOL} naming the field that is wrong.
         */
        static Reply read(final ByteBuffer r) {
            if (r.remaining() < Integer.BYTES) {
                throw new BessException(ErrorCode.PROTOCOL, "truncated SEGMENT_SLOTS reply: no slot array length");
            }
            final int length = r.getInt();
            if (length < 0
                    || length > r.remaining()
                    || length % SlotDescriptor.SLOT_LENGTH != 0
                    || length > SlottedSegmentDescriptor.SLOT_CAPACITY * SlotDescriptor.SLOT_LENGTH) {
                throw new BessException(ErrorCode.PROTOCOL, "bad slot array in a SEGMENT_SLOTS reply: bytes=" + length);
            }
            final byte[] bytes = new byte[length];
            r.get(bytes);
            if (r.remaining() < Integer.BYTES) {
                throw new BessException(ErrorCode.PROTOCOL, "truncated SEGMENT_SLOTS reply: no area count");
            }
            final int n = r.getInt();
            if (n < 0 || n > r.remaining() / 16) {
                throw new BessException(ErrorCode.PROTOCOL, "bad area count in a SEGMENT_SLOTS reply: " + n);
            }
            final Int2ObjectHashMap<long[]> ofAreas = new Int2ObjectHashMap<>();
            for (int i = 0; i < n; i++) {
                final int id = r.getInt();
                final int window = r.getInt();
                final long pages = r.getLong();
                if (window < 0 || pages < 0) {
                    throw new BessException(
                            ErrorCode.PROTOCOL,
                            "bad area in a SEGMENT_SLOTS reply: id=" + id + ", window=" + window + ", pages=" + pages);
                }
                ofAreas.put(id, new long[] {window, pages});
            }
            if (r.remaining() == 0) {
                return new Reply(bytes, ofAreas, -1, 0); // a server before the root window and key were appended
            }
            if (r.remaining() < Integer.BYTES + Long.BYTES) {
                throw new BessException(
                        ErrorCode.PROTOCOL,
                        "truncated SEGMENT_SLOTS reply: root window and key, bytes=" + r.remaining());
            }
            final int rootWindow = r.getInt();
            final long key = r.getLong();
            if (rootWindow < 0) {
                throw new BessException(ErrorCode.PROTOCOL, "bad root window in a SEGMENT_SLOTS reply: " + rootWindow);
            }
            return new Reply(bytes, ofAreas, rootWindow, key);
        }
    }
}
