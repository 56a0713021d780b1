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
 * further opens into those segments resolve here, without the engine latch: an open that misses the transaction's
 * {@link org.bess.client.frame.OpenedObjects} is a table probe and a slot decode from the segment's cache frame instead
 * of a latch, a buffer-cache pin and a page-lock check. What a client does with {@code SEGMENT_SLOTS} (its {@code
 * SegmentSlots}), in the engine's process, without a copy: the slots are read where the cache holds them (the engine's
 * own mapping of the cache file, always mapped read-write: no virtual frame of the application is touched).
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
 * <p>Two-way set associative with {@link #SIZE} entries; a new entry replaces the older of its set. Pins are released
 * when an entry is replaced, at {@link #clear()} and at the end of the transaction ({@link #end()}), all under the
 * latch; the engine's sessions together pin at most an eighth of the cache's frames this way ({@link Budget}): past
 * that, opens go to the engine as before. Not thread safe: used by the session's thread (and under the latch by
 * whichever thread ends its transaction).
 */
final class SlotSnapshots {
    /**
     * Property: whether embedded opens resolve from slot snapshots (default true); false sends every open that misses
     * the transaction's opened objects to the engine under the latch, as before snapshots (for A/B measurements).
     */
    static final String ENABLED_PROP_NAME = "bess.open.snapshots";

    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty(ENABLED_PROP_NAME, "true"));

    /** Entries (segments) kept at most: two per set. */
    static final int SIZE = 2048;
    /** Distinct data areas an entry remembers (objects of one segment usually live in one area). */
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
    private EngineDatabase[] databases;
    // per entry, side by side (one cache line for the check of an open): serial, segment page, layout epoch, frame
    // address
    private long[] meta;
    private int[] frames;
    private int[] areaIds;
    private int[] areaWindows;
    private long[] areaPages;
    private int[] areaCounts;
    // the entries that hold a pin, for release without a scan of the table
    private int[] pinned;
    private int pinnedCount;
    // per set: the entry taken last (0 or 1), so that a new one replaces the other
    private byte[] recent;
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
    }

    /** Forgets every snapshot and releases their pins (with the latch held): the transaction changed slots. */
    void clear() {
        serial++;
        if (pinnedCount == 0) {
            return;
        }
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

    private static int set(final EngineDatabase db, final long segPage) {
        // the database's number in the engine (not its identity hash: System.identityHashCode of an object used as a
        // monitor is slow)
        final long h = (segPage ^ ((long) db.number() << 40)) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 54) & (SIZE - 2);
    }

    private boolean valid(final int i, final EngineDatabase db, final long segPage) {
        final int m = i << 2;
        return meta[m] == serial && meta[m + 1] == segPage && meta[m + 2] == db.layoutEpoch() && databases[i] == db;
    }

    private boolean live(final int i) {
        return meta[i << 2] == serial;
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
        final int slot = RefDescriptor.slotIndex(word);
        final long page = meta[(i << 2) + 3];
        if (slot < 0 || slot >= SLOT_CAPACITY || slot >= (UnsafeApi.getShort(page + SLOTS_USED_OFFSET) & 0xFFFF)) {
            return false;
        }
        out.readAt(page + SlottedSegmentDescriptor.slotOffset(slot));
        if (!out.resolvesOrdinary(word)) {
            return false;
        }
        final int base = i * AREAS;
        for (int a = 0; a < areaCounts[i]; a++) {
            if (areaIds[base + a] == out.area) {
                out.segPage = segPage;
                out.index = slot;
                out.window = areaWindows[base + a];
                out.areaPages = areaPages[base + a];
                out.epoch = (int) meta[(i << 2) + 2];
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
     */
    void take(final EngineDatabase db, final long segPage, final int areaId) {
        if (!ENABLED) {
            return;
        }
        if (meta == null) {
            allocate();
        }
        final int set = set(db, segPage);
        final int i;
        if (valid(set, db, segPage)) {
            i = set;
        } else if (valid(set + 1, db, segPage)) {
            i = set + 1;
        } else {
            newEntry(db, segPage, set, areaId);
            return;
        }
        addArea(db, i, areaId);
    }

    private void newEntry(final EngineDatabase db, final long segPage, final int set, final int areaId) {
        // the older entry of the set, unless one is stale (of an earlier serial: its pin is gone)
        final int i = !live(set) ? set : !live(set + 1) ? set + 1 : set + 1 - recent[set >> 1];
        final int m = i << 2;
        if (live(i)) {
            // replaces a live entry: its pin goes (its place in the pinned list stays until the list is compacted)
            release(i);
            meta[m] = 0;
        }
        if (budget.free <= 0) {
            return;
        }
        final int frame = db.objects().pinForSnapshot(segPage);
        budget.free--;
        frames[i] = frame;
        if (pinnedCount == pinned.length) {
            compactPinned();
        }
        pinned[pinnedCount++] = i;
        areaCounts[i] = 0;
        meta[m + 1] = segPage;
        meta[m + 2] = db.layoutEpoch();
        meta[m + 3] = cache.frameAddress(frame);
        databases[i] = db;
        meta[m] = serial;
        recent[set >> 1] = (byte) (i - set);
        taken++;
        addArea(db, i, areaId);
    }

    /** Drops the released entries from the pinned list (it holds each entry at most once afterwards). */
    private void compactPinned() {
        int n = 0;
        for (int k = 0; k < pinnedCount; k++) {
            final int i = pinned[k];
            if (frames[i] >= 0) {
                frames[i] = -2 - frames[i]; // marks it seen, undone below
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

    private void addArea(final EngineDatabase db, final int i, final int areaId) {
        final int base = i * AREAS;
        final int count = areaCounts[i];
        for (int a = 0; a < count; a++) {
            if (areaIds[base + a] == areaId) {
                return;
            }
        }
        if (count == AREAS) {
            return;
        }
        final StorageArea area = db.area(areaId);
        // the session's frame states cover the area now, so an open resolved here need not look
        sessionFrames.ensureWindow(area.window(), area.pageCount());
        areaIds[base + count] = areaId;
        areaWindows[base + count] = area.window();
        areaPages[base + count] = area.pageCount();
        areaCounts[i] = count + 1;
    }

    private void allocate() {
        databases = new EngineDatabase[SIZE];
        meta = new long[SIZE * 4];
        frames = new int[SIZE];
        java.util.Arrays.fill(frames, -1);
        areaIds = new int[SIZE * AREAS];
        areaWindows = new int[SIZE * AREAS];
        areaPages = new long[SIZE * AREAS];
        areaCounts = new int[SIZE];
        pinned = new int[64];
        recent = new byte[SIZE / 2];
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
