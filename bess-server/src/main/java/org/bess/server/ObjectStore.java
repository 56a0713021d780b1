package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.FORMAT_VERSION_OFFSET;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;
import static org.bess.format.PageHeaderDescriptor.PAGE_TYPE_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.DATA_AREA_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.DATA_ORDER_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.DATA_PAGE_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.DATA_TOP_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.FILE_ID_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.FREE_SLOT_HEAD_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.LIVE_BYTES_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.LIVE_COUNT_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.MAX_DATA_LENGTH;
import static org.bess.format.SlottedSegmentDescriptor.MAX_DATA_ORDER;
import static org.bess.format.SlottedSegmentDescriptor.NEXT_SEGMENT_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.NO_DATA;
import static org.bess.format.SlottedSegmentDescriptor.PREV_SEGMENT_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.SLOTS_USED_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.SLOT_CAPACITY;
import static org.bess.format.SlottedSegmentDescriptor.SLOT_CAPACITY_OFFSET;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.FileInfo;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.PageDigest;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.RefDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.format.SlottedSegmentDescriptor;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;
import org.bess.server.catalog.Catalog;

/**
 * The object layer of one database (BeSS §2.2): object segments made of a slotted segment (one root-area page, never
 * moved) and a data segment (2^k pages, at most 64 KiB, in any area, grown, moved, compacted and shrunk as needed).
 * References name slots, so data moves never break them; every move bumps the database's layout epoch so open {@link
 * EngineObjectRef}s re-read their slot.
 *
 * <p>Every page this class changes goes through {@link UpdatePath#onFirstWrite} first. Not thread safe.
 */
final class ObjectStore {
    /** The system file holding forward objects to other databases. */
    static final String FORWARD_FILE = "$forward";
    /** Bytes of a forward object: foreign index (4), reserved (4), target reference (8). */
    static final int FORWARD_LENGTH = 16;

    private final EngineDatabase db;
    private final BufferCache cache;
    private final UpdatePath updates;
    private final UnsafeBuffer seg = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer pageView = new UnsafeBuffer(0, 0);
    private final byte[] staging = new byte[MAX_DATA_LENGTH];
    private final byte[] zeros = new byte[PAGE_LENGTH];
    private Map<String, Long> forwardIndex;
    // nextLive's last slotted segment and the frame that held it (scanSegment 0: none)
    private final UnsafeBuffer scanView = new UnsafeBuffer(0, 0);
    private long scanSegment;
    private int scanFrame;

    /**
     * A resolved slot: its fields, where it is, and, when an embedded session resolved it from its slot snapshot
     * ({@link SlotSnapshots}), the area's window and page count and the layout epoch the snapshot was taken in.
     */
    static final class Slot extends org.bess.format.DecodedSlot {
        long segPage;
        int index;
        /** The data area's window, or -1: look the area up in the database (under the engine latch). */
        int window = -1;
        /** The data area's page count when {@link #window} is set. */
        long areaPages;
        /** The layout epoch the slot was read in, when {@link #window} is set. */
        int epoch;

        /** A copy of this slot (to keep: the engine reuses the slots it resolves into). */
        Slot copy() {
            final Slot c = new Slot();
            c.generation = generation;
            c.flags = flags;
            c.typeId = typeId;
            c.size = size;
            c.area = area;
            c.dataPage = dataPage;
            c.dataOffset = dataOffset;
            c.segPage = segPage;
            c.index = index;
            c.window = window;
            c.areaPages = areaPages;
            c.epoch = epoch;
            return c;
        }
    }

    ObjectStore(final EngineDatabase db) {
        this.db = db;
        this.cache = db.cache();
        this.updates = db.server().updatePath();
    }

    static int align(final int size) {
        return (size + 7) & ~7;
    }

    static int orderFor(final int bytes) {
        final int pages = Math.max(1, (bytes + PAGE_LENGTH - 1) >>> PAGE_SHIFT);
        return 32 - Integer.numberOfLeadingZeros(pages - 1);
    }

    private BessException invalid(final long ref, final String reason) {
        return new BessException(
                ErrorCode.INVALID_REFERENCE,
                "invalid reference: ref=" + RefDescriptor.toString(ref) + ", database=" + db.path() + ", reason="
                        + reason);
    }

