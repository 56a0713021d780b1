package org.bess.server;

import static org.bess.format.SlottedSegmentDescriptor.SLOT_CAPACITY;

import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.format.RefDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.server.area.StorageArea;

/**
 * The slot arrays of the slotted segments an embedded session's transaction has opened objects in, so that further
 * opens into those segments resolve here, without the engine latch: an open that misses the transaction's {@link
 * org.bess.client.frame.OpenedObjects} is a table probe and a slot decode instead of a latch, a buffer-cache pin and a
 * page-lock check. What a client does with {@code SEGMENT_SLOTS} (its {@code SegmentSlots}), in the engine's process.
 *
 * <p>A snapshot is taken under the latch right after the engine resolved a reference into the segment ({@link
 * #take}), so the transaction holds the segment's shared page lock, which it keeps until it ends: no other transaction
 * can change those slots meanwhile. It is valid for the rest of the transaction, until the transaction itself changes
 * slots on the engine (allocate, free, resize, drop a file, large objects: {@link #clear()}), and while the database's
 * layout epoch stays the one it was taken in (a data segment grown, moved or compacted moves data pointers). Only a
 * live, ordinary slot of the reference's generation whose data area the snapshot knows resolves here; a freed or
 * reused slot, a forward or large object goes to the engine, which answers with the object or the precise error.
 *
 * <p>Direct-mapped with {@link #SIZE} entries (a collision replaces the entry), forgotten at once by moving to a new
 * serial. Not thread safe: used by the session's thread.
 */
final class SlotSnapshots {
    /**
     * Property: whether embedded opens resolve from slot snapshots (default true); false sends every open that misses
     * the transaction's opened objects to the engine under the latch, as before snapshots (for A/B measurements).
     */
    static final String ENABLED_PROP_NAME = "bess.open.snapshots";

    private static final boolean ENABLED = Boolean.parseBoolean(System.getProperty(ENABLED_PROP_NAME, "true"));

    /** Entries (segments) kept at most. */
    static final int SIZE = 1024;
    /** Distinct data areas an entry remembers (objects of one segment usually live in one area). */
    private static final int AREAS = 4;

    private final EngineDatabase[] databases = new EngineDatabase[SIZE];
    private final long[] pages = new long[SIZE];
    private final long[] serials = new long[SIZE];
    private final int[] epochs = new int[SIZE];
    private final int[] used = new int[SIZE];
    private final byte[][] slots = new byte[SIZE][];
    // per entry, up to AREAS data areas: id, window, page count
    private final int[] areaIds = new int[SIZE * AREAS];
    private final int[] areaWindows = new int[SIZE * AREAS];
    private final long[] areaPages = new long[SIZE * AREAS];
    private final int[] areaCounts = new int[SIZE];
    private final byte[] copy = new byte[SLOT_CAPACITY * SlotDescriptor.SLOT_LENGTH];
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private long serial = 1;
    private long hits;
    private long taken;
    // this transaction's: snapshots pay when opens come back to their segments (a traversal of clustered objects), not
    // when they land in ever other segments (random reads over many segments: each take copies up to 4 KiB of slots)
    private long txHits;
    private long txTaken;
    private int skipped;

    /** A new transaction: forgets every snapshot and what paid in the last transaction. */
    void begin() {
        clear();
        txHits = 0;
        txTaken = 0;
    }

    /** Forgets every snapshot: the current transaction changed slots on the engine. */
    void clear() {
        serial++;
    }

    /**
     * Whether to take another snapshot: always for the first {@link #TRIAL} of a transaction, then while opens resolved
     * from snapshots are at least twice the snapshots taken, else one time in {@link #SAMPLE} (so that a traversal
     * that comes back to its segments turns them on again).
     */
    private boolean worthTaking() {
        if (txTaken < TRIAL || txHits >= 2 * txTaken) {
            return true;
        }
        return (++skipped & (SAMPLE - 1)) == 0;
    }

    /** Snapshots a transaction takes before it looks at whether they pay. */
    private static final int TRIAL = 64;

