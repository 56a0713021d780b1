package org.bess.server;

import static org.bess.format.LargeObjectNodeDescriptor.ENTRY_CAPACITY;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;
import static org.bess.format.PageHeaderDescriptor.PAGE_TYPE_OFFSET;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.CorruptPageException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LargeObjectEntryDescriptor;
import org.bess.format.LargeObjectNodeDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.RefDescriptor;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;

/**
 * The large-object trees of one database (BeSS §2.2 after EOS): byte positions map to leaves (buddy blocks of data
 * pages, up to {@link #maxLeafBytes()}) through nodes that hold a byte count per child. Reads and overwrites walk one
 * path down and then along the leaves; inserts, deletes and appends change only the leaves around the position and the
 * nodes on its path: a node that overflows splits (its parent gets an entry), an empty node goes, a node under a
 * quarter full merges with a sibling, a root with one child hands its entries up, and small neighbouring leaves merge.
 *
 * <p>Every changed page takes the update path first ({@link LeafPages} for leaves, {@link #storeNode} for nodes). A
 * change in progress is kept in {@link LargeNode} copies of the nodes on its path and stored bottom-up by {@link
 * #commitPath}. Not thread safe: the engine thread, or the I/O thread while the session thread waits at the barrier.
 */
final class LargeObjectTree {
    /** Most node levels a tree may have (a node's fan-out makes 5 enough for any area). */
    static final int MAX_DEPTH = 16;

    /** Where a large object's tree starts: its root node page and its reference word. */
    static final class Root {
        int area;
        long page;
        long ref;

        void set(final int areaId, final long pageNo, final long word) {
            area = areaId;
            page = pageNo;
            ref = word;
        }
    }

    private final EngineDatabase db;
    private final BufferCache cache;
    private final UpdatePath updates;
    private final EngineIoThreads io;
    private final LeafPages leaves;
    private final UnsafeBuffer nodeView = new UnsafeBuffer(0, 0);
    private final int maxLeafOrder;
    /** Entries a node fills before it splits ({@link LargeObjectNodeDescriptor#ENTRY_CAPACITY} but for tests). */
    private final int fanout;

    private final byte[] staging;
    private final byte[] tail;

    // the path of a change: nodes[0] is the root, nodes[depth - 1] the level-0 node
    private final LargeNode[] pathNodes = new LargeNode[MAX_DEPTH];
    private final int[] pathIndex = new int[MAX_DEPTH];
    private int pathDepth;
    private long pathLeafStart;
    private final LargeNode sibling = new LargeNode();

    // the read cursor: the nodes from the root to the current leaf
    private final int[] stackArea = new int[MAX_DEPTH];
    private final long[] stackPage = new long[MAX_DEPTH];
    private final int[] stackIndex = new int[MAX_DEPTH];
    private final int[] stackCount = new int[MAX_DEPTH];
    private int stackDepth;
    private int leafArea;
    private int leafOrder;
    private long leafPage;
    private long leafUsed;
    private long leafStart;

    private int lastAllocatedArea;

    LargeObjectTree(final EngineDatabase db) {
        this.db = db;
        this.cache = db.cache();
        this.updates = db.server().updatePath();
        this.io = db.server().io();
        this.leaves = new LeafPages(cache, updates);
        final int extentOrder = Integer.numberOfTrailingZeros(db.root().extentPages());
        // the lower half of every extent starts with its metadata: a leaf is at most the upper half
        this.maxLeafOrder = Math.min(db.server().context().largeLeafOrder(), extentOrder - 1);
        this.fanout = Math.min(ENTRY_CAPACITY, Math.max(4, db.server().context().largeNodeFanout()));
        this.staging = new byte[PAGE_LENGTH << maxLeafOrder];
        this.tail = new byte[PAGE_LENGTH << maxLeafOrder];
        for (int d = 0; d < MAX_DEPTH; d++) {
            pathNodes[d] = new LargeNode();
        }
    }

    /** Bytes of the largest leaf. */
    long maxLeafBytes() {
        return (long) PAGE_LENGTH << maxLeafOrder;
    }

    /** The smallest leaf order holding {@code bytes}, at most the largest leaf. */
    int orderFor(final long bytes) {
        final long pages = Math.max(1, (bytes + PAGE_LENGTH - 1) >>> PAGE_SHIFT);
        return Math.min(maxLeafOrder, 64 - Long.numberOfLeadingZeros(pages - 1));
    }

    // ---------------------------------------------------------------- nodes

    private CorruptPageException corrupt(final Root root, final String what) {
        return new CorruptPageException("large object tree is damaged: " + what + ": database=" + db.path()
                + ", object=" + RefDescriptor.toString(root.ref));
    }

