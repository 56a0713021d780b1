package org.bess.server;

import static org.bess.format.SlottedSegmentDescriptor.DATA_AREA_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.DATA_ORDER_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.DATA_PAGE_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.DATA_TOP_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.FILE_ID_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.LIVE_BYTES_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.LIVE_COUNT_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.NEXT_SEGMENT_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.NO_DATA;
import static org.bess.format.SlottedSegmentDescriptor.PREV_SEGMENT_OFFSET;
import static org.bess.format.SlottedSegmentDescriptor.SLOTS_USED_OFFSET;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.format.SlottedSegmentDescriptor;
import org.bess.server.area.BuddyAllocator;
import org.bess.server.area.StorageArea;
import org.bess.server.catalog.Catalog;

/**
 * The structural checks an offline {@code check} will make, done through the engine's internals until that command
 * exists: every extent map checks clean, the pages the maps hold allocated are exactly the metadata blocks, the catalog
 * block, the slotted segments and their data segments (no leak, no double use), and every slotted segment agrees with
 * its own slots (live count, live bytes, data pointers inside the data segment and not overlapping).
 */
final class StoreInvariants {
    private StoreInvariants() {}

    /**
     * Checks a database.
     *
     * @return one line per problem; empty when healthy.
     */
    static List<String> check(final EngineDatabase db) {
        final List<String> problems = new ArrayList<>();
        final Map<Integer, Long> expectedPages = new HashMap<>();
        final Map<Integer, Long> allocatedPages = new HashMap<>();
        final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        for (final StorageArea area : db.openAreas()) {
            long allocated = 0;
            for (int e = 0; e < area.extentCount(); e++) {
                final int frame = area.pinMap(e);
                try {
                    db.cache().wrap(view, frame);
                    for (final String p : BuddyAllocator.check(view)) {
                        problems.add("area " + area.id() + " extent " + e + ": " + p);
                    }
                    allocated += area.extentPages() - BuddyAllocator.freePages(view);
                } finally {
                    db.cache().unpin(frame);
                }
            }
            allocatedPages.put(area.id(), allocated);
            expectedPages.put(
                    area.id(),
                    (long) area.extentCount() * org.bess.format.ExtentMapDescriptor.metaPages(area.extentPages()));
        }
        final long[] catalog = db.root().catalogLocation();
        expectedPages.merge(db.root().id(), catalog[1], Long::sum);
        for (final Catalog.FileEntry f : db.catalog().files()) {
            checkFile(db, f, view, expectedPages, problems);
        }
        for (final Map.Entry<Integer, Long> e : allocatedPages.entrySet()) {
            final long expected = expectedPages.getOrDefault(e.getKey(), 0L);
            if (expected != e.getValue()) {
                problems.add("area " + e.getKey() + ": extent maps hold " + e.getValue()
                        + " pages allocated, segments and metadata account for " + expected);
            }
        }
        return problems;
    }

