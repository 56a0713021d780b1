package org.bess.server;

import static org.bess.format.LargeObjectNodeDescriptor.ENTRY_CAPACITY;
import static org.bess.format.LargeObjectNodeDescriptor.MAX_STRIPE_AREAS;
import static org.bess.format.PageHeaderDescriptor.FORMAT_VERSION_OFFSET;
import static org.bess.format.PageHeaderDescriptor.PAGE_TYPE_OFFSET;

import java.util.Arrays;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.format.LargeObjectEntryDescriptor;
import org.bess.format.LargeObjectNodeDescriptor;
import org.bess.format.PageHeaderDescriptor;

/**
 * A copy of one large-object node page, changed in memory and stored back. While a change is in progress a node may
 * hold more than {@link LargeObjectNodeDescriptor#ENTRY_CAPACITY} entries; it is split before it is stored.
 *
 * <p>Not thread safe: the engine thread only.
 */
final class LargeNode {
    int area;
    long page;
    int level;
    int flags;
    long ownerRef;
    long length;
    int fileId;
    int stripeCount;
    int nextStripe;
    final int[] stripeAreas = new int[MAX_STRIPE_AREAS];
    int count;
    int[] childArea = new int[ENTRY_CAPACITY];
    int[] childOrder = new int[ENTRY_CAPACITY];
    long[] childPage = new long[ENTRY_CAPACITY];
    long[] childBytes = new long[ENTRY_CAPACITY];

    boolean isRoot() {
        return (flags & LargeObjectNodeDescriptor.FLAG_ROOT) != 0;
    }

    /** The sum of the entries' byte counts. */
    long sum() {
        long s = 0;
        for (int i = 0; i < count; i++) {
            s += childBytes[i];
        }
        return s;
    }

    private void ensure(final int entries) {
        if (entries > childArea.length) {
            final int n = Math.max(entries, childArea.length * 2);
            childArea = Arrays.copyOf(childArea, n);
            childOrder = Arrays.copyOf(childOrder, n);
            childPage = Arrays.copyOf(childPage, n);
            childBytes = Arrays.copyOf(childBytes, n);
        }
    }

    /** Opens a gap of {@code n} entries at {@code index}. */
    void openGap(final int index, final int n) {
        ensure(count + n);
        final int tail = count - index;
        System.arraycopy(childArea, index, childArea, index + n, tail);
        System.arraycopy(childOrder, index, childOrder, index + n, tail);
        System.arraycopy(childPage, index, childPage, index + n, tail);
        System.arraycopy(childBytes, index, childBytes, index + n, tail);
        count += n;
    }

    /** Inserts one entry at {@code index}. */
    void insert(final int index, final int area, final int order, final long page, final long bytes) {
        openGap(index, 1);
        set(index, area, order, page, bytes);
    }

    /** Sets an entry. */
    void set(final int index, final int area, final int order, final long page, final long bytes) {
        childArea[index] = area;
        childOrder[index] = order;
        childPage[index] = page;
        childBytes[index] = bytes;
    }

    /** Appends {@code n} entries of another node, from {@code from}. */
    void appendFrom(final LargeNode other, final int from, final int n) {
        ensure(count + n);
        System.arraycopy(other.childArea, from, childArea, count, n);
        System.arraycopy(other.childOrder, from, childOrder, count, n);
        System.arraycopy(other.childPage, from, childPage, count, n);
        System.arraycopy(other.childBytes, from, childBytes, count, n);
        count += n;
    }

    /** Removes {@code n} entries from {@code index}. */
    void remove(final int index, final int n) {
        final int tail = count - index - n;
        System.arraycopy(childArea, index + n, childArea, index, tail);
        System.arraycopy(childOrder, index + n, childOrder, index, tail);
        System.arraycopy(childPage, index + n, childPage, index, tail);
        System.arraycopy(childBytes, index + n, childBytes, index, tail);
        count -= n;
    }

    /** Copies the identity and root fields of another node (not its entries). */
    void copyHeader(final LargeNode other) {
        level = other.level;
        flags = other.flags;
        ownerRef = other.ownerRef;
        length = other.length;
        fileId = other.fileId;
        stripeCount = other.stripeCount;
        nextStripe = other.nextStripe;
        System.arraycopy(other.stripeAreas, 0, stripeAreas, 0, MAX_STRIPE_AREAS);
    }