    /** Pins a slotted segment, checking that the page is one. */
    private int pinSegment(final long segPage, final boolean write, final UnsafeBuffer into, final long forRef) {
        final StorageArea root = db.root();
        if (segPage < 1 || segPage >= root.pageCount()) {
            throw invalid(forRef, "no such page in the root area");
        }
        final int frame;
        try {
            frame = cache.pin(root.window(), segPage, true);
        } catch (final org.bess.exceptions.CorruptPageException e) {
            // a reference to a data page or a free page fails the control checksum: a bad reference, not damage
            if (root.verifiesAsDataPage(segPage)) {
                throw invalid(forRef, "page is not a slotted segment");
            }
            throw e;
        }
        cache.wrap(into, frame);
        // a cached data page is never read as a slot array, whatever its bytes at the page type's offset
        if (!cache.isControl(frame) || into.getShort(PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT) {
            cache.unpin(frame);
            throw invalid(forRef, "page is not a slotted segment");
        }
        if (write) {
            updates.onFirstWrite(root.window(), segPage, frame);
        }
        return frame;
    }

    private static void readSlot(final UnsafeBuffer s, final long segPage, final int index, final Slot out) {
        out.segPage = segPage;
        out.index = index;
        out.window = -1;
        out.read(s, SlottedSegmentDescriptor.slotOffset(index));
    }

    /**
     * The used slots of a slotted segment, raw ({@link SlotDescriptor#SLOT_LENGTH} bytes each), read with the
     * transaction's shared lock on the page.
     */
    byte[] slotArray(final long segPage) {
        return slotArrayUnlessCurrent(segPage, 0);
    }

    /** What {@link #slotArrayUnlessCurrent} returns when the caller's copy is the segment's used slots. */
    static final byte[] CURRENT = new byte[0];

    /**
     * {@link #slotArray}, unless the digest of the used slots ({@link PageDigest#ofWords(long, int)}, taken in the
     * frame) is {@code digest}: then {@link #CURRENT}, without copying them.
     *
     * @param digest the digest of the caller's copy; 0: none (the slots are copied).
     */
    byte[] slotArrayUnlessCurrent(final long segPage, final long digest) {
        final UnsafeBuffer s = new UnsafeBuffer(0, 0);
        final int frame = pinSegment(segPage, false, s, RefDescriptor.pack(segPage, 0, 0));
        try {
            final int used = Math.min(s.getShort(SLOTS_USED_OFFSET) & 0xFFFF, SLOT_CAPACITY);
            final int length = used * SlotDescriptor.SLOT_LENGTH;
            final int at = SlottedSegmentDescriptor.slotOffset(0);
            if (digest != 0 && PageDigest.ofWords(s.addressOffset() + at, length) == digest) {
                return CURRENT;
            }
            final byte[] slots = new byte[length];
            s.getBytes(at, slots);
            return slots;
        } finally {
            cache.unpin(frame);
        }
    }

    /**
     * Pins a slotted segment the transaction has just resolved a reference into (so it holds the page's shared lock),
     * for a slot snapshot that reads the slots in the cache frame without the latch until the transaction ends.
     *
     * @param segPage the slotted segment.
     * @return the frame, pinned once more; the caller unpins it.
     */
    int pinForSnapshot(final long segPage) {
        return pinSegment(segPage, false, seg, RefDescriptor.pack(segPage, 0, 0));
    }

    /**
     * Resolves a reference to its live slot.
     *
     * @throws BessException {@code INVALID_REFERENCE} for null, freed or reused slots.
     */
    void resolve(final long ref, final Slot out) {
        if (ref == RefDescriptor.NULL_REF) {
            throw invalid(ref, "null reference");
        }
        final long segPage = RefDescriptor.segmentPage(ref);
        final int index = RefDescriptor.slotIndex(ref);
        final int frame = pinSegment(segPage, false, seg, ref);
        try {
            if (index >= SLOT_CAPACITY || index >= (seg.getShort(SLOTS_USED_OFFSET) & 0xFFFF)) {
                throw invalid(ref, "no such slot");
            }
            readSlot(seg, segPage, index, out);
            if ((out.flags & SlotDescriptor.FLAG_LIVE) == 0) {
                throw invalid(ref, "the object was freed");
            }
            if (out.generation != RefDescriptor.generation(ref)) {
                throw invalid(ref, "the slot was reused (generation " + out.generation + ")");
            }
        } finally {
            cache.unpin(frame);
        }
    }

    /**
     * Allocates an object.
     *
     * @param nearSegment a slotted segment to try first, or 0.
     * @return the reference.
     */
    long allocate(
            final Catalog.FileEntry entry, final int typeId, final int size, final long nearSegment, final int flags) {
        // intention to add to the file: waits for a transaction that drops or moves it (X), then finds it still there
        db.server().lockFile(db, entry.id, org.bess.server.lock.LockMode.IX);
        final Catalog.FileEntry file = db.catalog().file(entry.id);
        if (file == null) {
            throw new BessException(
                    ErrorCode.NAME, "the file was dropped: file=" + entry.name + ", database=" + db.path());
        }
        if (size < 0) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "negative object size: size=" + size);
        }
        if (size > MAX_DATA_LENGTH) {
            throw new BessException(
                    ErrorCode.NOT_BUILT_YET,
                    "an ordinary object larger than a data segment (64 KiB) is not built; make it a large object"
                            + " (Transaction.createLarge): size=" + size
                            + ", file=" + file.name);
        }
        if (nearSegment != 0) {
            final long ref = tryPlace(nearSegment, typeId, size, flags);
            if (ref != 0) {
                return ref;
            }
        }
        // the catalog's last segment is a hint: other transactions append segments as nested top actions that do not
        // change the catalog, and an abort puts back the committed hint (the segments appended since stay, empty);
        // so the hint and every segment linked after it are tried before a new one is appended
        for (long segPage = file.lastSegment != 0 ? file.lastSegment : file.firstSegment;
                segPage != 0;
                segPage = nextSegment(segPage)) {
            if (segPage != nearSegment) {
                final long ref = tryPlace(segPage, typeId, size, flags);
                if (ref != 0) {
                    file.lastSegment = segPage;
                    return ref;
                }
            }
        }
        final long segPage = newSegment(file);
        final long ref = tryPlace(segPage, typeId, size, flags);
        if (ref == 0) {
            throw new IllegalStateException("a new object segment cannot hold the object: size=" + size);
        }
        return ref;
    }

    private long tryPlace(final long segPage, final int typeId, final int size, final int flags) {
        final int frame = pinSegment(segPage, false, seg, RefDescriptor.pack(segPage, 0, 0));
        try {
            final int freeHead = seg.getShort(FREE_SLOT_HEAD_OFFSET) & 0xFFFF;
            final int used = seg.getShort(SLOTS_USED_OFFSET) & 0xFFFF;
            if (freeHead == 0 && used >= SLOT_CAPACITY) {
                return 0;
            }
            final int aligned = align(size);
            final int offset = reserveSpace(segPage, frame, aligned);
            if (offset < 0) {
                return 0;
            }
            cache.wrap(seg, frame);
            updates.onFirstWrite(db.root().window(), segPage, frame);
            final int index;
            if (freeHead != 0) {
                index = freeHead - 1;
                final int off = SlottedSegmentDescriptor.slotOffset(index);
                seg.putShort(FREE_SLOT_HEAD_OFFSET, seg.getShort(off + SlotDescriptor.NEXT_FREE_OFFSET));
            } else {
                index = used;
                seg.putShort(SLOTS_USED_OFFSET, (short) (used + 1));
            }
            final int off = SlottedSegmentDescriptor.slotOffset(index);
            final int generation = seg.getShort(off + SlotDescriptor.GENERATION_OFFSET) & 0xFFFF;
            final int area = seg.getShort(DATA_AREA_OFFSET) & 0xFFFF;
            final long dataPage = seg.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
            seg.putShort(off + SlotDescriptor.FLAGS_OFFSET, (short) (SlotDescriptor.FLAG_LIVE | flags));
            seg.putInt(off + SlotDescriptor.TYPE_ID_OFFSET, typeId);
            seg.putInt(off + SlotDescriptor.SIZE_OFFSET, size);
            seg.putShort(off + SlotDescriptor.DATA_AREA_OFFSET, (short) area);
            seg.putShort(off + SlotDescriptor.NEXT_FREE_OFFSET, (short) 0);
            seg.putInt(off + SlotDescriptor.DATA_PAGE_OFFSET, (int) dataPage);
            seg.putInt(off + SlotDescriptor.DATA_OFFSET_OFFSET, offset);
            seg.putShort(LIVE_COUNT_OFFSET, (short) ((seg.getShort(LIVE_COUNT_OFFSET) & 0xFFFF) + 1));
            seg.putInt(LIVE_BYTES_OFFSET, seg.getInt(LIVE_BYTES_OFFSET) + aligned);
            zeroData(db.area(area), dataPage, offset, aligned);
            return RefDescriptor.pack(segPage, index, generation);
        } finally {
            cache.unpin(frame);
        }
    }

    /**
     * Finds room for {@code aligned} bytes in the segment's data segment: at the top, after compacting, or after
     * growing it (up to 64 KiB). Moves the top past the room.
     *
     * @return the offset, or -1 when the object segment cannot hold it.
     */
    private int reserveSpace(final long segPage, final int frame, final int aligned) {
        cache.wrap(seg, frame);
        int order = seg.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
        final int live = seg.getInt(LIVE_BYTES_OFFSET);
        if (live + aligned > MAX_DATA_LENGTH) {
            return -1;
        }
        updates.onFirstWrite(db.root().window(), segPage, frame);
        if (order == NO_DATA) {
            final Catalog.FileEntry file = db.catalog().file(seg.getInt(FILE_ID_OFFSET));
            final int newOrder = Math.max(orderFor(Math.max(aligned, 1)), previousDataOrder(seg));
            final StorageArea area = allocateData(file == null ? 0 : file.areaId, newOrder);
            final long page = lastAllocatedPage;
            cache.wrap(seg, frame);
            seg.putShort(DATA_AREA_OFFSET, (short) area.id());
            seg.putShort(DATA_ORDER_OFFSET, (short) newOrder);
            seg.putInt(DATA_PAGE_OFFSET, (int) page);
            seg.putInt(DATA_TOP_OFFSET, 0);
            order = newOrder;
        }
        int top = seg.getInt(DATA_TOP_OFFSET);
        if (top + aligned > PAGE_LENGTH << order) {
            if (top > live) {
                compactSegment(segPage, frame);
                cache.wrap(seg, frame);
                top = seg.getInt(DATA_TOP_OFFSET);
            }
            while (top + aligned > PAGE_LENGTH << order) {
                growSegment(segPage, frame);
                cache.wrap(seg, frame);
                order = seg.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
            }
        }
        cache.wrap(seg, frame);
        seg.putInt(DATA_TOP_OFFSET, top + aligned);
        return top;
    }

    private long lastAllocatedPage;

    /**
     * The data order of the segment before {@code s} in its file's chain, when that segment is cached; else 0. A new
     * segment is appended when the one before it is full, so a file filled object by object gets data segments of
     * the size the last one reached, where starting at one page doubled (copied) its data segment up to four times on
     * the way to 64 KiB, and scattered the pages of its objects. A hint only: read without a lock (the engine's
     * latch is held; nothing replaces the frame meanwhile).
     */
    private int previousDataOrder(final UnsafeBuffer s) {
        final long prev = s.getInt(PREV_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
        if (prev == 0) {
            return 0;
        }
        final int frame = cache.frameOf(db.root().window(), prev);
        if (frame < 0 || !cache.isControl(frame)) {
            return 0;
        }
        final UnsafeBuffer p = cache.wrap(hintView, frame);
        if (p.getShort(PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT) {
            return 0;
        }
        final int order = p.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
        return order == NO_DATA || order > MAX_DATA_ORDER ? 0 : order;
    }

    private final UnsafeBuffer hintView = new UnsafeBuffer(0, 0);

    /**
     * Allocates a data block, in the preferred area if it has room, else in any area that does. Its pages start as
     * zeroed, dirty frames: their old bytes on disk may belong to a freed block of another kind, with another checksum.
     */
    private StorageArea allocateData(final int preferredAreaId, final int order) {
        final StorageArea preferred = db.area(preferredAreaId);
        long page = preferred.allocate(order);
        if (page >= 0) {
            db.areaGrew(preferred);
            lastAllocatedPage = page;
            initDataPages(preferred, page, 1 << order);
            return preferred;
        }
        for (final StorageArea a : db.openAreas()) {
            if (a != preferred) {
                page = a.allocate(order);
                if (page >= 0) {
                    db.areaGrew(a);
                    lastAllocatedPage = page;
                    initDataPages(a, page, 1 << order);
                    return a;
                }
            }
        }
        throw new BessException(
                ErrorCode.STORAGE_FULL,
                "no area has room for a data segment: database=" + db.path() + ", pages=" + (1 << order));
    }

    /** The next segment of a file's chain after {@code segPage} (0 at the end); the page is locked shared. */
    long nextSegment(final long segPage) {
        final UnsafeBuffer s = new UnsafeBuffer(0, 0);
        final int frame = pinSegment(segPage, false, s, 0);
        try {
            return s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
        } finally {
            cache.unpin(frame);
        }
    }

    /** The last segment of the chain that goes through {@code segPage}. */
    private long chainEnd(final long segPage) {
        long seg = segPage;
        for (long next = nextSegment(seg); next != 0; next = nextSegment(seg)) {
            seg = next;
        }
        return seg;
    }

    /**
     * Adds a slotted segment to a file. The first one is a change of the catalog (which names it), under the catalog
     * lock held to commit, and undone by an abort like the rest of the transaction; so is every segment a
     * transaction holding the catalog lock appends (it may have created the file itself). Every other one is a
     * redo-only nested top action under the latch: the chain's end is locked exclusively first (a second
     * transaction appending to the same file waits there), then the page is allocated, formatted and linked, and
     * all of it is logged at once; an abort of the transaction leaves the segment in the file, empty, and the
     * catalog is not touched (its last-segment field is a hint, see {@link #allocate}).
     */
    private long newSegment(final Catalog.FileEntry file) {
        if (file.firstSegment == 0) {
            // X on the file too: other transactions adding to it (IX) must not read the uncommitted first segment
            db.server().lockFile(db, file.id, org.bess.server.lock.LockMode.X);
            db.server().lockCatalog(db, org.bess.server.lock.LockMode.X);
            if (file.firstSegment != 0) {
                return newSegment(file);
            }
            final long segPage = formatSegment(file, 0);
            file.firstSegment = segPage;
            file.lastSegment = segPage;
            db.catalog().dirty(true);
            return segPage;
        }
        final long last = lockedChainEnd(file);
        if (db.server().holds(BessServer.catalogResource(db), org.bess.server.lock.LockMode.X)) {
            // the transaction changes the catalog anyway (it may have created this very file, which its abort drops):
            // the append is part of it and undone with it
            final long segPage = formatSegment(file, last);
            link(last, segPage);
            file.lastSegment = segPage;
            db.catalog().dirty(true);
            return segPage;
        }
        final long segPage;
        updates.beginRedoOnlyStructureChange();
        try {
            segPage = formatSegment(file, last);
            link(last, segPage);
        } finally {
            updates.endStructureChange();
        }
        file.lastSegment = segPage;
        return segPage;
    }

    /** The end of a file's chain, locked exclusively (waits for another transaction appending to the file). */
    private long lockedChainEnd(final Catalog.FileEntry file) {
        long last = chainEnd(file.lastSegment != 0 ? file.lastSegment : file.firstSegment);
        while (true) {
            db.server().lockPageForAccess(db.root().window(), last, org.bess.server.lock.LockMode.X);
            final long next = nextSegment(last);
            if (next == 0) {
                return last;
            }
            last = chainEnd(next);
        }
    }

    /** Links {@code segPage} after {@code last}, the end of its file's chain. */
    private void link(final long last, final long segPage) {
        final UnsafeBuffer prev = new UnsafeBuffer(0, 0);
        final int pf = pinSegment(last, true, prev, 0);
        try {
            prev.putInt(NEXT_SEGMENT_OFFSET, (int) segPage);
        } finally {
            cache.unpin(pf);
        }
    }

    /** Allocates and formats an empty slotted segment of {@code file} whose previous segment is {@code prevSegment}. */
    private long formatSegment(final Catalog.FileEntry file, final long prevSegment) {
        final StorageArea root = db.root();
        final long segPage = root.allocate(0);
        if (segPage < 0) {
            throw new BessException(ErrorCode.STORAGE_FULL, "root area full: database=" + db.path());
        }
        db.areaGrew(root);
        final int frame = cache.pinNew(root.window(), segPage, true);
        try {
            updates.onFirstWrite(root.window(), segPage, frame);
            final UnsafeBuffer s = cache.wrap(new UnsafeBuffer(0, 0), frame);
            s.putShort(PAGE_TYPE_OFFSET, PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT);
            s.putShort(FORMAT_VERSION_OFFSET, PageHeaderDescriptor.FORMAT_VERSION);
            s.putInt(FILE_ID_OFFSET, file.id);
            s.putShort(SLOT_CAPACITY_OFFSET, (short) SLOT_CAPACITY);
            s.putInt(PREV_SEGMENT_OFFSET, (int) prevSegment);
            s.putShort(DATA_ORDER_OFFSET, (short) NO_DATA);
            // a fresh random generation base: references into a dropped file's reused page are caught
            final int base = ThreadLocalRandom.current().nextInt(1 << 16);
            for (int i = 0; i < SLOT_CAPACITY; i++) {
                s.putShort(
                        SlottedSegmentDescriptor.slotOffset(i) + SlotDescriptor.GENERATION_OFFSET, (short) (base + i));
            }
        } finally {
            cache.unpin(frame);
        }
        return segPage;
    }

    /** Doubles a segment's data segment: in place when its buddy is free, else by moving it. */
    private void growSegment(final long segPage, final int frame) {
        final UnsafeBuffer s = cache.wrap(new UnsafeBuffer(0, 0), frame);
        updates.onFirstWrite(db.root().window(), segPage, frame);
        final int order = s.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
        if (order >= MAX_DATA_ORDER) {
            throw new IllegalStateException("data segment already at its largest: segment=" + segPage);
        }
        final StorageArea area = db.area(s.getShort(DATA_AREA_OFFSET) & 0xFFFF);
        final long page = s.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
        if (area.tryGrow(page, order)) {
            initDataPages(area, page + (1L << order), 1 << order);
            s.putShort(DATA_ORDER_OFFSET, (short) (order + 1));
            return;
        }
        final StorageArea to = allocateData(area.id(), order + 1);
        relocate(segPage, frame, to, lastAllocatedPage, order + 1);
    }

    /** Copies a segment's data to a new block, repoints its slots and frees the old block. */
    private void relocate(
            final long segPage, final int frame, final StorageArea to, final long newPage, final int newOrder) {
        final UnsafeBuffer s = cache.wrap(new UnsafeBuffer(0, 0), frame);
        updates.onFirstWrite(db.root().window(), segPage, frame);
        final StorageArea from = db.area(s.getShort(DATA_AREA_OFFSET) & 0xFFFF);
        final long oldPage = s.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
        final int oldOrder = s.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
        final int top = s.getInt(DATA_TOP_OFFSET);
        readData(from, oldPage, 0, staging, 0, top);
        writeData(to, newPage, 0, staging, 0, top);
        final int used = s.getShort(SLOTS_USED_OFFSET) & 0xFFFF;
        for (int i = 0; i < used; i++) {
            final int off = SlottedSegmentDescriptor.slotOffset(i);
            final int flags = s.getShort(off + SlotDescriptor.FLAGS_OFFSET);
            // a large object's data pointer names its tree's root, which does not move with the data segment
            if ((flags & SlotDescriptor.FLAG_LIVE) != 0 && (flags & SlotDescriptor.FLAG_LARGE) == 0) {
                s.putShort(off + SlotDescriptor.DATA_AREA_OFFSET, (short) to.id());
                s.putInt(off + SlotDescriptor.DATA_PAGE_OFFSET, (int) newPage);
            }
        }
        s.putShort(DATA_AREA_OFFSET, (short) to.id());
        s.putShort(DATA_ORDER_OFFSET, (short) newOrder);
        s.putInt(DATA_PAGE_OFFSET, (int) newPage);
        // freed at commit: reused in this transaction, its pages' before-images would be taken from zeroed frames
        db.deferFree(from, oldPage, oldOrder);
        db.bumpLayoutEpoch();
    }

    /** Closes the holes of a data segment: live objects slide down in offset order. */
    private void compactSegment(final long segPage, final int frame) {
        final UnsafeBuffer s = cache.wrap(new UnsafeBuffer(0, 0), frame);
        updates.onFirstWrite(db.root().window(), segPage, frame);
        final StorageArea area = db.area(s.getShort(DATA_AREA_OFFSET) & 0xFFFF);
        final long page = s.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
        final int top = s.getInt(DATA_TOP_OFFSET);
        readData(area, page, 0, staging, 0, top);
        final int used = s.getShort(SLOTS_USED_OFFSET) & 0xFFFF;
        final long[] order = new long[used];
        int n = 0;
        for (int i = 0; i < used; i++) {
            final int off = SlottedSegmentDescriptor.slotOffset(i);
            if ((s.getShort(off + SlotDescriptor.FLAGS_OFFSET) & SlotDescriptor.FLAG_LIVE) != 0) {
                order[n++] = ((long) s.getInt(off + SlotDescriptor.DATA_OFFSET_OFFSET) << 16) | i;
            }
        }
        Arrays.sort(order, 0, n);
        int newTop = 0;
        for (int k = 0; k < n; k++) {
            final int i = (int) (order[k] & 0xFFFF);
            final int off = SlottedSegmentDescriptor.slotOffset(i);
            final int oldOffset = (int) (order[k] >>> 16);
            final int size = s.getInt(off + SlotDescriptor.SIZE_OFFSET);
            System.arraycopy(staging, oldOffset, staging, newTop, size);
            s.putInt(off + SlotDescriptor.DATA_OFFSET_OFFSET, newTop);
            newTop += align(size);
        }
        Arrays.fill(staging, newTop, top, (byte) 0);
        writeData(area, page, 0, staging, 0, top);
        s.putInt(DATA_TOP_OFFSET, newTop);
        s.putInt(LIVE_BYTES_OFFSET, newTop);
        db.bumpLayoutEpoch();
    }

    /** Frees an object; its slot's generation moves on so that old references fail. */
    void free(final long ref) {
        final Slot slot = new Slot();
        resolve(ref, slot);
        final int frame = pinSegment(slot.segPage, true, seg, ref);
        try {
            final int off = SlottedSegmentDescriptor.slotOffset(slot.index);
            seg.putShort(off + SlotDescriptor.GENERATION_OFFSET, (short) (slot.generation + 1));
            seg.putShort(off + SlotDescriptor.FLAGS_OFFSET, (short) 0);
            seg.putShort(off + SlotDescriptor.NEXT_FREE_OFFSET, seg.getShort(FREE_SLOT_HEAD_OFFSET));
            seg.putShort(FREE_SLOT_HEAD_OFFSET, (short) (slot.index + 1));
            final int live = (seg.getShort(LIVE_COUNT_OFFSET) & 0xFFFF) - 1;
            seg.putShort(LIVE_COUNT_OFFSET, (short) live);
            seg.putInt(LIVE_BYTES_OFFSET, seg.getInt(LIVE_BYTES_OFFSET) - align(slot.size));
            if (slot.dataOffset + align(slot.size) == seg.getInt(DATA_TOP_OFFSET)) {
                seg.putInt(DATA_TOP_OFFSET, slot.dataOffset);
            }
            if (live == 0) {
                releaseData(seg);
            }
        } finally {
            cache.unpin(frame);
        }
        if (forwardIndex != null && (slot.flags & SlotDescriptor.FLAG_FORWARD) != 0) {
            forwardIndex.values().remove(ref);
        }
        // open handles re-read their slot on the next access: a freed object's handle must fail, not reach bytes that
        // now belong to the next object allocated at the same offset
        db.bumpLayoutEpoch();
    }

    private void releaseData(final UnsafeBuffer s) {
        final int order = s.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
        if (order != NO_DATA) {
            db.deferFree(
                    db.area(s.getShort(DATA_AREA_OFFSET) & 0xFFFF), s.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL, order);
            s.putShort(DATA_ORDER_OFFSET, (short) NO_DATA);
            s.putInt(DATA_PAGE_OFFSET, 0);
            s.putShort(DATA_AREA_OFFSET, (short) 0);
            s.putInt(DATA_TOP_OFFSET, 0);
            s.putInt(LIVE_BYTES_OFFSET, 0);
        }
    }

    /** Changes an object's size in its own segment, moving its bytes within (or with) the data segment if needed. */
    void resize(final long ref, final int newSize) {
        if (newSize < 0 || newSize > MAX_DATA_LENGTH) {
            throw new BessException(
                    newSize < 0 ? ErrorCode.BAD_ARGUMENT : ErrorCode.NOT_BUILT_YET,
                    newSize < 0
                            ? "negative object size: size=" + newSize
                            : "an ordinary object cannot grow beyond a data segment (64 KiB); make it a large object"
                                    + " (Transaction.createLarge): size="
                                    + newSize);
        }
        final Slot slot = new Slot();
        resolve(ref, slot);
        final int oldAligned = align(slot.size);
        final int newAligned = align(newSize);
        final int frame = pinSegment(slot.segPage, true, seg, ref);
        try {
            final int off = SlottedSegmentDescriptor.slotOffset(slot.index);
            final int top = seg.getInt(DATA_TOP_OFFSET);
            final int segLength = PAGE_LENGTH << (seg.getShort(DATA_ORDER_OFFSET) & 0xFFFF);
            final StorageArea area = db.area(slot.area);
            if (newAligned <= oldAligned
                    || (slot.dataOffset + oldAligned == top && slot.dataOffset + newAligned <= segLength)) {
                if (newSize > slot.size) {
                    zeroData(area, slot.dataPage, slot.dataOffset + slot.size, newAligned - slot.size);
                }
                if (slot.dataOffset + oldAligned == top) {
                    seg.putInt(DATA_TOP_OFFSET, slot.dataOffset + newAligned);
                }
                seg.putInt(off + SlotDescriptor.SIZE_OFFSET, newSize);
                seg.putInt(LIVE_BYTES_OFFSET, seg.getInt(LIVE_BYTES_OFFSET) - oldAligned + newAligned);
                // open handles cache the size: without this a shrunk object's handle still reaches its old length
                db.bumpLayoutEpoch();
                return;
            }
            if (seg.getInt(LIVE_BYTES_OFFSET) - oldAligned + newAligned > MAX_DATA_LENGTH) {
                throw new BessException(
                        ErrorCode.STORAGE_FULL,
                        "object segment full: the object cannot grow in its segment: ref=" + RefDescriptor.toString(ref)
                                + ", size=" + newSize + ", database=" + db.path());
            }
            final byte[] saved = new byte[slot.size];
            readData(area, slot.dataPage, slot.dataOffset, saved, 0, slot.size);
            // the old bytes become a hole: compaction inside reserveSpace must not keep them
            seg.putShort(off + SlotDescriptor.FLAGS_OFFSET, (short) (slot.flags & ~SlotDescriptor.FLAG_LIVE));
            seg.putInt(LIVE_BYTES_OFFSET, seg.getInt(LIVE_BYTES_OFFSET) - oldAligned);
            final int offset = reserveSpace(slot.segPage, frame, newAligned);
            cache.wrap(seg, frame);
            final StorageArea now = db.area(seg.getShort(DATA_AREA_OFFSET) & 0xFFFF);
            final long nowPage = seg.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
            zeroData(now, nowPage, offset, newAligned);
            writeData(now, nowPage, offset, saved, 0, slot.size);
            seg.putShort(off + SlotDescriptor.FLAGS_OFFSET, (short) slot.flags);
            seg.putInt(off + SlotDescriptor.SIZE_OFFSET, newSize);
            seg.putShort(off + SlotDescriptor.DATA_AREA_OFFSET, (short) now.id());
            seg.putInt(off + SlotDescriptor.DATA_PAGE_OFFSET, (int) nowPage);
            seg.putInt(off + SlotDescriptor.DATA_OFFSET_OFFSET, offset);
            seg.putInt(LIVE_BYTES_OFFSET, seg.getInt(LIVE_BYTES_OFFSET) + newAligned);
            db.bumpLayoutEpoch();
        } finally {
            cache.unpin(frame);
        }
    }

    /** Moves every data segment of a file to another area; slots are repointed, references unaffected. */
    void moveFile(final Catalog.FileEntry file, final StorageArea to) {
        final UnsafeBuffer s = new UnsafeBuffer(0, 0);
        for (long segPage = file.firstSegment; segPage != 0; ) {
            final int frame = pinSegment(segPage, false, s, 0);
            try {
                final int order = s.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
                if (order != NO_DATA && (s.getShort(DATA_AREA_OFFSET) & 0xFFFF) != to.id()) {
                    final long page = to.allocate(order);
                    if (page < 0) {
                        throw new BessException(
                                ErrorCode.STORAGE_FULL, "target area full: file=" + file.name + ", area=" + to.path());
                    }
                    db.areaGrew(to);
                    initDataPages(to, page, 1 << order);
                    relocate(segPage, frame, to, page, order);
                }
                segPage = s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
            } finally {
                cache.unpin(frame);
            }
        }
        file.areaId = to.id();
        db.catalog().dirty(true);
        db.bumpLayoutEpoch();
    }

    /**
     * Compacts a file: closes holes, releases the data of empty segments, and shrinks data segments to the smallest
     * buddy block that holds their objects.
     *
     * @return {segments compacted, segments shrunk}.
     */
    int[] compactFile(final Catalog.FileEntry file) {
        int compacted = 0;
        int shrunk = 0;
        final UnsafeBuffer s = new UnsafeBuffer(0, 0);
        for (long segPage = file.firstSegment; segPage != 0; ) {
            final int frame = pinSegment(segPage, false, s, 0);
            try {
                final int order = s.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
                if (order != NO_DATA) {
                    if ((s.getShort(LIVE_COUNT_OFFSET) & 0xFFFF) == 0) {
                        updates.onFirstWrite(db.root().window(), segPage, frame);
                        releaseData(s);
                        shrunk++;
                    } else {
                        if (s.getInt(DATA_TOP_OFFSET) > s.getInt(LIVE_BYTES_OFFSET)) {
                            compactSegment(segPage, frame);
                            compacted++;
                        }
                        cache.wrap(s, frame);
                        final int needed = orderFor(s.getInt(DATA_TOP_OFFSET));
                        if (needed < order) {
                            updates.onFirstWrite(db.root().window(), segPage, frame);
                            db.area(s.getShort(DATA_AREA_OFFSET) & 0xFFFF)
                                    .shrink(s.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL, order, needed);
                            s.putShort(DATA_ORDER_OFFSET, (short) needed);
                            shrunk++;
                        }
                    }
                }
                segPage = s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
            } finally {
                cache.unpin(frame);
            }
        }
        db.bumpLayoutEpoch();
        return new int[] {compacted, shrunk};
    }

    /** Drops a file: frees its data segments and slotted segments. */
    void dropFile(final Catalog.FileEntry file) {
        db.server().lockCatalog(db, org.bess.server.lock.LockMode.X);
        final UnsafeBuffer s = new UnsafeBuffer(0, 0);
        for (long segPage = file.firstSegment; segPage != 0; ) {
            final long next;
            final int frame = pinSegment(segPage, true, s, 0);
            try {
                releaseData(s);
                next = s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
                s.putShort(PAGE_TYPE_OFFSET, (short) 0);
            } finally {
                cache.unpin(frame);
            }
            db.deferFree(db.root(), segPage, 0);
            segPage = next;
        }
        db.catalog().removeFile(file.id);
        db.bumpLayoutEpoch();
        if (FORWARD_FILE.equals(file.name)) {
            forwardIndex = null;
        }
    }

    /** Forgets what was derived from pages (after an abort or recovery restored them). */
    void resetCaches() {
        forwardIndex = null;
    }

    /** The file id recorded in a slotted segment. */
    int segmentFile(final long segPage) {
        final UnsafeBuffer s = new UnsafeBuffer(0, 0);
        final int frame = pinSegment(segPage, false, s, 0);
        try {
            return s.getInt(FILE_ID_OFFSET);
        } finally {
            cache.unpin(frame);
        }
    }

    /** Statistics of a file, from its segment chain. */
    FileInfo fileInfo(final Catalog.FileEntry file) {
        int segments = 0;
        long objects = 0;
        long bytes = 0;
        final UnsafeBuffer s = new UnsafeBuffer(0, 0);
        for (long segPage = file.firstSegment; segPage != 0; ) {
            final int frame = pinSegment(segPage, false, s, 0);
            try {
                segments++;
                objects += s.getShort(LIVE_COUNT_OFFSET) & 0xFFFF;
                bytes += s.getInt(LIVE_BYTES_OFFSET);
                segPage = s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
            } finally {
                cache.unpin(frame);
            }
        }
        return new FileInfo(file.name, db.area(file.areaId).path(), segments, objects, bytes);
    }

    /** Names of files that live in an area or have data segments in it. */
    List<String> filesUsingArea(final int areaId) {
        final List<String> names = new ArrayList<>();
        final UnsafeBuffer s = new UnsafeBuffer(0, 0);
        for (final Catalog.FileEntry f : db.catalog().files()) {
            boolean uses = f.areaId == areaId;
            for (long segPage = f.firstSegment; segPage != 0 && !uses; ) {
                final int frame = pinSegment(segPage, false, s, 0);
                try {
                    uses = (s.getShort(DATA_ORDER_OFFSET) & 0xFFFF) != NO_DATA
                            && (s.getShort(DATA_AREA_OFFSET) & 0xFFFF) == areaId;
                    segPage = s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
                } finally {
                    cache.unpin(frame);
                }
            }
            if (uses) {
                names.add(f.name);
            }
        }
        return names;
    }

    /**
     * The next live, non-forward slot of a file after {@code (segPage, index)}.
     *
     * @param out filled with the slot when found.
     * @return whether one was found.
     */
    boolean nextLive(final long startSegment, final int afterIndex, final Slot out) {
        long segPage = startSegment;
        int index = afterIndex + 1;
        final UnsafeBuffer s = scanView;
        while (segPage != 0) {
            final boolean pinned;
            final int frame;
            // a cursor asks for the same segment ~SLOT_CAPACITY times in a row: while the frame found last still holds
            // it (and it is still a slotted segment), read it unpinned; nothing below calls the cache
            if (segPage == scanSegment
                    && cache.touchIfHolds(scanFrame, db.root().window(), segPage)
                    && cache.wrap(s, scanFrame).getShort(PAGE_TYPE_OFFSET)
                            == PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT) {
                pinned = false;
                frame = scanFrame;
            } else {
                pinned = true;
                frame = pinSegment(segPage, false, s, 0);
                scanSegment = segPage;
                scanFrame = frame;
            }
            try {
                final int used = s.getShort(SLOTS_USED_OFFSET) & 0xFFFF;
                for (; index < used; index++) {
                    final int flags =
                            s.getShort(SlottedSegmentDescriptor.slotOffset(index) + SlotDescriptor.FLAGS_OFFSET);
                    if ((flags & SlotDescriptor.FLAG_LIVE) != 0 && (flags & SlotDescriptor.FLAG_FORWARD) == 0) {
                        readSlot(s, segPage, index, out);
                        return true;
                    }
                }
                segPage = s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
                index = 0;
            } finally {
                if (pinned) {
                    cache.unpin(frame);
                }
            }
        }
        return false;
    }

    /** A forward object in this database standing for {@code targetWord} of another database. */
    long forwardTo(final EngineDatabase other, final long targetWord) {
        final int index =
                db.catalog().foreignIndex(other.path().toAbsolutePath().toString(), other.id());
        if (forwardIndex == null) {
            loadForwardIndex();
        }
        final String key = index + ":" + targetWord;
        final Long existing = forwardIndex.get(key);
        if (existing != null) {
            return existing;
        }
        Catalog.FileEntry file = db.catalog().file(FORWARD_FILE);
        if (file == null) {
            db.server().lockCatalog(db, org.bess.server.lock.LockMode.X);
            file = db.catalog().addFile(FORWARD_FILE, db.root().id());
        }
        final long ref = allocate(file, 0, FORWARD_LENGTH, 0, SlotDescriptor.FLAG_FORWARD);
        final Slot slot = new Slot();
        resolve(ref, slot);
        final byte[] body = new byte[FORWARD_LENGTH];
        final UnsafeBuffer b = new UnsafeBuffer(body);
        b.putInt(0, index);
        b.putLong(8, targetWord);
        writeData(db.area(slot.area), slot.dataPage, slot.dataOffset, body, 0, FORWARD_LENGTH);
        forwardIndex.put(key, ref);
        return ref;
    }

    /** Reads a forward object: {foreign index, target word}. */
    long[] readForward(final Slot slot) {
        final byte[] body = new byte[FORWARD_LENGTH];
        readData(db.area(slot.area), slot.dataPage, slot.dataOffset, body, 0, FORWARD_LENGTH);
        final UnsafeBuffer b = new UnsafeBuffer(body);
        return new long[] {b.getInt(0), b.getLong(8)};
    }

    private void loadForwardIndex() {
        forwardIndex = new HashMap<>();
        final Catalog.FileEntry file = db.catalog().file(FORWARD_FILE);
        if (file == null) {
            return;
        }
        final UnsafeBuffer s = new UnsafeBuffer(0, 0);
        final Slot slot = new Slot();
        for (long segPage = file.firstSegment; segPage != 0; ) {
            final int used;
            final long next;
            final int frame = pinSegment(segPage, false, s, 0);
            try {
                used = s.getShort(SLOTS_USED_OFFSET) & 0xFFFF;
                next = s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
            } finally {
                cache.unpin(frame);
            }
            for (int i = 0; i < used; i++) {
                final int f2 = pinSegment(segPage, false, s, 0);
                try {
                    readSlot(s, segPage, i, slot);
                } finally {
                    cache.unpin(f2);
                }
                if ((slot.flags & SlotDescriptor.FLAG_LIVE) != 0) {
                    final long[] fwd = readForward(slot);
                    forwardIndex.put(fwd[0] + ":" + fwd[1], RefDescriptor.pack(segPage, i, slot.generation));
                }
            }
            segPage = next;
        }
    }

    private void initDataPages(final StorageArea area, final long firstPage, final int pages) {
        for (int i = 0; i < pages; i++) {
            final int frame = cache.pinNew(area.window(), firstPage + i, false);
            try {
                updates.onFirstWrite(area.window(), firstPage + i, frame);
            } finally {
                cache.unpin(frame);
            }
        }
    }

    /** Copies bytes out of a data segment through the cache. */
    void readData(
            final StorageArea area,
            final long firstPage,
            final int offset,
            final byte[] dst,
            final int dstOff,
            final int len) {
        int done = 0;
        while (done < len) {
            final int pos = offset + done;
            final long page = firstPage + (pos >>> PAGE_SHIFT);
            final int inPage = pos & (PAGE_LENGTH - 1);
            final int n = Math.min(len - done, PAGE_LENGTH - inPage);
            final int frame = cache.pin(area.window(), page, false);
            try {
                cache.wrap(pageView, frame).getBytes(inPage, dst, dstOff + done, n);
            } finally {
                cache.unpin(frame);
            }
            done += n;
        }
    }

    /** Copies bytes into a data segment through the cache and the update path. */
    void writeData(
            final StorageArea area,
            final long firstPage,
            final int offset,
            final byte[] src,
            final int srcOff,
            final int len) {
        int done = 0;
        while (done < len) {
            final int pos = offset + done;
            final long page = firstPage + (pos >>> PAGE_SHIFT);
            final int inPage = pos & (PAGE_LENGTH - 1);
            final int n = Math.min(len - done, PAGE_LENGTH - inPage);
            final int frame = cache.pin(area.window(), page, false);
            try {
                updates.onFirstWrite(area.window(), page, frame);
                cache.wrap(pageView, frame).putBytes(inPage, src, srcOff + done, n);
            } finally {
                cache.unpin(frame);
            }
            done += n;
        }
    }

    private void zeroData(final StorageArea area, final long firstPage, final int offset, final int len) {
        int done = 0;
        while (done < len) {
            final int n = Math.min(len - done, PAGE_LENGTH);
            writeData(area, firstPage, offset + done, zeros, 0, n);
            done += n;
        }
    }
}
