package org.bess.server.check;

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
import static org.bess.format.SlottedSegmentDescriptor.NEXT_SEGMENT_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.NO_DATA;
import static org.bess.format.SlottedSegmentDescriptor.PREV_SEGMENT_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.SLOTS_USED_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.SLOT_CAPACITY;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.format.ExtentMapDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.RefDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.format.SlottedSegmentDescriptor;
import org.bess.server.area.BuddyAllocator;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;
import org.bess.server.catalog.Catalog;

/**
 * Checks a closed database. Usage: {@code new DatabaseChecker(rootPath, cacheDir).run(progress)}. Every page it reads
 * goes through the areas' checksum verification; a failing page becomes a problem line and the check goes on where it
 * can.
 */
public final class DatabaseChecker {
    private static final int OWNER_META = 1;
    private static final int OWNER_CATALOG = 2;
    private static final int OWNER_SEGMENT = 3;
    private static final int OWNER_DATA = 4;
    private static final int OWNER_LARGE_NODE = 5;
    private static final int OWNER_LARGE_LEAF = 6;

    private final Path rootPath;
    private final Path cacheDir;
    private final CheckReport report = new CheckReport();
    private final Map<Integer, StorageArea> areas = new LinkedHashMap<>();
    /** Allocated blocks: key (area << 40 | page) → order. */
    private final Map<Long, Integer> allocated = new HashMap<>();
    /** Owners of allocated blocks: key → owner kind. */
    private final Map<Long, Integer> owners = new HashMap<>();

    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer target = new UnsafeBuffer(0, 0);
    /** Large-object slots found: {ref, area, page, file id}. */
    private final List<long[]> largeSlots = new ArrayList<>();

    private BufferCache cache;
    private Catalog catalog;
    private StorageArea root;
    private long logEnd = -1;

    /**
     * A checker of the database whose root area is {@code rootPath}.
     *
     * @param cacheDir a directory for the checker's private cache (created and removed).
     */
    public DatabaseChecker(final Path rootPath, final Path cacheDir) {
        this.rootPath = rootPath;
        this.cacheDir = cacheDir;
    }

    /**
     * Also verifies that no control page's LSN lies beyond {@code lsn}, the end of the log of the node that wrote the
     * database (a page from the future is a damaged page, a page from another node's log, or a lost log tail).
     *
     * @return this checker.
     */
    public DatabaseChecker logEnd(final long lsn) {
        this.logEnd = lsn;
        return this;
    }

    /**
     * Reads every page of every area from its file and reports each control page (one whose header checksum is right)
     * whose page LSN is beyond the end of the log.
     */
    private void checkPageLsns() {
        final java.nio.ByteBuffer page =
                java.nio.ByteBuffer.allocate(PageHeaderDescriptor.PAGE_LENGTH).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        for (final StorageArea a : areas.values()) {
            try (java.nio.channels.FileChannel ch =
                    java.nio.channels.FileChannel.open(a.path(), java.nio.file.StandardOpenOption.READ)) {
                final long pages = ch.size() / PageHeaderDescriptor.PAGE_LENGTH;
                for (long p = 0; p < pages; p++) {
                    page.clear();
                    while (page.hasRemaining()
                            && ch.read(page, p * PageHeaderDescriptor.PAGE_LENGTH + page.position()) > 0) {
                        // to the end of the page
                    }
                    crc.reset();
                    crc.update(
                            page.array(),
                            PageHeaderDescriptor.CHECKSUMMED_FROM,
                            PageHeaderDescriptor.PAGE_LENGTH - PageHeaderDescriptor.CHECKSUMMED_FROM);
                    if ((int) crc.getValue() != page.getInt(PageHeaderDescriptor.CHECKSUM_OFFSET)
                            || page.getInt(PageHeaderDescriptor.PAGE_NO_OFFSET) != (int) p) {
                        continue;
                    }
                    final long lsn = page.getLong(PageHeaderDescriptor.PAGE_LSN_OFFSET);
                    if (Long.compareUnsigned(lsn, logEnd) > 0) {
                        report.problem("page LSN beyond the end of the log: area=" + a.path() + ", page=" + p + ", lsn="
                                + Long.toUnsignedString(lsn) + ", logEnd=" + logEnd);
                    }
                }
            } catch (final java.io.IOException e) {
                report.problem("cannot read storage area to check page LSNs: area=" + a.path() + ": " + e);
            }
        }
    }

    private static long key(final int area, final long page) {
        return ((long) area << 40) | page;
    }