    private static void checkFile(
            final EngineDatabase db,
            final Catalog.FileEntry f,
            final UnsafeBuffer view,
            final Map<Integer, Long> expectedPages,
            final List<String> problems) {
        long prev = 0;
        long last = 0;
        int guard = 0;
        for (long seg = f.firstSegment; seg != 0; guard++) {
            if (guard > 1_000_000) {
                problems.add("file " + f.name + ": segment chain loops");
                return;
            }
            final int frame = db.cache().pin(db.root().window(), seg, true);
            try {
                db.cache().wrap(view, frame);
                final String where = "file " + f.name + " segment " + seg + ": ";
                if (view.getShort(PageHeaderDescriptor.PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT) {
                    problems.add(where + "not a slotted segment");
                    return;
                }
                if (view.getInt(FILE_ID_OFFSET) != f.id) {
                    problems.add(where + "file id " + view.getInt(FILE_ID_OFFSET) + ", expected " + f.id);
                }
                if ((view.getInt(PREV_SEGMENT_OFFSET) & 0xFFFF_FFFFL) != prev) {
                    problems.add(where + "previous segment " + view.getInt(PREV_SEGMENT_OFFSET) + ", expected " + prev);
                }
                expectedPages.merge(db.root().id(), 1L, Long::sum);
                checkSlots(view, where, expectedPages, problems);
                prev = seg;
                if (seg == f.lastSegment) {
                    last = seg;
                }
                seg = view.getInt(NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
            } finally {
                db.cache().unpin(frame);
            }
        }
        // the catalog's last segment is a hint (segments appended later are linked only): it must be on the chain
        if (last != f.lastSegment) {
            problems.add("file " + f.name + ": the catalog's last segment " + f.lastSegment + " is not on the chain");
        }
    }

    private static void checkSlots(
            final UnsafeBuffer s,
            final String where,
            final Map<Integer, Long> expectedPages,
            final List<String> problems) {
        final int order = s.getShort(DATA_ORDER_OFFSET) & 0xFFFF;
        final int area = s.getShort(DATA_AREA_OFFSET) & 0xFFFF;
        final long page = s.getInt(DATA_PAGE_OFFSET) & 0xFFFF_FFFFL;
        final int top = s.getInt(DATA_TOP_OFFSET);
        final int used = s.getShort(SLOTS_USED_OFFSET) & 0xFFFF;
        if (order != NO_DATA) {
            expectedPages.merge(area, 1L << order, Long::sum);
            if (top > PageHeaderDescriptor.PAGE_LENGTH << order) {
                problems.add(where + "top " + top + " beyond the data segment of order " + order);
            }
        }
        int live = 0;
        long liveBytes = 0;
        final List<int[]> ranges = new ArrayList<>();
        for (int i = 0; i < used; i++) {
            final int off = SlottedSegmentDescriptor.slotOffset(i);
            if ((s.getShort(off + SlotDescriptor.FLAGS_OFFSET) & SlotDescriptor.FLAG_LIVE) == 0) {
                continue;
            }
            live++;
            final int size = s.getInt(off + SlotDescriptor.SIZE_OFFSET);
            final int aligned = ObjectStore.align(size);
            final int offset = s.getInt(off + SlotDescriptor.DATA_OFFSET_OFFSET);
            liveBytes += aligned;
            if (order == NO_DATA) {
                problems.add(where + "live slot " + i + " in a segment without data");
                continue;
            }
            if ((s.getShort(off + SlotDescriptor.DATA_AREA_OFFSET) & 0xFFFF) != area
                    || (s.getInt(off + SlotDescriptor.DATA_PAGE_OFFSET) & 0xFFFF_FFFFL) != page) {
                problems.add(where + "slot " + i + " points outside its segment's data segment");
            }
            // a zero-size object keeps the offset it was given, which may lie past a top lowered by a free: harmless,
            // as it has no bytes to overlap
            if (aligned > 0 && (offset < 0 || offset + aligned > top)) {
                problems.add(
                        where + "slot " + i + " bytes [" + offset + ", " + (offset + aligned) + ") beyond top " + top);
            }
            if (aligned > 0) {
                ranges.add(new int[] {offset, offset + aligned, i});
            }
        }
        ranges.sort((x, y) -> Integer.compare(x[0], y[0]));
        for (int k = 1; k < ranges.size(); k++) {
            if (ranges.get(k - 1)[1] > ranges.get(k)[0]) {
                problems.add(where + "slots " + ranges.get(k - 1)[2] + " and " + ranges.get(k)[2] + " overlap");
            }
        }
        if (live != (s.getShort(LIVE_COUNT_OFFSET) & 0xFFFF)) {
            problems.add(where + "live count " + (s.getShort(LIVE_COUNT_OFFSET) & 0xFFFF) + ", live slots " + live);
        }
        if (liveBytes != s.getInt(LIVE_BYTES_OFFSET)) {
            problems.add(where + "live bytes " + s.getInt(LIVE_BYTES_OFFSET) + ", live slots hold " + liveBytes);
        }
    }
}
