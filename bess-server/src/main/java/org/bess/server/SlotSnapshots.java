package org.bess.server;

import static org.bess.format.SlottedSegmentDescriptor.SLOTS_USED_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.SLOT_CAPACITY;

import org.agrona.UnsafeApi;
import org.bess.client.frame.VirtualFrames;
import org.bess.format.RefDescriptor;
import org.bess.format.SlottedSegmentDescriptor;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;

/**
 * The slotted segments an embedded session's transaction has opened objects in, kept pinned in the cache so that
 * further opens into those segments resolve here, without the engine latch: such an open is a table probe and a slot
 * decode from the segment's cache frame instead of a latch, a buffer-cache pin and a page-lock check (an open
 * elsewhere tries the transaction's {@link org.bess.client.frame.OpenedObjects} next, then the latch). What a client
 * does with {@code SEGMENT_SLOTS} (its {@code SegmentSlots}), in the engine's process, without a copy: the slots are
 * read where the cache holds them (the engine's own mapping of the cache file, always mapped read-write: no virtual
 * frame of the application is touched).
 *
 * <p>An entry is made under the latch right after the engine resolved a reference into the segment ({@link #take}), so
 * the transaction holds the segment's shared page lock, which it keeps until it ends: no other transaction can change
 * those slots meanwhile, and the pin keeps the page in its frame. It is valid for the rest of the transaction, until
 * the transaction itself changes slots on the engine (allocate, free, resize, drop a file, large objects: {@link
 * #clear()}), and while the database's layout epoch stays the one it was taken in (a data segment grown, moved or
 * compacted moves data pointers). Only a live, ordinary slot of the reference's generation whose data area the entry
 * knows resolves here; a freed or reused slot, a forward or large object goes to the engine, which answers with the
 * object or the precise error. An entry learns the data areas of its segment's objects as the engine resolves them
 * ({@link #take} again on a valid entry adds the area), with the area's page count then: it covers every slot of the
 * segment, since an object's data pages exist before its slot points at them and the slots cannot change.
 *
 * <p>Two-way set associative, from {@link #INITIAL_SIZE} entries up to {@link #MAX_SIZE} (it doubles, starting over
 * empty, when a transaction replaced more live entries than it has); a new entry replaces the older of its set. An
 * entry's fields (serial, database and page, epoch, frame address, two data areas) are one run of 8 longs, so the
 * check of an open reads one or two cache lines besides the slot. Pins are released when an entry is replaced, at
 * {@link #clear()} and at the end of the transaction ({@link #end()}), all under the latch; the engine's sessions
 * together pin at most an eighth of the cache's frames this way ({@link Budget}): past that, opens go to the engine
 * (the transaction's opened objects, else under the latch). Not thread safe: used by the session's thread (and under
 * the latch by whichever thread ends its transaction).
 */