    /**
     * Runs the check.
     *
     * @param progress receives a line per phase.
     * @return the report.
     */
    public CheckReport run(final Consumer<String> progress) {
        if (!Files.exists(rootPath)) {
            report.problem("root area is missing: path=" + rootPath);
            return report;
        }
        cache = new BufferCache(cacheDir, 8192);
        try {
            openAll(progress);
            if (catalog != null) {
                progress.accept("checking extents and buddy maps");
                for (final StorageArea a : areas.values()) {
                    checkExtents(a);
                }
                markCatalog();
                progress.accept("checking files, slots and data pages");
                for (final Catalog.FileEntry f : catalog.files()) {
                    checkFile(f);
                }
                progress.accept("checking large objects");
                checkLargeObjects();
                progress.accept("checking references and roots");
                for (final Catalog.FileEntry f : catalog.files()) {
                    checkReferences(f);
                }
                for (final Map.Entry<String, Long> r : catalog.roots().entrySet()) {
                    final String why = validateRef(r.getValue());
                    if (why != null) {
                        report.problem("root '" + r.getKey() + "' is dangling: ref="
                                + RefDescriptor.toString(r.getValue()) + ", reason=" + why);
                    }
                }
                checkLeaks();
            }
            if (logEnd >= 0) {
                progress.accept("checking page LSNs against the end of the log (" + logEnd + ")");
                checkPageLsns();
            }
        } catch (final BessException e) {
            report.problem(e.getMessage());
        } finally {
            for (final StorageArea a : areas.values()) {
                a.close();
            }
            cache.close();
        }
        return report;
    }

    private void openAll(final Consumer<String> progress) {
        progress.accept("opening " + rootPath);
        root = StorageArea.open(rootPath.toString(), rootPath, 0, 0, cache, 0);
        areas.put(root.id(), root);
        if (!root.isRoot()) {
            report.problem("not the root area of a database: path=" + rootPath + ", area=" + root.id());
            return;
        }
        catalog = Catalog.read(cache, root, rootPath.toString());
        int window = 1;
        for (final Catalog.AreaEntry e : catalog.areas()) {
            if (e.id == root.id()) {
                continue;
            }
            final Path p = Path.of(e.path).isAbsolute()
                    ? Path.of(e.path)
                    : rootPath.toAbsolutePath().getParent().resolve(e.path);
            try {
                areas.put(e.id, StorageArea.open(rootPath.toString(), p, catalog.databaseId(), e.id, cache, window++));
            } catch (final BessException ex) {
                report.problem(ex.getMessage());
            }
        }
        report.areas = areas.size();
    }

