package org.bess.server.check;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_TYPE_OFFSET;

import java.util.Map;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.format.LargeObjectEntryDescriptor;
import org.bess.format.LargeObjectNodeDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.RefDescriptor;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;

/**
 * Verifies the tree of one large object for {@link DatabaseChecker}: every node is a large-object node of this object,
 * levels go down by one, counts add up (each entry's count is its child's sum, the root's length the sum of its
 * entries), every leaf holds between 1 byte and its block, every node page and leaf block is an allocated buddy block
 * claimed exactly once, and every used leaf page passes its checksum.
 */
final class LargeObjectChecker {
    /** Claims a block for an owner; reports a block claimed twice or not allocated. */
    @FunctionalInterface
    interface Claimer {
        /** Claims {@code 2^order} pages at {@code page} of {@code area}. */
        void claim(int area, long page, int order, String what);
    }

    private static final int MAX_DEPTH = 16;

    private final BufferCache cache;
    private final Map<Integer, StorageArea> areas;
    private final CheckReport report;
    private final Claimer nodeClaimer;
    private final Claimer leafClaimer;
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);

    LargeObjectChecker(
            final BufferCache cache,
            final Map<Integer, StorageArea> areas,
            final CheckReport report,
            final Claimer nodeClaimer,
            final Claimer leafClaimer) {
        this.cache = cache;
        this.areas = areas;
        this.report = report;
        this.nodeClaimer = nodeClaimer;
        this.leafClaimer = leafClaimer;
    }

    /**
     * Checks the large object of slot {@code ref}, whose data pointer names {@code (area, page)}, in file {@code
     * fileId}.
     */
    void check(final long ref, final int area, final long page, final int fileId, final String fileName) {
        final String what = "large object " + RefDescriptor.toString(ref) + " of file " + fileName;
        report.largeObjects++;
        final long[] node = readNode(what, area, page, ref, 0, -1);
        if (node == null) {
            return;
        }
        final long length = node[0];
        final long sum = node[1];
        final int stripeCount = (int) node[2];
        final int storedFile = (int) node[3];
        if (length != sum) {
            report.problem(what + ": length does not add up: recorded=" + length + ", entries=" + sum);
        }
        if (storedFile != fileId) {
            report.problem(what + ": root names another file: fileId=" + storedFile + ", expected=" + fileId);
        }
        if (stripeCount < 1 || stripeCount > LargeObjectNodeDescriptor.MAX_STRIPE_AREAS) {
            report.problem(what + ": bad stripe count: " + stripeCount);
        }
        report.largeBytes += Math.max(0, sum);
    }

    /**
     * Checks a node and its subtree.
     *
     * @return {root length, sum of entries, stripe count, file id}, or null when the node could not be read.
     */
    private long[] readNode(
            final String what, final int area, final long page, final long ref, final int depth, final int level) {
        if (depth >= MAX_DEPTH) {
            report.problem(what + ": tree deeper than " + MAX_DEPTH + " levels");
            return null;
        }
        final StorageArea a = areas.get(area);
        if (a == null || page < 1 || page >= a.pageCount()) {
            report.problem(what + ": node outside the database: area=" + area + ", page=" + page);
            return null;
        }
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[PAGE_LENGTH]);
        try {
            final int frame = cache.pin(a.window(), page, true);
            try {
                copy.putBytes(0, cache.wrap(view, frame), 0, PAGE_LENGTH);
            } finally {
                cache.unpin(frame);
            }
        } catch (final BessException e) {
            report.problem(what + ": " + e.getMessage());
            return null;
        }
        if (copy.getShort(PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_LARGE_NODE) {
            report.problem(what + ": node page is not a large-object node: area=" + area + ", page=" + page + ", type="
                    + copy.getShort(PAGE_TYPE_OFFSET));
            return null;
        }
        nodeClaimer.claim(area, page, 0, what + "'s node");
        report.largeNodes++;
        final String where = what + ", node area=" + area + " page=" + page;
        if (copy.getLong(LargeObjectNodeDescriptor.OWNER_REF_OFFSET) != ref) {
            report.problem(where + ": node of another object: owner="
                    + RefDescriptor.toString(copy.getLong(LargeObjectNodeDescriptor.OWNER_REF_OFFSET)));
        }
        final int nodeLevel = copy.getShort(LargeObjectNodeDescriptor.LEVEL_OFFSET) & 0xFFFF;
        final int count = copy.getShort(LargeObjectNodeDescriptor.ENTRY_COUNT_OFFSET) & 0xFFFF;
        final boolean root =
                (copy.getShort(LargeObjectNodeDescriptor.FLAGS_OFFSET) & LargeObjectNodeDescriptor.FLAG_ROOT) != 0;
        if (root != (depth == 0)) {
            report.problem(where + ": root flag " + (root ? "set below the root" : "missing on the root"));
        }
        if (level >= 0 && nodeLevel != level) {
            report.problem(where + ": level " + nodeLevel + ", expected " + level);
        }
        if (count > LargeObjectNodeDescriptor.ENTRY_CAPACITY || (count == 0 && (depth > 0 || nodeLevel > 0))) {
            report.problem(where + ": bad entry count: " + count);
            return null;
        }
        long sum = 0;
        for (int i = 0; i < count; i++) {
            final int e = LargeObjectNodeDescriptor.entryOffset(i);
            final int childArea = copy.getShort(e + LargeObjectEntryDescriptor.CHILD_AREA_OFFSET) & 0xFFFF;
            final int order = copy.getShort(e + LargeObjectEntryDescriptor.CHILD_ORDER_OFFSET) & 0xFFFF;
            final long childPage = copy.getInt(e + LargeObjectEntryDescriptor.CHILD_PAGE_OFFSET) & 0xFFFF_FFFFL;
            final long bytes = copy.getLong(e + LargeObjectEntryDescriptor.BYTE_COUNT_OFFSET);
            sum += bytes;
            if (nodeLevel == 0) {
                checkLeaf(where + ", entry " + i, childArea, childPage, order, bytes);
            } else {
                final long[] child = readNode(what, childArea, childPage, ref, depth + 1, nodeLevel - 1);
                if (child != null && child[1] != bytes) {
                    report.problem(where + ", entry " + i + ": count does not add up: recorded=" + bytes
                            + ", child's entries=" + child[1]);
                }
            }
        }
        return new long[] {
            copy.getLong(LargeObjectNodeDescriptor.LENGTH_OFFSET),
            sum,
            copy.getShort(LargeObjectNodeDescriptor.STRIPE_COUNT_OFFSET) & 0xFFFF,
            copy.getInt(LargeObjectNodeDescriptor.FILE_ID_OFFSET)
        };
    }

    private void checkLeaf(final String where, final int area, final long page, final int order, final long bytes) {
        final StorageArea a = areas.get(area);
        if (a == null) {
            report.problem(where + ": leaf in an unknown area: area=" + area);
            return;
        }
        if (order > Integer.numberOfTrailingZeros(a.extentPages()) - 1) {
            report.problem(where + ": leaf larger than half an extent: order=" + order);
            return;
        }
        if (bytes < 1 || bytes > (long) PAGE_LENGTH << order) {
            report.problem(where + ": leaf byte count out of its block: bytes=" + bytes + ", order=" + order);
            return;
        }
        leafClaimer.claim(area, page, order, where + "'s leaf");
        report.largeSegments++;
        final long usedPages = (bytes + PAGE_LENGTH - 1) / PAGE_LENGTH;
        for (long p = 0; p < usedPages; p++) {
            try {
                cache.unpin(cache.pin(a.window(), page + p, false));
                report.dataPages++;
            } catch (final BessException e) {
                report.problem(where + ": " + e.getMessage());
            }
        }
    }
}