    /** One slow-path open in this many takes a snapshot while they do not pay. */
    private static final int SAMPLE = 16;

    private static int index(final EngineDatabase db, final long segPage) {
        // the database's number in the engine (not its identity hash: System.identityHashCode of an object used as a
        // monitor is slow)
        final long h = (segPage ^ ((long) db.number() << 40)) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 54) & (SIZE - 1);
    }

    private boolean valid(final int i, final EngineDatabase db, final long segPage) {
        return serials[i] == serial && pages[i] == segPage && databases[i] == db && epochs[i] == db.layoutEpoch();
    }

    /**
     * Resolves a reference from the snapshot of its segment, without the engine latch.
     *
     * @param db the reference's database.
     * @param word the reference word.
     * @param out receives the slot, with its data area's window and page count and the snapshot's layout epoch.
     * @return whether it resolved; false when the engine must resolve it (no snapshot, or not an ordinary live
     *     object of that generation in a known area).
     */
    boolean resolve(final EngineDatabase db, final long word, final ObjectStore.Slot out) {
        final long segPage = RefDescriptor.segmentPage(word);
        final int slot = RefDescriptor.slotIndex(word);
        final int i = index(db, segPage);
        if (!valid(i, db, segPage) || slot < 0 || slot >= used[i]) {
            return false;
        }
        view.wrap(slots[i]);
        out.read(view, slot * SlotDescriptor.SLOT_LENGTH);
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
                out.epoch = epochs[i];
                hits++;
                txHits++;
                return true;
            }
        }
        return false;
    }

    /**
     * Takes the snapshot of a segment the engine just resolved a reference into, unless a valid one is there: with the
     * engine latch held and the segment's shared page lock held by the transaction.
     *
     * @param db the database.
     * @param segPage the slotted segment.
     */
    void take(final EngineDatabase db, final long segPage) {
        final int i = index(db, segPage);
        if (!ENABLED || valid(i, db, segPage) || !worthTaking()) {
            return;
        }
        final int epoch = db.layoutEpoch();
        final int n = db.objects().copySlots(segPage, copy);
        final int bytes = n * SlotDescriptor.SLOT_LENGTH;
        if (slots[i] == null || slots[i].length < bytes) {
            slots[i] = new byte[Math.max(bytes, 16 * SlotDescriptor.SLOT_LENGTH)];
        }
        System.arraycopy(copy, 0, slots[i], 0, bytes);
        // the data areas of the live slots, as the engine knows them now (an object's data pages exist before its slot
        // points at them, so the page counts cover every slot copied)
        view.wrap(copy);
        final int base = i * AREAS;
        int areas = 0;
        int last = -1;
        for (int k = 0; k < n && areas < AREAS; k++) {
            final int off = k * SlotDescriptor.SLOT_LENGTH;
            final int areaId = view.getShort(off + SlotDescriptor.DATA_AREA_OFFSET) & 0xFFFF;
            if (areaId == last
                    || (view.getShort(off + SlotDescriptor.FLAGS_OFFSET) & SlotDescriptor.FLAG_LIVE) == 0
                    || known(base, areas, areaId)) {
                continue;
            }
            last = areaId;
            final StorageArea area;
            try {
                area = db.area(areaId);
            } catch (final BessException e) {
                continue; // an area the database does not have: the engine reports it when such a slot is opened
            }
            areaIds[base + areas] = areaId;
            areaWindows[base + areas] = area.window();
            areaPages[base + areas] = area.pageCount();
            areas++;
        }
        areaCounts[i] = areas;
        used[i] = n;
        epochs[i] = epoch;
        pages[i] = segPage;
        databases[i] = db;
        serials[i] = serial;
        taken++;
        txTaken++;
    }

    private boolean known(final int base, final int count, final int areaId) {
        for (int a = 0; a < count; a++) {
            if (areaIds[base + a] == areaId) {
                return true;
            }
        }
        return false;
    }

    /** Opens resolved from a snapshot so far. */
    long hits() {
        return hits;
    }

    /** Snapshots taken so far. */
    long taken() {
        return taken;
    }
}
