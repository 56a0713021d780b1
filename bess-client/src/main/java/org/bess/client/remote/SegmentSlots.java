package org.bess.client.remote;

import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.DecodedSlot;
import org.bess.format.PageDigest;
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
        /** The next segment of each one in {@link #slots} whose reply or header named it (for scans). */
        final Long2LongHashMap next = new Long2LongHashMap(-1);
        /**
         * Copy-on-access: the slot arrays received, kept across transactions (at most {@link #MAX_SEGMENTS}), with
         * their digests: a batch sends the digest, and the server answers "current" instead of the bytes when the
         * segment's slots are still those.
         */
        final Long2ObjectHashMap<byte[]> kept = new Long2ObjectHashMap<>();

        final Long2LongHashMap keptDigest = new Long2LongHashMap(0);
        /** Area id to {window, page count}, from the last reply; null until one came. */
        Int2ObjectHashMap<long[]> areas;
        /** The database's root window, from the last reply; -1 until one named it. */
        int rootWindow = -1;
        /** Segments fetched by this transaction, in order, and the previous transaction's: the prediction. */
        final AccessOrder order = new AccessOrder(MAX_ORDER);
    }

    /** Segments in the direct-mapped table of recent ones. */
    private static final int RECENT = 64;

    /** The most segments remembered per transaction and database for the next one's prediction. */
    private static final int MAX_ORDER = 1 << 14;

    /** Turns batched segment fetches off ({@code false}): one {@code SEGMENT_SLOTS} per segment (A/B, tests). */
    static final String BATCH_PROP = "bess.client.batchSlots";

    private final boolean batch;

    private final Map<RemoteDatabase, Db> dbs = new HashMap<>();

    private final DecodedSlot decoded = new DecodedSlot();
    private int count;
    private int stamp;
    private long localSnapshots;
    private long batchedSegments;
    private long keptReused;
    // the segments resolved into lately, direct-mapped by page (a traversal alternates between a few: connections and
    // parts live in segments of different files), so that most opens skip the map; and the last area (by the identity
    // of its database's area table: a reply replaces the table, never changes it)
    private final Db[] recentDb = new Db[RECENT];
    private final long[] recentPage = new long[RECENT];
    private final UnsafeBuffer[] recentSeg = new UnsafeBuffer[RECENT];
    private Int2ObjectHashMap<long[]> lastAreas;
    private int lastAreaId;
    private long[] lastArea;
    // the area whose window the session's frames were last made to cover (states never shrink): an open in it needs no
    // ensureWindow
    private long[] coveredArea;
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

    /** {@link #scanSlot}: the slot is not an object a cursor visits (free, or a forward object). */
    static final int SLOT_SKIP = 0;
    /** {@link #scanSlot}: an ordinary object, placed in the fields {@link #resolve} fills. */
    static final int SLOT_PLACED = 1;
    /** {@link #scanSlot}: a large object. */
    static final int SLOT_LARGE = 2;
    /** {@link #scanSlot}: an object the client cannot place itself (an area it has not learnt): {@code OPEN}. */
    static final int SLOT_OPEN = 3;

    /**
     * Counts the times every snapshot was forgotten: a cursor holding a segment's slots from before gets them again
     * (a copy may name objects its transaction freed since).
     */
    long cleared;

    /** The segment after the one {@link #scanSegment} gave last (0: that was the last of its file). */
    long scanNext;
    /** The reference word of the slot {@link #scanSlot} decoded last. */
    long scanWord;

    /**
     * @param batch whether a segment's fetch also asks for the segments the previous transaction fetched after it
     *     ({@code SEGMENT_SLOTS_MANY}; copy-on-access, whose client cannot read slots itself).
     */
    SegmentSlots(final boolean batch) {
        this.batch = batch && Boolean.parseBoolean(System.getProperty(BATCH_PROP, "true"));
    }

    /** A transaction begins: what the last one fetched becomes the prediction, and every snapshot goes. */
    void newTransaction() {
        for (final Db d : dbs.values()) {
            d.order.rotate();
        }
        clear();
    }

    /** Forgets every snapshot: a new transaction, or the current one changed pages on the server. */
    void clear() {
        cleared++;
        forgetRecent();
        for (final Db d : dbs.values()) {
            d.slots.clear();
            d.next.clear();
        }
        count = 0;
    }

    /** Forgets everything, the areas learnt too (the layout stamp moved). */
    private void forget() {
        cleared++;
        forgetRecent();
        lastAreas = null;
        coveredArea = null;
        dbs.clear();
        count = 0;
        lastDb = null;
        last = null;
    }

    private void forgetRecent() {
        Arrays.fill(recentDb, null);
        Arrays.fill(recentSeg, null);
    }

    private static int recentIndex(final long segPage) {
        return (int) ((segPage * 0x9E37_79B9_7F4A_7C15L) >>> 58);
    }

    /** Snapshots received through a batch for a segment not asked for yet, so far. */
    long batchedSegments() {
        return batchedSegments;
    }

    /** Kept slot arrays a batch's reply named current (their bytes not sent again), so far. */
    long keptReused() {
        return keptReused;
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
        final Db d = dbOf(db);
        // the recent segments and the area of the last open first: a traversal often stays in them
        final int recent = recentIndex(segPage);
        UnsafeBuffer s =
                recentDb[recent] == d && recentPage[recent] == segPage ? recentSeg[recent] : d.slots.get(segPage);
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
                d.next.put(segPage, session.faults().localNext);
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
            slot.readChecked(s, off); // within s: checked above
            if (!slot.resolvesOrdinary(word)) {
                return false;
            }
            if (placeDecoded(session, d)) {
                recentDb[recent] = d;
                recentPage[recent] = segPage;
                recentSeg[recent] = s;
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
            recentDb[recent] = null;
        }
    }

    private Db dbOf(final RemoteDatabase db) {
        if (db != lastDb) {
            lastDb = db;
            last = dbs.computeIfAbsent(db, k -> new Db());
        }
        return last;
    }

    /**
     * Places the object of the slot just decoded into the fields, when the client knows its area and the object lies
     * within the area's learnt pages (the session's frame states then made to cover the area).
     *
     * @return whether it was placed.
     */
    private boolean placeDecoded(final RemoteSession session, final Db d) {
        final DecodedSlot slot = decoded;
        final long[] area;
        if (d.areas == lastAreas && slot.area == lastAreaId) {
            area = lastArea;
        } else {
            area = d.areas == null ? null : d.areas.get(slot.area);
            lastAreas = d.areas;
            lastAreaId = slot.area;
            lastArea = area;
        }
        final long lastPage = slot.firstPage() + ((slot.offsetInPage() + Math.max(slot.size, 1) - 1L) >>> PAGE_SHIFT);
        if (area == null || lastPage >= area[1]) {
            return false;
        }
        if (area != coveredArea) {
            // the window's frame states cover the whole area, so every object placed in it is covered
            session.frames().ensureWindow((int) area[0], area[1]);
            coveredArea = area;
        }
        window = (int) area[0];
        firstPage = slot.firstPage();
        pageOffset = slot.offsetInPage();
        size = slot.size;
        typeId = slot.typeId;
        areaPages = area[1];
        return true;
    }

    /**
     * The used slots of a segment of a file a cursor walks, and in {@link #scanNext} the segment after it: read in
     * place (shared memory: the page's S by the lock fast path) or kept from this transaction, else fetched by {@code
     * SEGMENT_SLOTS} (or with the predicted ones, {@code SEGMENT_SLOTS_MANY}), which the server answers under the
     * transaction's S on the segment. A cursor over the segments of a file thus takes the same locks as the server's
     * own cursor (S on each segment it visits).
     *
     * @return the slot array (slot 0 first); null when the page is not a slotted segment.
     * @throws BessException {@code PROTOCOL} when the server did not name the next segment.
     */
    UnsafeBuffer scanSegment(final RemoteSession session, final RemoteDatabase db, final long segPage) {
        if (stamp != session.stamp) {
            forget();
            stamp = session.stamp;
        }
        final Db d = dbOf(db);
        UnsafeBuffer s = d.slots.get(segPage);
        long nx = d.next.get(segPage);
        if (s == null || nx < 0) {
            if (s == null && count >= MAX_SEGMENTS) {
                clear();
            }
            final boolean counted = s != null;
            s = null;
            if (d.rootWindow >= 0 && d.areas != null) {
                s = session.faults().localSlots(d.rootWindow, segPage);
            }
            if (s != null) {
                nx = session.faults().localNext;
                localSnapshots++;
            } else {
                s = fetch(session, db, d, segPage);
                if (s == null) {
                    return null;
                }
                nx = d.next.get(segPage);
            }
            if (!counted) {
                count++;
            }
            d.slots.put(segPage, s);
            final int recent = recentIndex(segPage);
            if (recentPage[recent] == segPage) {
                recentDb[recent] = null; // it may hold the buffer replaced here
            }
            if (nx < 0) {
                throw new BessException(
                        ErrorCode.PROTOCOL, "the server named no next segment of segment page " + segPage);
            }
            d.next.put(segPage, nx);
        }
        scanNext = nx;
        return s;
    }

    /**
     * Decodes slot {@code index} of a segment {@link #scanSegment} gave, for a cursor: what it holds, its word in
     * {@link #scanWord}, and for an ordinary object the placement in the fields {@link #resolve} fills.
     *
     * @param index a slot index below the slot array's length.
     * @return {@link #SLOT_SKIP}, {@link #SLOT_PLACED}, {@link #SLOT_LARGE} or {@link #SLOT_OPEN}.
     */
    int scanSlot(
            final RemoteSession session,
            final RemoteDatabase db,
            final UnsafeBuffer slots,
            final long segPage,
            final int index) {
        final int off = index * SlotDescriptor.SLOT_LENGTH;
        if (index < 0 || off + SlotDescriptor.SLOT_LENGTH > slots.capacity()) {
            throw new IndexOutOfBoundsException("slot " + index + " of a segment with " + slots.capacity() + " bytes");
        }
        final DecodedSlot slot = decoded;
        slot.readChecked(slots, off); // within the array: checked above
        if ((slot.flags & SlotDescriptor.FLAG_LIVE) == 0 || (slot.flags & SlotDescriptor.FLAG_FORWARD) != 0) {
            return SLOT_SKIP;
        }
        final long w = RefDescriptor.pack(segPage, index, slot.generation);
        scanWord = w;
        if ((slot.flags & SlotDescriptor.FLAG_LARGE) != 0) {
            return SLOT_LARGE;
        }
        if (stamp != session.stamp) {
            forget();
            stamp = session.stamp;
        }
        return slot.resolvesOrdinary(w) && placeDecoded(session, dbOf(db)) ? SLOT_PLACED : SLOT_OPEN;
    }

    /**
     * Places an object from a reply's placement (window, first page, page offset, size, type id, area page count: an
     * {@code OPEN} reply) into the fields {@link #resolve} fills, the session's frame states made to cover it.
     *
     * @param r the reply, at the placement.
     * @param frames the session's frames.
     */
    void placeReply(final ByteBuffer r, final org.bess.client.frame.VirtualFrames frames) {
        window = r.getInt();
        firstPage = r.getLong();
        pageOffset = r.getInt();
        size = r.getInt();
        typeId = r.getInt();
        areaPages = r.getLong();
        frames.ensureWindow(window, Math.max(areaPages, firstPage + 1));
    }

    /** Asks the server for a segment's slots; null when the page is not a slotted segment (OPEN says why). */
    private UnsafeBuffer fetch(final RemoteSession session, final RemoteDatabase db, final Db d, final long segPage) {
        final int from = batch ? d.order.positionOf(segPage) : -1;
        if (from >= 0) {
            final UnsafeBuffer s = fetchMany(session, db, d, segPage, from);
            if (s != null || d.slots.containsKey(segPage)) {
                return s;
            }
        }
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
        if (reply.next >= 0) {
            d.next.put(segPage, reply.next);
        }
        if (reply.rootWindow >= 0) {
            d.rootWindow = reply.rootWindow;
            session.faults().learnSlotKey(reply.rootWindow, segPage, reply.key);
        }
        d.order.record(segPage);
        if (batch) {
            keep(d, segPage, reply.slots); // for the next transactions' batches
        }
        return new UnsafeBuffer(reply.slots);
    }

    /**
     * {@code SEGMENT_SLOTS_MANY}: the segment, then those the previous transaction fetched after it that this one has
     * not (the server locks those only when that needs no wait); every snapshot received is kept.
     *
     * @return the segment's slots; null when it is not a slotted segment.
     */
    private UnsafeBuffer fetchMany(
            final RemoteSession session, final RemoteDatabase db, final Db d, final long segPage, final int from) {
        final long[] pages = new long[Wire.BATCH_MAX];
        int n = 0;
        pages[n++] = segPage;
        for (int j = from + 1; j < d.order.previousCount() && n < Wire.BATCH_MAX && count + n < MAX_SEGMENTS; j++) {
            final long p = d.order.previous(j);
            if (p != segPage && !d.slots.containsKey(p)) {
                pages[n++] = p;
            }
        }
        final Wire w =
                session.request(Wire.SEGMENT_SLOTS_MANY).putInt(db.handle()).putInt(n);
        for (int i = 0; i < n; i++) {
            w.putLong(pages[i]);
        }
        // appended: the digest of the slot array kept of each (0: none); an older server ignores them
        final boolean[] offered = new boolean[n];
        for (int i = 0; i < n; i++) {
            final long digest = d.keptDigest.get(pages[i]);
            offered[i] = digest != 0;
            w.putLong(digest);
        }
        // appended: the pages the transaction is predicted to read next, locked in the same round trip
        final int predicted = session.faults().appendPredictedPages(w);
        final ByteBuffer r;
        try {
            r = session.call(w);
        } catch (final BessException e) {
            if (e.errorCode() == ErrorCode.INVALID_REFERENCE) {
                return null;
            }
            throw e;
        }
        final ManyReply reply = ManyReply.read(r, n, offered);
        if (predicted > 0) {
            session.faults().predictedPagesReply(r, predicted);
        }
        for (int i = 0; i < n; i++) {
            if (reply.current[i]) {
                reply.slots[i] = d.kept.get(pages[i]);
                keptReused++;
            } else if (reply.slots[i] != null) {
                keep(d, pages[i], reply.slots[i]);
            }
        }
        d.areas = reply.areas;
        d.rootWindow = reply.rootWindow;
        for (int i = 0; i < n && reply.next != null; i++) {
            if (reply.slots[i] != null) {
                d.next.put(pages[i], reply.next[i]);
            }
        }
        for (int i = 1; i < n; i++) {
            if (reply.slots[i] != null && !d.slots.containsKey(pages[i])) {
                d.slots.put(pages[i], new UnsafeBuffer(reply.slots[i]));
                count++;
                batchedSegments++;
            }
        }
        for (int i = 0; i < n; i++) {
            if (reply.slots[i] != null) {
                d.order.record(pages[i]);
            }
        }
        return new UnsafeBuffer(reply.slots[0]);
    }

    /** Keeps a slot array received for a copy-on-access client's later batches, with its digest. */
    private static void keep(final Db d, final long segPage, final byte[] slots) {
        if (d.kept.size() >= MAX_SEGMENTS && !d.kept.containsKey(segPage)) {
            d.kept.clear();
            d.keptDigest.clear();
        }
        d.kept.put(segPage, slots);
        // 0 means "none" on the wire: a real digest of 0 is not offered (its segment's bytes are sent again)
        d.keptDigest.put(segPage, PageDigest.ofWords(slots));
    }

    /** A decoded {@code SEGMENT_SLOTS_MANY} reply. */
    static final class ManyReply {
        /** The database's root window. */
        final int rootWindow;
        /** Area id to {window, page count}. */
        final Int2ObjectHashMap<long[]> areas;
        /**
         * Per segment asked for, its used slots, raw; null when the server skipped it (never the first) or when the
         * client's kept copy is current.
         */
        final byte[][] slots;
        /** Per segment asked for, whether the server answered that the client's kept slot array is current. */
        final boolean[] current;
        /** Per segment asked for, the next of its file's chain (0: the last, or skipped); null from an older server. */
        final long[] next;

        private ManyReply(
                final int rootWindow,
                final Int2ObjectHashMap<long[]> areas,
                final byte[][] slots,
                final boolean[] current,
                final long[] next) {
            this.rootWindow = rootWindow;
            this.areas = areas;
            this.slots = slots;
            this.current = current;
            this.next = next;
        }

        /**
         * Decodes a reply's payload: root window (int), areas (int count, then id, window, page count), then per
         * segment a status (int: 0 skipped, 1 slots follow, 2 the client's kept slot array is current) and for 1 the
         * slot bytes (int length, bytes), then (appended; absent from an older server) per segment its next segment
         * (long).
         *
         * @param offered per segment, whether the request offered a kept copy's digest (status 2 is refused for the
         *     others); null: none offered.
         *
         * @param n the segments asked for.
         * @throws BessException {@code PROTOCOL} naming the field that is wrong.
         */
        static ManyReply read(final ByteBuffer r, final int n, final boolean[] offered) {
            if (r.remaining() < Integer.BYTES) {
                throw new BessException(ErrorCode.PROTOCOL, "truncated SEGMENT_SLOTS_MANY reply: no root window");
            }
            final int rootWindow = r.getInt();
            if (rootWindow < 0) {
                throw new BessException(
                        ErrorCode.PROTOCOL, "bad root window in a SEGMENT_SLOTS_MANY reply: " + rootWindow);
            }
            final Int2ObjectHashMap<long[]> areas = readAreas(r, "SEGMENT_SLOTS_MANY");
            final byte[][] slots = new byte[n][];
            final boolean[] current = new boolean[n];
            for (int i = 0; i < n; i++) {
                if (r.remaining() < Integer.BYTES) {
                    throw new BessException(
                            ErrorCode.PROTOCOL, "truncated SEGMENT_SLOTS_MANY reply: no status for segment " + i);
                }
                final int status = r.getInt();
                if (status == 0 && i > 0) {
                    continue;
                }
                if (status == 2 && offered != null && i < offered.length && offered[i]) {
                    current[i] = true;
                    continue;
                }
                if (status != 1) {
                    throw new BessException(
                            ErrorCode.PROTOCOL,
                            "bad status in a SEGMENT_SLOTS_MANY reply: segment " + i + ", status=" + status);
                }
                slots[i] = readSlots(r, "SEGMENT_SLOTS_MANY");
            }
            if (r.remaining() == 0) {
                return new ManyReply(rootWindow, areas, slots, current, null);
            }
            if (r.remaining() < n * Long.BYTES) {
                throw new BessException(
                        ErrorCode.PROTOCOL,
                        "truncated SEGMENT_SLOTS_MANY reply: next segments of " + n + ", bytes=" + r.remaining());
            }
            final long[] next = new long[n];
            for (int i = 0; i < n; i++) {
                next[i] = readNext(r, "SEGMENT_SLOTS_MANY");
            }
            return new ManyReply(rootWindow, areas, slots, current, next);
        }
    }

    /** Reads a next segment's page (long; 0: none), which must be a page number of a root area (32 bits). */
    static long readNext(final ByteBuffer r, final String op) {
        final long next = r.getLong();
        if (next < 0 || next > 0xFFFF_FFFFL) {
            throw new BessException(ErrorCode.PROTOCOL, "bad next segment in a " + op + " reply: " + next);
        }
        return next;
    }

    /** Reads a slot array (int length, bytes). */
    static byte[] readSlots(final ByteBuffer r, final String op) {
        if (r.remaining() < Integer.BYTES) {
            throw new BessException(ErrorCode.PROTOCOL, "truncated " + op + " reply: no slot array length");
        }
        final int length = r.getInt();
        if (length < 0
                || length > r.remaining()
                || length % SlotDescriptor.SLOT_LENGTH != 0
                || length > SlottedSegmentDescriptor.SLOT_CAPACITY * SlotDescriptor.SLOT_LENGTH) {
            throw new BessException(ErrorCode.PROTOCOL, "bad slot array in a " + op + " reply: bytes=" + length);
        }
        final byte[] bytes = new byte[length];
        r.get(bytes);
        return bytes;
    }

    /** Reads the areas (int count, then int id, int window, long page count each). */
    static Int2ObjectHashMap<long[]> readAreas(final ByteBuffer r, final String op) {
        if (r.remaining() < Integer.BYTES) {
            throw new BessException(ErrorCode.PROTOCOL, "truncated " + op + " reply: no area count");
        }
        final int n = r.getInt();
        if (n < 0 || n > r.remaining() / 16) {
            throw new BessException(ErrorCode.PROTOCOL, "bad area count in a " + op + " reply: " + n);
        }
        final Int2ObjectHashMap<long[]> ofAreas = new Int2ObjectHashMap<>();
        for (int i = 0; i < n; i++) {
            final int id = r.getInt();
            final int window = r.getInt();
            final long pages = r.getLong();
            if (window < 0 || pages < 0) {
                throw new BessException(
                        ErrorCode.PROTOCOL,
                        "bad area in a " + op + " reply: id=" + id + ", window=" + window + ", pages=" + pages);
            }
            ofAreas.put(id, new long[] {window, pages});
        }
        return ofAreas;
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
        /** The next segment of the file's chain (0: the last), or -1 when the reply does not name it. */
        final long next;

        private Reply(
                final byte[] slots,
                final Int2ObjectHashMap<long[]> areas,
                final int rootWindow,
                final long key,
                final long next) {
            this.slots = slots;
            this.areas = areas;
            this.rootWindow = rootWindow;
            this.key = key;
            this.next = next;
        }

        /**
         * Decodes a reply's payload: slot bytes (int length, bytes), areas (int count, then id, window, page count),
         * then, appended, the root window (int) and the segment page's resource key (long), then, appended later, the
         * next segment of the file's chain (long).
         *
         * @throws BessException {@code PROTOCOL} naming the field that is wrong.
         */
        static Reply read(final ByteBuffer r) {
            final byte[] bytes = readSlots(r, "SEGMENT_SLOTS");
            final Int2ObjectHashMap<long[]> ofAreas = readAreas(r, "SEGMENT_SLOTS");
            if (r.remaining() == 0) {
                return new Reply(bytes, ofAreas, -1, 0, -1); // a server before the root window and key were appended
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
            if (r.remaining() == 0) {
                return new Reply(bytes, ofAreas, rootWindow, key, -1); // a server before the next segment was appended
            }
            if (r.remaining() < Long.BYTES) {
                throw new BessException(
                        ErrorCode.PROTOCOL, "truncated SEGMENT_SLOTS reply: next segment, bytes=" + r.remaining());
            }
            return new Reply(bytes, ofAreas, rootWindow, key, readNext(r, "SEGMENT_SLOTS"));
        }
    }
}