    /** Reads a node page. */
    void load(final UnsafeBuffer p, final int areaId, final long pageNo) {
        area = areaId;
        page = pageNo;
        level = p.getShort(LargeObjectNodeDescriptor.LEVEL_OFFSET) & 0xFFFF;
        count = p.getShort(LargeObjectNodeDescriptor.ENTRY_COUNT_OFFSET) & 0xFFFF;
        flags = p.getShort(LargeObjectNodeDescriptor.FLAGS_OFFSET) & 0xFFFF;
        stripeCount = p.getShort(LargeObjectNodeDescriptor.STRIPE_COUNT_OFFSET) & 0xFFFF;
        ownerRef = p.getLong(LargeObjectNodeDescriptor.OWNER_REF_OFFSET);
        length = p.getLong(LargeObjectNodeDescriptor.LENGTH_OFFSET);
        fileId = p.getInt(LargeObjectNodeDescriptor.FILE_ID_OFFSET);
        nextStripe = p.getShort(LargeObjectNodeDescriptor.NEXT_STRIPE_OFFSET) & 0xFFFF;
        for (int i = 0; i < MAX_STRIPE_AREAS; i++) {
            stripeAreas[i] = p.getShort(LargeObjectNodeDescriptor.stripeAreaOffset(i)) & 0xFFFF;
        }
        final int n = Math.min(count, ENTRY_CAPACITY);
        count = n;
        for (int i = 0; i < n; i++) {
            final int e = LargeObjectNodeDescriptor.entryOffset(i);
            childArea[i] = p.getShort(e + LargeObjectEntryDescriptor.CHILD_AREA_OFFSET) & 0xFFFF;
            childOrder[i] = p.getShort(e + LargeObjectEntryDescriptor.CHILD_ORDER_OFFSET) & 0xFFFF;
            childPage[i] = p.getInt(e + LargeObjectEntryDescriptor.CHILD_PAGE_OFFSET) & 0xFFFF_FFFFL;
            childBytes[i] = p.getLong(e + LargeObjectEntryDescriptor.BYTE_COUNT_OFFSET);
        }
    }

    /** Writes the node into a page (the caller pinned it and took the update path); unused bytes become zero. */
    void store(final UnsafeBuffer p) {
        if (count > ENTRY_CAPACITY) {
            throw new IllegalStateException("large-object node over capacity: page=" + page + ", entries=" + count);
        }
        p.setMemory(PageHeaderDescriptor.HEADER_LENGTH, p.capacity() - PageHeaderDescriptor.HEADER_LENGTH, (byte) 0);
        p.putShort(PAGE_TYPE_OFFSET, PageHeaderDescriptor.TYPE_LARGE_NODE);
        p.putShort(FORMAT_VERSION_OFFSET, PageHeaderDescriptor.FORMAT_VERSION);
        p.putShort(LargeObjectNodeDescriptor.LEVEL_OFFSET, (short) level);
        p.putShort(LargeObjectNodeDescriptor.ENTRY_COUNT_OFFSET, (short) count);
        p.putShort(LargeObjectNodeDescriptor.FLAGS_OFFSET, (short) flags);
        p.putLong(LargeObjectNodeDescriptor.OWNER_REF_OFFSET, ownerRef);
        if (isRoot()) {
            p.putShort(LargeObjectNodeDescriptor.STRIPE_COUNT_OFFSET, (short) stripeCount);
            p.putLong(LargeObjectNodeDescriptor.LENGTH_OFFSET, length);
            p.putInt(LargeObjectNodeDescriptor.FILE_ID_OFFSET, fileId);
            p.putShort(LargeObjectNodeDescriptor.NEXT_STRIPE_OFFSET, (short) nextStripe);
            for (int i = 0; i < stripeCount; i++) {
                p.putShort(LargeObjectNodeDescriptor.stripeAreaOffset(i), (short) stripeAreas[i]);
            }
        }
        for (int i = 0; i < count; i++) {
            final int e = LargeObjectNodeDescriptor.entryOffset(i);
            p.putShort(e + LargeObjectEntryDescriptor.CHILD_AREA_OFFSET, (short) childArea[i]);
            p.putShort(e + LargeObjectEntryDescriptor.CHILD_ORDER_OFFSET, (short) childOrder[i]);
            p.putInt(e + LargeObjectEntryDescriptor.CHILD_PAGE_OFFSET, (int) childPage[i]);
            p.putLong(e + LargeObjectEntryDescriptor.BYTE_COUNT_OFFSET, childBytes[i]);
        }
    }
}