    private void checkNode(final UnsafeBuffer p, final int area, final long page, final long owner) {
        if (p.getShort(PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_LARGE_NODE) {
            throw new CorruptPageException("not a large-object node: database=" + db.path() + ", area=" + area
                    + ", page=" + page + ", type=" + p.getShort(PAGE_TYPE_OFFSET) + ", object="
                    + RefDescriptor.toString(owner));
        }
        if ((p.getShort(LargeObjectNodeDescriptor.ENTRY_COUNT_OFFSET) & 0xFFFF) > ENTRY_CAPACITY) {
            throw new CorruptPageException("large-object node with more entries than fit: database=" + db.path()
                    + ", area=" + area + ", page=" + page + ", entries="
                    + (p.getShort(LargeObjectNodeDescriptor.ENTRY_COUNT_OFFSET) & 0xFFFF));
        }
        if (p.getLong(LargeObjectNodeDescriptor.OWNER_REF_OFFSET) != owner) {
            throw new CorruptPageException("large-object node of another object: database=" + db.path() + ", area="
                    + area + ", page=" + page + ", owner="
                    + RefDescriptor.toString(p.getLong(LargeObjectNodeDescriptor.OWNER_REF_OFFSET)) + ", object="
                    + RefDescriptor.toString(owner));
        }
    }

    /** Loads a node page into {@code into}. */
    LargeNode loadNode(final int area, final long page, final long owner, final LargeNode into) {
        final StorageArea a = db.area(area);
        final int frame = cache.pin(a.window(), page, true);
        try {
            cache.wrap(nodeView, frame);
            checkNode(nodeView, area, page, owner);
            into.load(nodeView, area, page);
        } finally {
            cache.unpin(frame);
        }
        return into;
    }

    /** Stores a node into its page. */
    void storeNode(final LargeNode node) {
        final StorageArea a = db.area(node.area);
        final int frame = cache.pin(a.window(), node.page, true);
        try {
            updates.onFirstWrite(a.window(), node.page, frame);
            node.store(cache.wrap(nodeView, frame));
        } finally {
            cache.unpin(frame);
        }
    }

    /** Stores a node into a page just allocated for it (never read from disk). */
    void storeNewNode(final LargeNode node) {
        final StorageArea a = db.area(node.area);
        final int frame = cache.pinNew(a.window(), node.page, true);
        try {
            updates.onFirstWrite(a.window(), node.page, frame);
            node.store(cache.wrap(nodeView, frame));
        } finally {
            cache.unpin(frame);
        }
    }

    /**
     * Frees a node page (at commit: see {@link EngineDatabase#deferFree}); its type becomes 0 so that a stale pointer
     * to it is caught.
     */
    void freeNode(final int area, final long page) {
        final StorageArea a = db.area(area);
        final int frame = cache.pin(a.window(), page, true);
        try {
            updates.onFirstWrite(a.window(), page, frame);
            cache.wrap(nodeView, frame).putShort(PAGE_TYPE_OFFSET, (short) 0);
        } finally {
            cache.unpin(frame);
        }
        db.deferFree(a, page, 0);
    }

    private void freeLeaf(final LargeNode node, final int index) {
        db.deferFree(db.area(node.childArea[index]), node.childPage[index], node.childOrder[index]);
    }

    // ---------------------------------------------------------------- allocation

    private void grew(final StorageArea area) {
        // the I/O thread never touches the virtual frames; the next allocation on the session thread covers it
        if (!io.onIoThread()) {
            db.areaGrew(area);
        }
    }

    private long tryAllocate(final StorageArea area, final int order) {
        final long page = area.allocate(order);
        if (page >= 0) {
            grew(area);
            lastAllocatedArea = area.id();
        }
        return page;
    }

    private long allocateAnywhere(final int order, final String what) {
        for (final StorageArea a : db.openAreas()) {
            final long page = tryAllocate(a, order);
            if (page >= 0) {
                return page;
            }
        }
        throw new BessException(
                ErrorCode.STORAGE_FULL,
                "no area has room for a large-object " + what + ": database=" + db.path() + ", pages=" + (1 << order));
    }

    /** Allocates a leaf block in the next stripe area that has room (then in any area); sets its area. */
    long allocateLeaf(final LargeNode root, final int order) {
        final int n = root.stripeCount;
        for (int k = 0; k < n; k++) {
            final int index = (root.nextStripe + k) % n;
            final long page = tryAllocate(db.area(root.stripeAreas[index]), order);
            if (page >= 0) {
                root.nextStripe = (index + 1) % n;
                leaves.allocated(db.area(lastAllocatedArea), page);
                return page;
            }
        }
        final long page = allocateAnywhere(order, "segment");
        leaves.allocated(db.area(lastAllocatedArea), page);
        return page;
    }

    /** The open transaction ended: blocks it allocated are old now. */
    void endTransaction() {
        leaves.endTransaction();
    }

    /** Allocates a node page in the object's first stripe area (then in any area); sets its area. */
    long allocateNode(final LargeNode root) {
        final long page = tryAllocate(db.area(root.stripeAreas[0]), 0);
        return page >= 0 ? page : allocateAnywhere(0, "node");
    }

    /** The area of the last block allocated. */
    int lastAllocatedArea() {
        return lastAllocatedArea;
    }

    // ---------------------------------------------------------------- reading

    /** The object's length, from its root. */
    long length(final Root root) {
        final StorageArea a = db.area(root.area);
        final int frame = cache.pin(a.window(), root.page, true);
        try {
            cache.wrap(nodeView, frame);
            checkNode(nodeView, root.area, root.page, root.ref);
            return nodeView.getLong(LargeObjectNodeDescriptor.LENGTH_OFFSET);
        } finally {
            cache.unpin(frame);
        }
    }

    /**
     * Puts the read cursor on the leaf holding byte {@code pos} (the last leaf when {@code pos} is the length).
     *
     * @return false when the object is empty.
     */
    private boolean seek(final Root root, final long pos) {
        int area = root.area;
        long page = root.page;
        long acc = 0;
        for (int depth = 0; ; depth++) {
            if (depth == MAX_DEPTH) {
                throw corrupt(root, "deeper than " + MAX_DEPTH + " levels");
            }
            final StorageArea a = db.area(area);
            final int frame = cache.pin(a.window(), page, true);
            try {
                cache.wrap(nodeView, frame);
                checkNode(nodeView, area, page, root.ref);
                final int level = nodeView.getShort(LargeObjectNodeDescriptor.LEVEL_OFFSET) & 0xFFFF;
                final int n = nodeView.getShort(LargeObjectNodeDescriptor.ENTRY_COUNT_OFFSET) & 0xFFFF;
                if (n == 0 || n > ENTRY_CAPACITY) {
                    if (depth == 0 && n == 0) {
                        return false;
                    }
                    throw corrupt(root, "node with " + n + " entries at page " + page);
                }
                int i = 0;
                long c = 0;
                for (; i < n; i++) {
                    c = nodeView.getLong(
                            LargeObjectNodeDescriptor.entryOffset(i) + LargeObjectEntryDescriptor.BYTE_COUNT_OFFSET);
                    if (pos < acc + c) {
                        break;
                    }
                    acc += c;
                }
                if (i == n) {
                    i = n - 1;
                    acc -= c;
                }
                stackArea[depth] = area;
                stackPage[depth] = page;
                stackIndex[depth] = i;
                stackCount[depth] = n;
                final int e = LargeObjectNodeDescriptor.entryOffset(i);
                final int childArea = nodeView.getShort(e + LargeObjectEntryDescriptor.CHILD_AREA_OFFSET) & 0xFFFF;
                final long childPage = nodeView.getInt(e + LargeObjectEntryDescriptor.CHILD_PAGE_OFFSET) & 0xFFFF_FFFFL;
                if (level == 0) {
                    leafArea = childArea;
                    leafPage = childPage;
                    leafOrder = nodeView.getShort(e + LargeObjectEntryDescriptor.CHILD_ORDER_OFFSET) & 0xFFFF;
                    leafUsed = c;
                    leafStart = acc;
                    stackDepth = depth + 1;
                    return true;
                }
                area = childArea;
                page = childPage;
            } finally {
                cache.unpin(frame);
            }
        }
    }

    /**
     * Moves the read cursor to the next leaf.
     *
     * @return false after the last leaf.
     */
    private boolean nextLeaf(final Root root) {
        final long start = leafStart + leafUsed;
        int d = stackDepth - 1;
        while (d >= 0 && stackIndex[d] + 1 >= stackCount[d]) {
            d--;
        }
        if (d < 0) {
            return false;
        }
        stackIndex[d]++;
        while (true) {
            final StorageArea a = db.area(stackArea[d]);
            final int frame = cache.pin(a.window(), stackPage[d], true);
            try {
                cache.wrap(nodeView, frame);
                checkNode(nodeView, stackArea[d], stackPage[d], root.ref);
                final int level = nodeView.getShort(LargeObjectNodeDescriptor.LEVEL_OFFSET) & 0xFFFF;
                stackCount[d] = nodeView.getShort(LargeObjectNodeDescriptor.ENTRY_COUNT_OFFSET) & 0xFFFF;
                if (stackIndex[d] >= stackCount[d] || stackCount[d] > ENTRY_CAPACITY) {
                    throw corrupt(root, "node with " + stackCount[d] + " entries at page " + stackPage[d]);
                }
                final int e = LargeObjectNodeDescriptor.entryOffset(stackIndex[d]);
                final int childArea = nodeView.getShort(e + LargeObjectEntryDescriptor.CHILD_AREA_OFFSET) & 0xFFFF;
                final long childPage = nodeView.getInt(e + LargeObjectEntryDescriptor.CHILD_PAGE_OFFSET) & 0xFFFF_FFFFL;
                if (level == 0) {
                    leafArea = childArea;
                    leafPage = childPage;
                    leafOrder = nodeView.getShort(e + LargeObjectEntryDescriptor.CHILD_ORDER_OFFSET) & 0xFFFF;
                    leafUsed = nodeView.getLong(e + LargeObjectEntryDescriptor.BYTE_COUNT_OFFSET);
                    leafStart = start;
                    stackDepth = d + 1;
                    return true;
                }
                if (d + 1 == MAX_DEPTH) {
                    throw corrupt(root, "deeper than " + MAX_DEPTH + " levels");
                }
                stackArea[d + 1] = childArea;
                stackPage[d + 1] = childPage;
                stackIndex[d + 1] = 0;
            } finally {
                cache.unpin(frame);
            }
            d++;
        }
    }

    /**
     * Copies {@code length} bytes from {@code pos} to a sink (the range is inside the object).
     *
     * @param stream a scan: pages not cached are read around the cache (see {@link LeafPages#read}).
     */
    void read(
            final Root root,
            final long pos,
            final LeafPages.Sink sink,
            final long sinkOffset,
            final long length,
            final boolean stream) {
        if (length == 0) {
            return;
        }
        if (!seek(root, pos)) {
            throw corrupt(root, "empty tree under a read at " + pos);
        }
        long offset = pos - leafStart;
        long done = 0;
        while (true) {
            final long n = Math.min(length - done, leafUsed - offset);
            if (n <= 0 || leafUsed > PAGE_LENGTH << leafOrder) {
                throw corrupt(root, "leaf at page " + leafPage + " holds " + leafUsed + " bytes");
            }
            leaves.read(db.area(leafArea), leafPage, offset, sink, sinkOffset + done, n, stream);
            done += n;
            if (done == length) {
                return;
            }
            if (!nextLeaf(root)) {
                throw corrupt(root, "tree shorter than its length");
            }
            offset = 0;
        }
    }

    /** Overwrites {@code length} bytes from {@code pos} (the range is inside the object); no node changes. */
    void overwrite(
            final Root root, final long pos, final LeafPages.Source src, final long srcOffset, final long length) {
        if (length == 0) {
            return;
        }
        if (!seek(root, pos)) {
            throw corrupt(root, "empty tree under a write at " + pos);
        }
        long offset = pos - leafStart;
        long done = 0;
        while (true) {
            final long n = Math.min(length - done, leafUsed - offset);
            if (n <= 0) {
                throw corrupt(root, "leaf at page " + leafPage + " holds " + leafUsed + " bytes");
            }
            leaves.write(db.area(leafArea), leafPage, offset, src, srcOffset + done, n, LeafPages.NONE_FRESH);
            done += n;
            if (done == length) {
                return;
            }
            if (!nextLeaf(root)) {
                throw corrupt(root, "tree shorter than its length");
            }
            offset = 0;
        }
    }

    /**
     * Brings the pages holding {@code [pos, pos + length)} into the cache, in runs, until {@code stop} says so or
     * {@code maxPages} were read.
     */
    void prefetch(final Root root, final long pos, final long length, final long maxPages, final BooleanSupplier stop) {
        if (length == 0 || !seek(root, pos)) {
            return;
        }
        long offset = pos - leafStart;
        long done = 0;
        long pages = 0;
        while (done < length && pages < maxPages && !stop.getAsBoolean()) {
            final long n = Math.min(length - done, leafUsed - offset);
            if (n <= 0) {
                return;
            }
            final StorageArea a = db.area(leafArea);
            final long first = offset >>> PAGE_SHIFT;
            final long last = (offset + n - 1) >>> PAGE_SHIFT;
            for (long p = first; p <= last && !stop.getAsBoolean(); p += LeafPages.READ_AHEAD_PAGES) {
                final int run = (int) Math.min(LeafPages.READ_AHEAD_PAGES, last - p + 1);
                cache.loadRun(a.window(), leafPage + p, run);
                pages += run;
            }
            done += n;
            if (done < length && !nextLeaf(root)) {
                return;
            }
            offset = 0;
        }
    }

    // ---------------------------------------------------------------- the path of a change

    /** Loads the root for a change: it is {@code pathNodes[0]} until the change is committed. */
    LargeNode loadRoot(final Root root) {
        final LargeNode node = loadNode(root.area, root.page, root.ref, pathNodes[0]);
        if (!node.isRoot()) {
            throw corrupt(root, "the slot points at a node that is not a root: page=" + root.page);
        }
        return node;
    }

    /**
     * Loads the nodes from the root ({@code pathNodes[0]}, loaded) to the level-0 node holding byte {@code pos} (the
     * last leaf when {@code pos} is the length). An empty root is a level-0 node with no entries (index -1).
     */
    private void loadPath(final Root root, final long pos) {
        LargeNode node = pathNodes[0];
        long acc = 0;
        for (int d = 0; ; d++) {
            final int n = node.count;
            if (n == 0) {
                if (d > 0 || node.level != 0) {
                    throw corrupt(root, "empty node at page " + node.page);
                }
                pathIndex[0] = -1;
                pathDepth = 1;
                pathLeafStart = 0;
                return;
            }
            int i = 0;
            for (; i < n; i++) {
                if (pos < acc + node.childBytes[i]) {
                    break;
                }
                acc += node.childBytes[i];
            }
            if (i == n) {
                i = n - 1;
                acc -= node.childBytes[i];
            }
            pathIndex[d] = i;
            if (node.level == 0) {
                pathDepth = d + 1;
                pathLeafStart = acc;
                return;
            }
            if (d + 1 == MAX_DEPTH) {
                throw corrupt(root, "deeper than " + MAX_DEPTH + " levels");
            }
            final LargeNode child = loadNode(node.childArea[i], node.childPage[i], root.ref, pathNodes[d + 1]);
            if (child.level + 1 != node.level) {
                throw corrupt(
                        root,
                        "node at page " + child.page + " has level " + child.level + " under level " + node.level);
            }
            node = child;
        }
    }

    /**
     * Stores the path bottom-up after its level-0 node changed: counts go up, an over-full node splits (into full
     * nodes left to right when {@code appending}, else evenly), an empty node goes, a node under a quarter full merges
     * with a sibling when they fit in one, and the root grows or shrinks a level as needed.
     */
    private void commitPath(final boolean appending) {
        for (int d = pathDepth - 1; d >= 1; d--) {
            final LargeNode node = pathNodes[d];
            final LargeNode parent = pathNodes[d - 1];
            final int pi = pathIndex[d - 1];
            if (node.count == 0) {
                freeNode(node.area, node.page);
                parent.remove(pi, 1);
                continue;
            }
            if (node.count > fanout) {
                final List<LargeNode> extra = split(node, appending, pathNodes[0]);
                storeNode(node);
                parent.childBytes[pi] = node.sum();
                parent.openGap(pi + 1, extra.size());
                for (int k = 0; k < extra.size(); k++) {
                    final LargeNode x = extra.get(k);
                    parent.set(pi + 1 + k, x.area, 0, x.page, x.sum());
                }
                continue;
            }
            storeNode(node);
            parent.childBytes[pi] = node.sum();
            if (node.count < fanout / 4) {
                mergeWithSibling(parent, pi, node);
            }
        }
        finishRoot(appending);
    }

    private List<LargeNode> split(final LargeNode node, final boolean appending, final LargeNode root) {
        final int n = node.count;
        final int parts = (n + fanout - 1) / fanout;
        final int[] sizes = new int[parts];
        for (int k = 0; k < parts; k++) {
            sizes[k] = appending ? Math.min(fanout, n - k * fanout) : n / parts + (k < n % parts ? 1 : 0);
        }
        final List<LargeNode> extra = new ArrayList<>();
        int from = sizes[0];
        for (int k = 1; k < parts; k++) {
            final LargeNode x = new LargeNode();
            x.level = node.level;
            x.ownerRef = node.ownerRef;
            x.appendFrom(node, from, sizes[k]);
            from += sizes[k];
            x.page = allocateNode(root);
            x.area = lastAllocatedArea;
            storeNewNode(x);
            extra.add(x);
        }
        node.count = sizes[0];
        return extra;
    }

    private void mergeWithSibling(final LargeNode parent, final int pi, final LargeNode node) {
        if (pi > 0) {
            final LargeNode left = loadNode(parent.childArea[pi - 1], parent.childPage[pi - 1], node.ownerRef, sibling);
            if (left.level == node.level && left.count + node.count <= fanout) {
                left.appendFrom(node, 0, node.count);
                storeNode(left);
                parent.childBytes[pi - 1] = left.sum();
                parent.remove(pi, 1);
                freeNode(node.area, node.page);
                return;
            }
        }
        if (pi + 1 < parent.count) {
            final LargeNode right =
                    loadNode(parent.childArea[pi + 1], parent.childPage[pi + 1], node.ownerRef, sibling);
            if (right.level == node.level && node.count + right.count <= fanout) {
                node.appendFrom(right, 0, right.count);
                storeNode(node);
                parent.childBytes[pi] = node.sum();
                parent.remove(pi + 1, 1);
                freeNode(right.area, right.page);
            }
        }
    }

    private void finishRoot(final boolean appending) {
        final LargeNode root = pathNodes[0];
        while (root.count > fanout) {
            // the root stays where the slot points: its entries move into new children, it goes up a level
            final LargeNode all = new LargeNode();
            all.level = root.level;
            all.ownerRef = root.ownerRef;
            all.appendFrom(root, 0, root.count);
            final List<LargeNode> rest = split(all, appending, root);
            all.page = allocateNode(root);
            all.area = lastAllocatedArea;
            storeNewNode(all);
            root.count = 0;
            root.level++;
            root.insert(0, all.area, 0, all.page, all.sum());
            for (final LargeNode x : rest) {
                root.insert(root.count, x.area, 0, x.page, x.sum());
            }
        }
        while (root.level > 0 && root.count == 1) {
            final LargeNode child = loadNode(root.childArea[0], root.childPage[0], root.ownerRef, sibling);
            root.count = 0;
            root.appendFrom(child, 0, child.count);
            root.level = child.level;
            freeNode(child.area, child.page);
        }
        if (root.count == 0) {
            root.level = 0;
        }
        root.length = root.sum();
        storeNode(root);
    }

    // ---------------------------------------------------------------- changes

    /**
     * Appends bytes at the end: the last leaf's slack first (growing it in place while its buddy is free and the
     * object is not striped), then new leaves, each at least the size of the one before, up to the largest.
     *
     * @return the position of the first appended byte.
     */
    long append(final Root root, final LeafPages.Source src, final long srcOffset, final long length) {
        final LargeNode r = loadRoot(root);
        final long start = r.length;
        if (length == 0) {
            return start;
        }
        loadPath(root, start);
        final LargeNode node = pathNodes[pathDepth - 1];
        final int last = pathIndex[pathDepth - 1];
        long written = 0;
        int lastOrder = -1;
        try {
            if (last >= 0) {
                written = fillLastLeaf(r, node, last, src, srcOffset, length);
                lastOrder = node.childOrder[last];
            }
            while (written < length) {
                final long rest = length - written;
                final int order = Math.max(orderFor(rest), lastOrder < 0 ? 0 : Math.min(lastOrder + 1, maxLeafOrder));
                final long page = allocateLeaf(r, order);
                final int area = lastAllocatedArea;
                final long n = Math.min(rest, (long) PAGE_LENGTH << order);
                node.insert(node.count, area, order, page, n);
                leaves.write(db.area(area), page, 0, src, srcOffset + written, n, 0);
                written += n;
                lastOrder = order;
            }
        } catch (final BessException e) {
            if (e.errorCode() != ErrorCode.STORAGE_FULL) {
                throw e;
            }
            commitPath(true);
            throw new BessException(
                    ErrorCode.STORAGE_FULL,
                    e.getMessage() + "; only part of the bytes were appended: object="
                            + RefDescriptor.toString(root.ref) + ", appended=" + written + ", length=" + length,
                    e);
        }
        commitPath(true);
        return start;
    }

    private long fillLastLeaf(
            final LargeNode r,
            final LargeNode node,
            final int last,
            final LeafPages.Source src,
            final long srcOffset,
            final long length) {
        final StorageArea area = db.area(node.childArea[last]);
        final long page = node.childPage[last];
        int order = node.childOrder[last];
        long used = node.childBytes[last];
        long written = 0;
        while (true) {
            final long k = Math.min(((long) PAGE_LENGTH << order) - used, length - written);
            if (k > 0) {
                leaves.write(area, page, used, src, srcOffset + written, k, used);
                used += k;
                written += k;
                node.childBytes[last] = used;
            }
            if (written == length || r.stripeCount > 1 || order >= maxLeafOrder || !area.tryGrow(page, order)) {
                return written;
            }
            leaves.grew(area, page, (long) PAGE_LENGTH << order);
            order++;
            node.childOrder[last] = order;
        }
    }

    /**
     * Inserts bytes before byte {@code pos} ({@code pos} is inside the object; at its end, {@link #append}). When the
     * leaf has room its tail moves up in place; else the leaf keeps its head and an even share, and new leaves take the
     * rest of the inserted bytes and the old tail.
     */
    void insert(final Root root, final long pos, final LeafPages.Source src, final long srcOffset, final long length) {
        final LargeNode r = loadRoot(root);
        if (length == 0) {
            return;
        }
        if (pos >= r.length) {
            append(root, src, srcOffset, length);
            return;
        }
        loadPath(root, pos);
        final LargeNode node = pathNodes[pathDepth - 1];
        int i = pathIndex[pathDepth - 1];
        long offset = pos - pathLeafStart;
        if (offset == 0 && i > 0 && ((long) PAGE_LENGTH << node.childOrder[i - 1]) - node.childBytes[i - 1] >= length) {
            // at a leaf boundary: the previous leaf's slack takes the bytes, nothing moves
            i--;
            offset = node.childBytes[i];
        }
        final StorageArea area = db.area(node.childArea[i]);
        final long page = node.childPage[i];
        final long used = node.childBytes[i];
        final long capacity = (long) PAGE_LENGTH << node.childOrder[i];
        if (used + length <= capacity) {
            leaves.prepareFresh(area, page, used, used + length);
            leaves.move(area, page, offset, offset + length, used - offset, staging);
            leaves.write(area, page, offset, src, srcOffset, length, LeafPages.NONE_FRESH);
            node.childBytes[i] = used + length;
            commitPath(false);
            return;
        }
        final int tailLength = (int) (used - offset);
        leaves.read(area, page, offset, (p, off, at, n) -> p.getBytes(off, tail, (int) at, n), 0, tailLength, false);
        final LeafPages.Source joined = joined(src, srcOffset, length, tail);
        final long total = length + tailLength;
        final long all = used + length;
        final long share =
                (all + (all + maxLeafBytes() - 1) / maxLeafBytes() - 1) / ((all + maxLeafBytes() - 1) / maxLeafBytes());
        long written;
        if (all <= maxLeafBytes()) {
            // one leaf holds it all, but not this one: move the head into a larger block
            final int order = orderFor(all);
            final long newPage = allocateLeaf(r, order);
            final StorageArea to = db.area(lastAllocatedArea);
            leaves.copy(area, page, 0, to, newPage, 0, offset, staging, 0);
            leaves.write(to, newPage, offset, joined, 0, total, offset);
            freeLeaf(node, i);
            node.set(i, to.id(), order, newPage, all);
            written = total;
        } else {
            final long keep = Math.min(capacity, Math.max(offset, share));
            written = keep - offset;
            leaves.write(area, page, offset, joined, 0, written, used);
            node.childBytes[i] = keep;
        }
        insertLeaves(r, node, i + 1, joined, written, total - written);
        commitPath(false);
        mergeAround(root, pos + length);
    }

    /** Writes {@code length} bytes of {@code src} from {@code from} into new leaves of even size, at {@code index}. */
    private void insertLeaves(
            final LargeNode r,
            final LargeNode node,
            final int index,
            final LeafPages.Source src,
            final long from,
            final long length) {
        if (length == 0) {
            return;
        }
        final long parts = (length + maxLeafBytes() - 1) / maxLeafBytes();
        final long share = (length + parts - 1) / parts;
        int at = index;
        for (long done = 0; done < length; ) {
            final long n = Math.min(share, length - done);
            final int order = orderFor(n);
            final long page = allocateLeaf(r, order);
            final int area = lastAllocatedArea;
            node.insert(at++, area, order, page, n);
            leaves.write(db.area(area), page, 0, src, from + done, n, 0);
            done += n;
        }
    }

    private static LeafPages.Source joined(
            final LeafPages.Source src, final long srcOffset, final long length, final byte[] tailBytes) {
        return (at, page, off, n) -> {
            int done = 0;
            if (at < length) {
                final int k = (int) Math.min(n, length - at);
                src.copyTo(srcOffset + at, page, off, k);
                done = k;
            }
            if (done < n) {
                page.putBytes(off + done, tailBytes, (int) (at + done - length), n - done);
            }
        };
    }

    /**
     * Deletes {@code length} bytes from {@code pos} (the range is inside the object): whole leaves are freed, partial
     * ones close the gap in place, then small neighbours merge.
     */
    void delete(final Root root, final long pos, final long length) {
        loadRoot(root);
        long left = length;
        while (left > 0) {
            loadPath(root, pos);
            final LargeNode node = pathNodes[pathDepth - 1];
            final int i = pathIndex[pathDepth - 1];
            if (i < 0) {
                throw corrupt(root, "empty tree under a delete at " + pos);
            }
            final long offset = pos - pathLeafStart;
            final long used = node.childBytes[i];
            if (offset == 0 && used <= left) {
                int j = i;
                long removed = 0;
                while (j < node.count && removed + node.childBytes[j] <= left) {
                    freeLeaf(node, j);
                    removed += node.childBytes[j];
                    j++;
                }
                node.remove(i, j - i);
                left -= removed;
            } else {
                final long k = Math.min(left, used - offset);
                leaves.move(
                        db.area(node.childArea[i]), node.childPage[i], offset + k, offset, used - offset - k, staging);
                node.childBytes[i] = used - k;
                left -= k;
            }
            commitPath(false);
        }
        mergeAround(root, pos);
    }

    /** Merges the leaf holding {@code pos} with a neighbour when one of them is small and both fit in one leaf. */
    private void mergeAround(final Root root, final long pos) {
        final LargeNode r = loadRoot(root);
        if (r.length == 0) {
            return;
        }
        loadPath(root, Math.min(pos, r.length - 1));
        final LargeNode node = pathNodes[pathDepth - 1];
        final int i = pathIndex[pathDepth - 1];
        if (tryMerge(r, node, i, i + 1) || tryMerge(r, node, i - 1, i)) {
            commitPath(false);
        }
    }

    private boolean tryMerge(final LargeNode r, final LargeNode node, final int a, final int b) {
        if (a < 0 || b >= node.count) {
            return false;
        }
        final long ua = node.childBytes[a];
        final long ub = node.childBytes[b];
        final long small = maxLeafBytes() / 4;
        if (ua + ub > maxLeafBytes() || (ua >= small && ub >= small)) {
            return false;
        }
        final StorageArea areaA = db.area(node.childArea[a]);
        final StorageArea areaB = db.area(node.childArea[b]);
        final long pageA = node.childPage[a];
        final long pageB = node.childPage[b];
        if ((long) PAGE_LENGTH << node.childOrder[a] >= ua + ub) {
            leaves.copy(areaB, pageB, 0, areaA, pageA, ua, ub, staging, ua);
            freeLeaf(node, b);
            node.childBytes[a] = ua + ub;
            node.remove(b, 1);
        } else if ((long) PAGE_LENGTH << node.childOrder[b] >= ua + ub) {
            leaves.prepareFresh(areaB, pageB, ub, ua + ub);
            leaves.move(areaB, pageB, 0, ua, ub, staging);
            leaves.copy(areaA, pageA, 0, areaB, pageB, 0, ua, staging, LeafPages.NONE_FRESH);
            freeLeaf(node, a);
            node.childBytes[b] = ua + ub;
            node.remove(a, 1);
        } else {
            final int order = orderFor(ua + ub);
            final long page = allocateLeaf(r, order);
            final StorageArea to = db.area(lastAllocatedArea);
            leaves.copy(areaA, pageA, 0, to, page, 0, ua, staging, 0);
            leaves.copy(areaB, pageB, 0, to, page, ua, ub, staging, ua);
            freeLeaf(node, a);
            freeLeaf(node, b);
            node.set(a, to.id(), order, page, ua + ub);
            node.remove(b, 1);
        }
        return true;
    }

    // ---------------------------------------------------------------- whole trees

    /** Frees every leaf and node of a tree, the root included. */
    void freeTree(final Root root) {
        freeSubtree(root, root.area, root.page, 0);
    }

    private void freeSubtree(final Root root, final int area, final long page, final int depth) {
        if (depth == MAX_DEPTH) {
            throw corrupt(root, "deeper than " + MAX_DEPTH + " levels");
        }
        final LargeNode node = loadNode(area, page, root.ref, new LargeNode());
        for (int i = 0; i < node.count; i++) {
            if (node.level == 0) {
                freeLeaf(node, i);
            } else {
                freeSubtree(root, node.childArea[i], node.childPage[i], depth + 1);
            }
        }
        freeNode(area, page);
    }

    /**
     * Moves every leaf and node of a tree to {@code to}; the root moves too and its stripe list becomes {@code to}.
     *
     * @return the root's new page.
     */
    long moveTree(final Root root, final StorageArea to) {
        return moveSubtree(root, root.area, root.page, to, 0);
    }

    private long moveSubtree(final Root root, final int area, final long page, final StorageArea to, final int depth) {
        if (depth == MAX_DEPTH) {
            throw corrupt(root, "deeper than " + MAX_DEPTH + " levels");
        }
        final LargeNode node = loadNode(area, page, root.ref, new LargeNode());
        for (int i = 0; i < node.count; i++) {
            if (node.level == 0) {
                if (node.childArea[i] != to.id()) {
                    final long np = to.allocate(node.childOrder[i]);
                    if (np < 0) {
                        throw new BessException(
                                ErrorCode.STORAGE_FULL,
                                "target area full: large object=" + RefDescriptor.toString(root.ref) + ", area="
                                        + to.path());
                    }
                    grew(to);
                    leaves.copy(
                            db.area(node.childArea[i]),
                            node.childPage[i],
                            0,
                            to,
                            np,
                            0,
                            node.childBytes[i],
                            staging,
                            0);
                    freeLeaf(node, i);
                    node.set(i, to.id(), node.childOrder[i], np, node.childBytes[i]);
                }
            } else {
                node.childPage[i] = moveSubtree(root, node.childArea[i], node.childPage[i], to, depth + 1);
                node.childArea[i] = to.id();
            }
        }
        if (node.isRoot()) {
            node.stripeCount = 1;
            node.stripeAreas[0] = to.id();
            Arrays.fill(node.stripeAreas, 1, node.stripeAreas.length, 0);
            node.nextStripe = 0;
        }
        if (area == to.id()) {
            storeNode(node);
            return page;
        }
        final long np = to.allocate(0);
        if (np < 0) {
            throw new BessException(
                    ErrorCode.STORAGE_FULL,
                    "target area full: large object=" + RefDescriptor.toString(root.ref) + ", area=" + to.path());
        }
        grew(to);
        node.area = to.id();
        node.page = np;
        storeNewNode(node);
        freeNode(area, page);
        return np;
    }

    /** Visits the nodes of a tree: {@code visitor} gets each node (a scratch copy) and its depth. */
    void walk(final Root root, final NodeVisitor visitor) {
        walkSubtree(root, root.area, root.page, 0, visitor);
    }

    private void walkSubtree(
            final Root root, final int area, final long page, final int depth, final NodeVisitor visitor) {
        if (depth == MAX_DEPTH) {
            throw corrupt(root, "deeper than " + MAX_DEPTH + " levels");
        }
        final LargeNode node = loadNode(area, page, root.ref, new LargeNode());
        visitor.visit(node, depth);
        if (node.level > 0) {
            for (int i = 0; i < node.count; i++) {
                walkSubtree(root, node.childArea[i], node.childPage[i], depth + 1, visitor);
            }
        }
    }

    /** What {@link #walk} calls for each node. */
    @FunctionalInterface
    interface NodeVisitor {
        /** A node, at a depth (the root is 0). */
        void visit(LargeNode node, int depth);
    }
}
