package org.bess.server.area;

import static org.bess.format.ExtentMapDescriptor.FREE_PAGES_OFFSET;
import static org.bess.format.ExtentMapDescriptor.MAX_ORDER_OFFSET;
import static org.bess.format.ExtentMapDescriptor.META_PAGES_OFFSET;

import java.util.ArrayList;
import java.util.List;
import org.agrona.MutableDirectBuffer;
import org.bess.format.ExtentMapDescriptor;

/**
 * The binary buddy system over one extent, operating directly on the extent's map page (see {@link
 * ExtentMapDescriptor}): a free bitmap and an allocated bitmap per order. A block of order k is {@code 2^k} pages at an
 * extent-relative page that is a multiple of {@code 2^k}; its buddy is the block at {@code page ^ 2^k}. Free blocks are
 * kept maximal (a free block's buddy is never free as well).
 *
 * <p>Stateless; callers pass the map page. Not thread safe on one page.
 */
public final class BuddyAllocator {
    private BuddyAllocator() {}

    /**
     * Formats an empty extent map: everything free except the metadata block at page 0.
     *
     * @param map the map page (header fields other than the buddy's are the caller's).
     * @param extentNo the extent's number.
     * @param extentPages pages in the extent, a power of two.
     */
    public static void format(final MutableDirectBuffer map, final int extentNo, final int extentPages) {
        final int maxOrder = Integer.numberOfTrailingZeros(extentPages);
        final int metaPages = ExtentMapDescriptor.metaPages(extentPages);
        map.putInt(ExtentMapDescriptor.EXTENT_NO_OFFSET, extentNo);
        map.putInt(MAX_ORDER_OFFSET, maxOrder);
        map.putInt(META_PAGES_OFFSET, metaPages);
        final int end = ExtentMapDescriptor.allocBitmapOffset(maxOrder, maxOrder + 1);
        map.setMemory(ExtentMapDescriptor.BITMAPS_OFFSET, end - ExtentMapDescriptor.BITMAPS_OFFSET, (byte) 0);
        setBit(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, maxOrder), 0, true);
        map.putInt(FREE_PAGES_OFFSET, extentPages);
        final int got = allocate(map, Integer.numberOfTrailingZeros(metaPages));
        if (got != 0) {
            throw new IllegalStateException("metadata block not at page 0: got=" + got);
        }
    }

    /** The largest order of the extent. */
    public static int maxOrder(final MutableDirectBuffer map) {
        return map.getInt(MAX_ORDER_OFFSET);
    }

    /** Free pages in the extent. */
    public static int freePages(final MutableDirectBuffer map) {
        return map.getInt(FREE_PAGES_OFFSET);
    }

    /** The largest order with a free block, or -1 when the extent is full. */
    public static int largestFreeOrder(final MutableDirectBuffer map) {
        final int maxOrder = maxOrder(map);
        for (int k = maxOrder; k >= 0; k--) {
            if (firstSet(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, k), 1 << (maxOrder - k)) >= 0) {
                return k;
            }
        }
        return -1;
    }

    /**
     * Allocates a block of {@code 2^order} pages.
     *
     * @return the extent-relative first page, or -1 when no block is free.
     */
    public static int allocate(final MutableDirectBuffer map, final int order) {
        final int maxOrder = maxOrder(map);
        if (order < 0 || order > maxOrder) {
            throw new IllegalArgumentException("order out of range: order=" + order + ", maxOrder=" + maxOrder);
        }
        int k = order;
        int block = -1;
        for (; k <= maxOrder; k++) {
            block = firstSet(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, k), 1 << (maxOrder - k));
            if (block >= 0) {
                break;
            }
        }
        if (block < 0) {
            return -1;
        }
        setBit(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, k), block, false);
        int page = block << k;
        while (k > order) {
            k--;
            // keep the lower half, free the upper half
            setBit(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, k), (page >> k) + 1, true);
        }
        setBit(map, ExtentMapDescriptor.allocBitmapOffset(maxOrder, order), page >> order, true);
        map.putInt(FREE_PAGES_OFFSET, freePages(map) - (1 << order));
        return page;
    }

    /**
     * Allocates the block of {@code 2^order} pages at {@code page}, which must lie inside a free block (the logical
     * undo of a free: the block is taken back exactly where it was).
     *
     * @return whether it was free and is now allocated; false (nothing changed) when some of it is in use.
     */
    public static boolean allocateAt(final MutableDirectBuffer map, final int page, final int order) {
        final int maxOrder = maxOrder(map);
        if (order < 0 || order > maxOrder || (page & ((1 << order) - 1)) != 0 || page < 0 || page >= 1 << maxOrder) {
            return false;
        }
        int k = order;
        while (k <= maxOrder && !bit(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, k), page >> k)) {
            k++;
        }
        if (k > maxOrder) {
            return false;
        }
        setBit(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, k), page >> k, false);
        while (k > order) {
            k--;
            // the half of the free block that does not hold the wanted one stays free
            setBit(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, k), (page >> k) ^ 1, true);
        }
        setBit(map, ExtentMapDescriptor.allocBitmapOffset(maxOrder, order), page >> order, true);
        map.putInt(FREE_PAGES_OFFSET, freePages(map) - (1 << order));
        return true;
    }

    /**
     * Frees an allocated block and merges it with free buddies.
     *
     * @throws IllegalStateException when no block of that order was allocated there (a double free or a bad pointer).
     */
    public static void free(final MutableDirectBuffer map, final int page, final int order) {
        final int maxOrder = maxOrder(map);
        checkAllocated(map, page, order);
        setBit(map, ExtentMapDescriptor.allocBitmapOffset(maxOrder, order), page >> order, false);
        map.putInt(FREE_PAGES_OFFSET, freePages(map) + (1 << order));
        insertFree(map, page, order);
    }

    /**
     * Shrinks an allocated block in place to a smaller order, freeing its upper parts.
     *
     * @param page the block's first page.
     * @param order its current order.
     * @param newOrder the smaller order (equal: nothing changes).
     * @throws IllegalStateException when no block of {@code order} is allocated at {@code page}.
     * @throws IllegalArgumentException when {@code newOrder} is negative or larger than {@code order}.
     */
    public static void shrink(final MutableDirectBuffer map, final int page, final int order, final int newOrder) {
        final int maxOrder = maxOrder(map);
        checkAllocated(map, page, order);
        if (newOrder < 0 || newOrder > order) {
            // a larger "new order" would mark pages allocated that belong to other blocks and corrupt the counts
            throw new IllegalArgumentException(
                    "shrink to an order out of range: page=" + page + ", order=" + order + ", newOrder=" + newOrder);
        }
        setBit(map, ExtentMapDescriptor.allocBitmapOffset(maxOrder, order), page >> order, false);
        setBit(map, ExtentMapDescriptor.allocBitmapOffset(maxOrder, newOrder), page >> newOrder, true);
        for (int k = newOrder; k < order; k++) {
            setBit(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, k), (page >> k) + 1, true);
        }
        map.putInt(FREE_PAGES_OFFSET, freePages(map) + (1 << order) - (1 << newOrder));
    }

    /**
     * Tries to grow an allocated block in place to {@code order + 1} by taking its free buddy (only when the block is
     * the lower half).
     *
     * @return whether it grew.
     */
    public static boolean tryGrow(final MutableDirectBuffer map, final int page, final int order) {
        final int maxOrder = maxOrder(map);
        checkAllocated(map, page, order);
        if (order >= maxOrder || (page & (1 << order)) != 0) {
            return false;
        }
        final int buddyBlock = (page >> order) + 1;
        final int freeOffset = ExtentMapDescriptor.freeBitmapOffset(maxOrder, order);
        if (!bit(map, freeOffset, buddyBlock)) {
            return false;
        }
        setBit(map, freeOffset, buddyBlock, false);
        setBit(map, ExtentMapDescriptor.allocBitmapOffset(maxOrder, order), page >> order, false);
        setBit(map, ExtentMapDescriptor.allocBitmapOffset(maxOrder, order + 1), page >> (order + 1), true);
        map.putInt(FREE_PAGES_OFFSET, freePages(map) - (1 << order));
        return true;
    }

    /** Whether an allocated block of this order starts at this page. */
    public static boolean isAllocated(final MutableDirectBuffer map, final int page, final int order) {
        final int maxOrder = maxOrder(map);
        return order >= 0
                && order <= maxOrder
                && (page & ((1 << order) - 1)) == 0
                && page >= 0
                && page < (1 << maxOrder)
                && bit(map, ExtentMapDescriptor.allocBitmapOffset(maxOrder, order), page >> order);
    }

    /** The allocated blocks as {@code {page, order}} pairs, the metadata block included. */
    public static List<int[]> allocatedBlocks(final MutableDirectBuffer map) {
        final int maxOrder = maxOrder(map);
        final List<int[]> blocks = new ArrayList<>();
        for (int k = 0; k <= maxOrder; k++) {
            final int offset = ExtentMapDescriptor.allocBitmapOffset(maxOrder, k);
            for (int b = 0; b < 1 << (maxOrder - k); b++) {
                if (bit(map, offset, b)) {
                    blocks.add(new int[] {b << k, k});
                }
            }
        }
        return blocks;
    }

    /**
     * Verifies the maps: free and allocated blocks tile the extent exactly, free blocks are maximal, and the free-page
     * count agrees.
     *
     * @return one line per problem; empty when healthy.
     */
    public static List<String> check(final MutableDirectBuffer map) {
        final int maxOrder = maxOrder(map);
        final List<String> problems = new ArrayList<>();
        if (maxOrder < 8 || maxOrder > 12) {
            problems.add("bad max order: " + maxOrder);
            return problems;
        }
        final int pages = 1 << maxOrder;
        final byte[] owner = new byte[pages];
        int free = 0;
        for (int k = 0; k <= maxOrder; k++) {
            final int freeOffset = ExtentMapDescriptor.freeBitmapOffset(maxOrder, k);
            final int allocOffset = ExtentMapDescriptor.allocBitmapOffset(maxOrder, k);
            for (int b = 0; b < 1 << (maxOrder - k); b++) {
                final boolean isFree = bit(map, freeOffset, b);
                final boolean isAlloc = bit(map, allocOffset, b);
                if (!isFree && !isAlloc) {
                    continue;
                }
                if (isFree && isAlloc) {
                    problems.add("block both free and allocated: page=" + (b << k) + ", order=" + k);
                }
                if (isFree) {
                    free += 1 << k;
                    if (k < maxOrder && bit(map, freeOffset, b ^ 1)) {
                        problems.add("free block with a free buddy (not merged): page=" + (b << k) + ", order=" + k);
                    }
                }
                for (int p = b << k; p < (b + 1) << k; p++) {
                    if (owner[p] != 0) {
                        problems.add("page covered twice: page=" + p + ", order=" + k);
                        break;
                    }
                    owner[p] = 1;
                }
            }
        }
        for (int p = 0; p < pages; p++) {
            if (owner[p] == 0) {
                problems.add("page neither free nor allocated: page=" + p);
                break;
            }
        }
        if (free != freePages(map)) {
            problems.add("free page count mismatch: recorded=" + freePages(map) + ", actual=" + free);
        }
        return problems;
    }

    private static void checkAllocated(final MutableDirectBuffer map, final int page, final int order) {
        if (!isAllocated(map, page, order)) {
            throw new IllegalStateException(
                    "no allocated block here (double free or bad pointer): page=" + page + ", order=" + order);
        }
    }

    private static void insertFree(final MutableDirectBuffer map, final int startPage, final int startOrder) {
        final int maxOrder = maxOrder(map);
        int page = startPage;
        int k = startOrder;
        while (k < maxOrder) {
            final int offset = ExtentMapDescriptor.freeBitmapOffset(maxOrder, k);
            final int buddy = (page >> k) ^ 1;
            if (!bit(map, offset, buddy)) {
                break;
            }
            setBit(map, offset, buddy, false);
            page &= ~(1 << k);
            k++;
        }
        setBit(map, ExtentMapDescriptor.freeBitmapOffset(maxOrder, k), page >> k, true);
    }

    private static boolean bit(final MutableDirectBuffer map, final int bitmapOffset, final int index) {
        return (map.getLong(bitmapOffset + (index >>> 6) * Long.BYTES) & (1L << (index & 63))) != 0;
    }

    private static void setBit(
            final MutableDirectBuffer map, final int bitmapOffset, final int index, final boolean on) {
        final int offset = bitmapOffset + (index >>> 6) * Long.BYTES;
        final long word = map.getLong(offset);
        map.putLong(offset, on ? word | (1L << (index & 63)) : word & ~(1L << (index & 63)));
    }

    private static int firstSet(final MutableDirectBuffer map, final int bitmapOffset, final int bits) {
        final int longs = (bits + 63) >>> 6;
        for (int i = 0; i < longs; i++) {
            final long word = map.getLong(bitmapOffset + i * Long.BYTES);
            if (word != 0) {
                final int index = (i << 6) + Long.numberOfTrailingZeros(word);
                return index < bits ? index : -1;
            }
        }
        return -1;
    }
}