    private void checkExtents(final StorageArea a) {
        final int metaOrder = Integer.numberOfTrailingZeros(ExtentMapDescriptor.metaPages(a.extentPages()));
        for (int e = 0; e < a.extentCount(); e++) {
            report.extents++;
            final long first = a.extentFirstPage(e);
            final int frame;
            try {
                frame = a.pinMap(e);
            } catch (final BessException ex) {
                report.problem(ex.getMessage());
                continue;
            }
            try {
                cache.wrap(view, frame);
                if (view.getShort(PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_EXTENT_MAP) {
                    report.problem("extent map page has the wrong type: area=" + a.path() + ", page=" + first);
                    continue;
                }
                for (final String p : BuddyAllocator.check(view)) {
                    report.problem("buddy map of extent " + e + " of " + a.path() + ": " + p);
                }
                for (final int[] block : BuddyAllocator.allocatedBlocks(view)) {
                    allocated.put(key(a.id(), first + block[0]), block[1]);
                }
                if (!BuddyAllocator.isAllocated(view, 0, metaOrder)) {
                    report.problem("extent metadata block not allocated: area=" + a.path() + ", extent=" + e);
                }
                owners.put(key(a.id(), first), OWNER_META);
            } finally {
                cache.unpin(frame);
            }
            for (int i = 1; i <= ExtentMapDescriptor.pageInfoPages(a.extentPages()); i++) {
                try {
                    cache.unpin(cache.pin(a.window(), first + i, true));
                } catch (final BessException ex) {
                    report.problem(ex.getMessage());
                }
            }
        }
    }

    private void markCatalog() {
        final long[] loc = root.catalogLocation();
        claim(root.id(), loc[0], Integer.numberOfTrailingZeros((int) loc[1]), OWNER_CATALOG, "catalog");
    }

    private void claim(final int area, final long page, final int order, final int owner, final String what) {
        final long k = key(area, page);
        final Integer got = allocated.get(k);
        if (got == null || got != order) {
            report.problem(what + " uses a block the buddy map does not hold as allocated: area=" + area + ", page="
                    + page + ", order=" + order + (got == null ? "" : ", allocatedOrder=" + got));
            return;
        }
        final Integer previous = owners.put(k, owner);
        if (previous != null) {
            report.problem(what + " uses a block that is already used: area=" + area + ", page=" + page);
        }
    }

    private void checkLargeObjects() {
        final LargeObjectChecker checker = new LargeObjectChecker(
                cache,
                areas,
                report,
                (area, page, order, what) -> claim(area, page, order, OWNER_LARGE_NODE, what),
                (area, page, order, what) -> claim(area, page, order, OWNER_LARGE_LEAF, what));
        for (final long[] s : largeSlots) {
            final Catalog.FileEntry f = catalog.file((int) s[3]);
            checker.check(s[0], (int) s[1], s[2], (int) s[3], f == null ? "?" : f.name);
        }
    }

    private void checkFile(final Catalog.FileEntry f) {
        report.files++;
        if (!areas.containsKey(f.areaId)) {
            report.problem("file lives in an unknown area: file=" + f.name + ", area=" + f.areaId);
        }
        long prev = 0;
        long seen = 0;
        // the catalog's last segment is a hint (segments appended later are linked, not named in the catalog): it must
        // be on the chain
        boolean lastOnChain = f.lastSegment == 0;
        for (long seg = f.firstSegment; seg != 0; ) {
            if (++seen > root.pageCount()) {
                report.problem("segment chain of file " + f.name + " has a cycle");
                return;
            }
            final int frame;
            try {
                frame = pinSegment(seg);
            } catch (final BessException ex) {
                report.problem("file " + f.name + ": " + ex.getMessage());
                return;
            }
            final long next;
            try {
                cache.wrap(view, frame);
                if (view.getShort(PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT) {
                    report.problem("file " + f.name + " chains to a page that is not a slotted segment: page=" + seg);
                    return;
                }
                claim(root.id(), seg, 0, OWNER_SEGMENT, "slotted segment of file " + f.name);
                report.segments++;
                if (view.getInt(FILE_ID_OFFSET) != f.id) {
                    report.problem("slotted segment names another file: page=" + seg + ", file=" + f.name);
                }
                if ((view.getInt(PREV_SEGMENT_OFFSET) & 0xFFFF_FFFFL) != prev) {
                    report.problem("slotted segment has a wrong previous link: page=" + seg + ", file=" + f.name);
                }
                checkSlots(f, seg);
                next = view.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
            } finally {
                cache.unpin(frame);
            }
            if (seg == f.lastSegment) {
                lastOnChain = true;
            }
            prev = seg;
            seg = next;
        }
        if (!lastOnChain) {
            report.problem("file's last segment is not on its chain: file=" + f.name + ", page=" + f.lastSegment);
        }
    }

    private int pinSegment(final long seg) {
        if (seg < 1 || seg >= root.pageCount()) {
            throw new BessException(
                    org.bess.exceptions.ErrorCode.INVALID_REFERENCE, "segment page outside the root area: page=" + seg);
        }
        return cache.pin(root.window(), seg, true);
    }

    /** Checks the slots of the segment in {@link #view}. */
    private void checkSlots(final Catalog.FileEntry f, final long seg) {
        final int used = view.getShort(SLOTS_USED_OFFSET) & 0xFFFF;
        final int order = view.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
        final int area = view.getShort(DATA_AREA_OFFSET) & 0xFFFF;
        final long dataPage = view.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
        final int top = view.getInt(DATA_TOP_OFFSET);
        final String where = "segment " + seg + " of file " + f.name;
        if (used > SLOT_CAPACITY) {
            report.problem(where + ": more slots used than exist: used=" + used);
            return;
        }
        int live = 0;
        int largeLive = 0;
        long liveBytes = 0;
        final long[] ranges = new long[used];
        for (int i = 0; i < used; i++) {
            final int off = SlottedSegmentDescriptor.slotOffset(i);
            final int flags = view.getShort(off + SlotDescriptor.FLAGS_OFFSET);
            if ((flags & SlotDescriptor.FLAG_LIVE) == 0) {
                continue;
            }
            if ((flags & SlotDescriptor.FLAG_LARGE) != 0) {
                // the data pointer names the root of a tree, checked with the other large objects
                largeSlots.add(new long[] {
                    RefDescriptor.pack(seg, i, view.getShort(off + SlotDescriptor.GENERATION_OFFSET) & 0xFFFF),
                    view.getShort(off + SlotDescriptor.DATA_AREA_OFFSET) & 0xFFFF,
                    view.getInt(off + SlotDescriptor.DATA_PAGE_OFFSET) & 0xFFFF_FFFFL,
                    f.id
                });
                if (view.getInt(off + SlotDescriptor.SIZE_OFFSET) != 0) {
                    report.problem(where + ": large object slot " + i + " has a size: "
                            + view.getInt(off + SlotDescriptor.SIZE_OFFSET));
                }
                report.objects++;
                largeLive++;
                continue;
            }
            final int size = view.getInt(off + SlotDescriptor.SIZE_OFFSET);
            final int dataOffset = view.getInt(off + SlotDescriptor.DATA_OFFSET_OFFSET);
            if ((view.getShort(off + SlotDescriptor.DATA_AREA_OFFSET) & 0xFFFF) != area
                    || (view.getInt(off + SlotDescriptor.DATA_PAGE_OFFSET) & 0xFFFF_FFFFL) != dataPage) {
                report.problem(where + ": slot " + i + " points outside its data segment");
            }
            if (order == NO_DATA || size < 0 || dataOffset < 0 || dataOffset + (long) size > top) {
                report.problem(where + ": slot " + i + " data range out of the segment: offset=" + dataOffset
                        + ", size=" + size + ", top=" + top);
            }
            ranges[live++] = ((long) dataOffset << 24) | (((size + 7) & ~7) & 0xFFFFFF);
            liveBytes += (size + 7) & ~7;
            report.objects++;
        }
        Arrays.sort(ranges, 0, live);
        for (int k = 1; k < live; k++) {
            if ((ranges[k - 1] >>> 24) + (ranges[k - 1] & 0xFFFFFF) > (ranges[k] >>> 24)) {
                report.problem(where + ": objects overlap at offset " + (ranges[k] >>> 24));
            }
        }
        if (live + largeLive != (view.getShort(LIVE_COUNT_OFFSET) & 0xFFFF)) {
            report.problem(where + ": live count mismatch: recorded=" + (view.getShort(LIVE_COUNT_OFFSET) & 0xFFFF)
                    + ", actual=" + (live + largeLive));
        }
        if (order != NO_DATA && liveBytes != view.getInt(LIVE_BYTES_OFFSET)) {
            report.problem(where + ": live bytes mismatch: recorded=" + view.getInt(LIVE_BYTES_OFFSET) + ", actual="
                    + liveBytes);
        }
        checkFreeList(where, used);
        if (order != NO_DATA) {
            if (order > SlottedSegmentDescriptor.MAX_DATA_ORDER || top > PAGE_LENGTH << order) {
                report.problem(where + ": bad data segment: order=" + order + ", top=" + top);
                return;
            }
            final StorageArea a = areas.get(area);
            if (a == null) {
                report.problem(where + ": data segment in an unknown area: area=" + area);
                return;
            }
            claim(area, dataPage, order, OWNER_DATA, where + "'s data segment");
            for (int p = 0; p < 1 << order; p++) {
                try {
                    cache.unpin(cache.pin(a.window(), dataPage + p, false));
                    report.dataPages++;
                } catch (final BessException ex) {
                    report.problem(ex.getMessage());
                }
            }
        }
    }

    private void checkFreeList(final String where, final int used) {
        int steps = 0;
        for (int head = view.getShort(FREE_SLOT_HEAD_OFFSET) & 0xFFFF; head != 0; ) {
            if (head - 1 >= used || ++steps > used) {
                report.problem(where + ": free slot list is broken at " + (head - 1));
                return;
            }
            final int off = SlottedSegmentDescriptor.slotOffset(head - 1);
            if ((view.getShort(off + SlotDescriptor.FLAGS_OFFSET) & SlotDescriptor.FLAG_LIVE) != 0) {
                report.problem(where + ": free slot list holds a live slot: slot=" + (head - 1));
                return;
            }
            head = view.getShort(off + SlotDescriptor.NEXT_FREE_OFFSET) & 0xFFFF;
        }
    }

    private void checkReferences(final Catalog.FileEntry f) {
        final byte[] data = new byte[SlottedSegmentDescriptor.MAX_DATA_LENGTH];
        long seen = 0;
        for (long seg = f.firstSegment; seg != 0 && ++seen <= root.pageCount(); ) {
            final UnsafeBuffer s = new UnsafeBuffer(new byte[PAGE_LENGTH]);
            final int frame;
            try {
                frame = pinSegment(seg);
            } catch (final BessException ex) {
                return;
            }
            try {
                s.putBytes(0, cache.wrap(view, frame), 0, PAGE_LENGTH);
            } finally {
                cache.unpin(frame);
            }
            if (s.getShort(PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT) {
                return;
            }
            final int used = Math.min(SLOT_CAPACITY, s.getShort(SLOTS_USED_OFFSET) & 0xFFFF);
            final int order = s.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
            final StorageArea a = areas.get(s.getShort(DATA_AREA_OFFSET) & 0xFFFF);
            if (order != NO_DATA && order <= SlottedSegmentDescriptor.MAX_DATA_ORDER && a != null) {
                final int top = Math.min(s.getInt(DATA_TOP_OFFSET), PAGE_LENGTH << order);
                if (!readData(a, s.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL, data, Math.max(0, top))) {
                    seg = s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
                    continue;
                }
                for (int i = 0; i < used; i++) {
                    checkObjectRefs(s, seg, i, data, top);
                }
            }
            seg = s.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
        }
    }

    private void checkObjectRefs(final UnsafeBuffer s, final long seg, final int i, final byte[] data, final int top) {
        final int off = SlottedSegmentDescriptor.slotOffset(i);
        final int flags = s.getShort(off + SlotDescriptor.FLAGS_OFFSET);
        if ((flags & SlotDescriptor.FLAG_LIVE) == 0
                || (flags & (SlotDescriptor.FLAG_FORWARD | SlotDescriptor.FLAG_LARGE)) != 0) {
            return;
        }
        final Catalog.TypeEntry type = catalog.type(s.getInt(off + SlotDescriptor.TYPE_ID_OFFSET));
        if (type == null) {
            report.problem("object has an unknown type: segment=" + seg + ", slot=" + i + ", type="
                    + s.getInt(off + SlotDescriptor.TYPE_ID_OFFSET));
            return;
        }
        final int dataOffset = s.getInt(off + SlotDescriptor.DATA_OFFSET_OFFSET);
        final int size = s.getInt(off + SlotDescriptor.SIZE_OFFSET);
        final UnsafeBuffer bytes = new UnsafeBuffer(data);
        for (final int refOffset : type.refOffsets()) {
            if (refOffset + Long.BYTES > size || dataOffset + refOffset + Long.BYTES > top) {
                continue;
            }
            final long word = bytes.getLong(dataOffset + refOffset);
            if (word == RefDescriptor.NULL_REF) {
                continue;
            }
            report.references++;
            final String why = validateRef(word);
            if (why != null) {
                report.problem("dangling reference: object=" + RefDescriptor.toString(RefDescriptor.pack(seg, i, 0))
                        + ", type=" + type.name() + ", offset=" + refOffset + ", ref=" + RefDescriptor.toString(word)
                        + ", reason=" + why);
            }
        }
    }

    /** Null when the word names a live slot, else why not. */
    private String validateRef(final long word) {
        final long seg = RefDescriptor.segmentPage(word);
        if (owners.get(key(root.id(), seg)) == null || owners.get(key(root.id(), seg)) != OWNER_SEGMENT) {
            return "not a slotted segment of a file";
        }
        final int frame = cache.pin(root.window(), seg, true);
        try {
            cache.wrap(target, frame);
            final int index = RefDescriptor.slotIndex(word);
            if (index >= (target.getShort(SLOTS_USED_OFFSET) & 0xFFFF)) {
                return "no such slot";
            }
            final int off = SlottedSegmentDescriptor.slotOffset(index);
            if ((target.getShort(off + SlotDescriptor.FLAGS_OFFSET) & SlotDescriptor.FLAG_LIVE) == 0) {
                return "freed slot";
            }
            if ((target.getShort(off + SlotDescriptor.GENERATION_OFFSET) & 0xFFFF) != RefDescriptor.generation(word)) {
                return "generation mismatch";
            }
            return null;
        } finally {
            cache.unpin(frame);
        }
    }

    private boolean readData(final StorageArea a, final long first, final byte[] dst, final int length) {
        for (int done = 0; done < length; done += PAGE_LENGTH) {
            try {
                final int frame = cache.pin(a.window(), first + (done >>> PAGE_SHIFT), false);
                try {
                    cache.wrap(view, frame).getBytes(0, dst, done, Math.min(PAGE_LENGTH, length - done));
                } finally {
                    cache.unpin(frame);
                }
            } catch (final BessException ex) {
                return false;
            }
        }
        return true;
    }

    private void checkLeaks() {
        for (final Map.Entry<Long, Integer> block : allocated.entrySet()) {
            if (!owners.containsKey(block.getKey())) {
                final int area = (int) (block.getKey() >>> 40);
                final long page = block.getKey() & ((1L << 40) - 1);
                report.problem("allocated block used by nothing (leaked): area=" + area + ", page=" + page + ", order="
                        + block.getValue());
            }
        }
    }

    /** The database's areas as the catalog lists them (for tools that report). */
    public List<String> areaPaths() {
        return areas.values().stream().map(a -> a.path().toString()).toList();
    }
}