final class SlotSnapshots {
    /**
     * Property: whether embedded opens resolve from slot snapshots (default true); false sends every open that misses
     * the transaction's opened objects to the engine under the latch, as before snapshots (for A/B measurements).
     */
    static final String ENABLED_PROP_NAME = "bess.open.snapshots";

    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty(ENABLED_PROP_NAME, "true"));

    /** Entries (segments) at first: two per set. */
    static final int INITIAL_SIZE = 512;
    /** Entries at most. */
    static final int MAX_SIZE = 1 << 16;

    // an entry's longs: serial, key (database number and segment page), layout epoch, frame address, then per data
    // area (AREAS of them) its key ((area id + 1) << 32 | window; 0 = none) and its page count
    private static final int STRIDE = 8;
    private static final int SERIAL = 0;
    private static final int PAGE = 1;
    private static final int EPOCH = 2;
    private static final int ADDRESS = 3;
    private static final int AREA0 = 4;
    /** Data areas an entry remembers (objects of one segment usually live in one area). */
    private static final int AREAS = 2;

    /** The pins all sessions of an engine may hold for snapshots, counted under the engine latch. */
    static final class Budget {
        private int free;

        /**
         * A budget of an eighth of the cache's frames.
         *
         * @param frames the cache's frames.
         */
        Budget(final int frames) {
            this.free = frames / 8;
        }

        /** Pins left. */
        int free() {
            return free;
        }
    }

    private final BufferCache cache;
    private final Budget budget;
    private final VirtualFrames sessionFrames;
    // allocated at the first snapshot: sessions that never open objects (a client's, mostly) carry none
    private int size;
    private int mask;
    private long[] meta;
    private int[] frames;
    // per set: the entry taken last (0 or 1), so that a new one replaces the other
    private byte[] recent;
    // the entries that hold a pin, for release without a scan of the table (an entry may be listed more than once)
    private int[] pinned;
    private int pinnedCount;
    // live entries replaced, and snapshots taken, since the table last grew: past the table's size, and more than half
    // of the snapshots taken, it doubles (a few conflicts in a table that holds the transaction's segments accumulate
    // over a long transaction, and a table grown for them only costs cache misses)
    private int replaced;
    private int takenSinceResize;
    private long serial = 1;
    private long hits;
    private long taken;

    SlotSnapshots(final BufferCache cache, final Budget budget, final VirtualFrames sessionFrames) {
        this.cache = cache;
        this.budget = budget;
        this.sessionFrames = sessionFrames;
    }

    /** A new transaction: nothing to forget (the last one ended with {@link #end()}), kept for symmetry. */
    void begin() {
        end();
    }

    /** The transaction ended (with the latch held): every snapshot is forgotten and its pin released. */
    void end() {
        clear();
        replaced = 0;
        takenSinceResize = 0;
    }

    /** Forgets every snapshot and releases their pins (with the latch held): the transaction changed slots. */
    void clear() {
        serial++;
        for (int k = 0; k < pinnedCount; k++) {
            release(pinned[k]);
        }
        pinnedCount = 0;
    }

    private void release(final int i) {
        if (frames[i] >= 0) {
            cache.unpin(frames[i]);
            frames[i] = -1;
            budget.free++;
        }
    }

    private int set(final EngineDatabase db, final long segPage) {
        // the database's number in the engine (not its identity hash: System.identityHashCode of an object used as a
        // monitor is slow)
        final long h = (segPage ^ ((long) db.number() << 40)) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 40) & mask;
    }

    /**
     * An entry's key: the segment's page (32 bits, {@link RefDescriptor#segmentPage}) and the database's number in the
     * engine (never reused while it runs) in one word, so that the check of an open compares one word for both and
     * reads no array of databases besides the entry (a cache miss per open in a table of 31,000 segments).
     */
    private static long key(final EngineDatabase db, final long segPage) {
        return ((long) db.number() << 32) | segPage;
    }

    private boolean valid(final int i, final EngineDatabase db, final long segPage) {
        final int m = i * STRIDE;
        return meta[m + SERIAL] == serial && meta[m + PAGE] == key(db, segPage) && meta[m + EPOCH] == db.layoutEpoch();
    }

    private boolean live(final int i) {
        return meta[i * STRIDE + SERIAL] == serial;
    }

    /**
     * Resolves a reference from the pinned frame of its segment, without the engine latch.
     *
     * @param db the reference's database.
     * @param word the reference word.
     * @param out receives the slot, with its data area's window and page count and the snapshot's layout epoch.
     * @return whether it resolved; false when the engine must resolve it (no snapshot, or not an ordinary live
     *     object of that generation in a known area).
     */
    boolean resolve(final EngineDatabase db, final long word, final ObjectStore.Slot out) {
        if (meta == null) {
            return false;
        }
        final long segPage = RefDescriptor.segmentPage(word);
        final int set = set(db, segPage);
        final int i;
        if (valid(set, db, segPage)) {
            i = set;
        } else if (valid(set + 1, db, segPage)) {
            i = set + 1;
        } else {
            return false;
        }
        final int m = i * STRIDE;
        final int slot = RefDescriptor.slotIndex(word);
        final long page = meta[m + ADDRESS];
        if (slot < 0 || slot >= SLOT_CAPACITY || slot >= (UnsafeApi.getShort(page + SLOTS_USED_OFFSET) & 0xFFFF)) {
            return false;
        }
        out.readAt(page + SlottedSegmentDescriptor.slotOffset(slot));
        if (!out.resolvesOrdinary(word)) {
            return false;
        }
        final long key = (long) (out.area + 1) << 32;
        for (int a = m + AREA0; a < m + AREA0 + 2 * AREAS; a += 2) {
            final long k = meta[a];
            if ((k & 0xFFFF_FFFF_0000_0000L) == key) {
                out.segPage = segPage;
                out.index = slot;
                out.window = (int) k;
                out.areaPages = meta[a + 1];
                out.epoch = (int) meta[m + EPOCH];
                hits++;
                return true;
            }
        }
        return false;
    }

    /**
     * Makes the snapshot of a segment the engine just resolved a reference into (with the engine latch held and the
     * segment's shared page lock held by the transaction), or adds the object's data area to the valid snapshot
     * there is.
     *
     * @param db the database.
     * @param segPage the slotted segment.
     * @param areaId the data area of the object just resolved.
     * @return whether the segment's objects in that area now resolve here (false: snapshots off, the pin budget
     *     used up, or the entry knows other areas already).
     */
    boolean take(final EngineDatabase db, final long segPage, final int areaId) {
        if (!ENABLED) {
            return false;
        }
        if (meta == null) {
            allocate(INITIAL_SIZE);
        }
        int set = set(db, segPage);
        if (valid(set, db, segPage)) {
            return addArea(db, set, areaId);
        }
        if (valid(set + 1, db, segPage)) {
            return addArea(db, set + 1, areaId);
        }
        int i = !live(set) ? set : !live(set + 1) ? set + 1 : set + 1 - recent[set >> 1];
        if (live(i)) {
            if (++replaced > size && 2 * replaced > takenSinceResize && size < MAX_SIZE) {
                // the transaction's segments do not fit: a table twice the size, empty
                clear();
                allocate(size * 2);
                replaced = 0;
                takenSinceResize = 0;
                set = set(db, segPage);
                i = set;
            } else {
                // its place in the pinned list stays until the list is compacted
                release(i);
                meta[i * STRIDE + SERIAL] = 0;
            }
        }
        if (budget.free <= 0) {
            return false;
        }
        final int frame = db.objects().pinForSnapshot(segPage);
        budget.free--;
        frames[i] = frame;
        if (pinnedCount == pinned.length) {
            compactPinned();
        }
        pinned[pinnedCount++] = i;
        final int m = i * STRIDE;
        meta[m + PAGE] = key(db, segPage);
        meta[m + EPOCH] = db.layoutEpoch();
        meta[m + ADDRESS] = cache.frameAddress(frame);
        for (int a = 0; a < AREAS; a++) {
            meta[m + AREA0 + 2 * a] = 0;
        }
        meta[m + SERIAL] = serial;
        recent[set >> 1] = (byte) (i - set);
        taken++;
        takenSinceResize++;
        return addArea(db, i, areaId);
    }

    /** Drops the released entries and the repeats from the pinned list. */
    private void compactPinned() {
        int n = 0;
        for (int k = 0; k < pinnedCount; k++) {
            final int i = pinned[k];
            if (frames[i] >= 0) {
                frames[i] = -2 - frames[i]; // marks it listed, undone below
                pinned[n++] = i;
            }
        }
        for (int k = 0; k < n; k++) {
            frames[pinned[k]] = -2 - frames[pinned[k]];
        }
        pinnedCount = n;
        if (n == pinned.length) {
            pinned = java.util.Arrays.copyOf(pinned, pinned.length * 2);
        }
    }

    private boolean addArea(final EngineDatabase db, final int i, final int areaId) {
        final long key = (long) (areaId + 1) << 32;
        final int m = i * STRIDE;
        for (int a = m + AREA0; a < m + AREA0 + 2 * AREAS; a += 2) {
            final long k = meta[a];
            if ((k & 0xFFFF_FFFF_0000_0000L) == key) {
                return true;
            }
            if (k == 0) {
                final StorageArea area = db.area(areaId);
                // the session's frame states cover the area now, so an open resolved here need not look
                sessionFrames.ensureWindow(area.window(), area.pageCount());
                meta[a + 1] = area.pageCount();
                meta[a] = key | (area.window() & 0xFFFF_FFFFL);
                return true;
            }
        }
        return false;
    }

    private void allocate(final int entries) {
        size = entries;
        mask = entries - 2;
        meta = new long[entries * STRIDE];
        frames = new int[entries];
        java.util.Arrays.fill(frames, -1);
        recent = new byte[entries / 2];
        if (pinned == null) {
            pinned = new int[64];
        }
        pinnedCount = 0;
    }

    /** Opens resolved from a snapshot so far. */
    long hits() {
        return hits;
    }

    /** Snapshots taken so far. */
    long taken() {
        return taken;
    }

    /** Segments pinned for snapshots now. */
    int pinnedSegments() {
        int n = 0;
        for (int k = 0; k < pinnedCount; k++) {
            if (frames[pinned[k]] >= 0) {
                n++;
            }
        }
        return n;
    }
}
