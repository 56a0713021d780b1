package org.bess.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.LargeObjectInfo;
import org.bess.client.Ref;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LargeObjectNodeDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.RefDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.format.SlottedSegmentDescriptor;
import org.bess.server.area.StorageArea;
import org.bess.server.catalog.Catalog;

/**
 * The large objects of one database as objects: a slot (flag {@link SlotDescriptor#FLAG_LARGE}, type 0, size 0) whose
 * data pointer names the root node of its tree; creating, resolving and freeing them, and what whole files and areas
 * need (drop, move, "who uses this area", listing). The byte-range work is {@link LargeObjectTree}'s.
 *
 * <p>Not thread safe: the engine thread.
 */
final class LargeObjectStore {
    private final EngineDatabase db;
    private final LargeObjectTree tree;
    private final UnsafeBuffer seg = new UnsafeBuffer(0, 0);

    LargeObjectStore(final EngineDatabase db) {
        this.db = db;
        this.tree = new LargeObjectTree(db);
    }

    LargeObjectTree tree() {
        return tree;
    }

    /**
     * Creates an empty large object.
     *
     * @param stripeAreas the areas its leaves go to, in turn (the first also holds its nodes).
     * @return its reference word.
     */
    long create(final Catalog.FileEntry file, final int[] stripeAreas) {
        final long ref = db.objects().allocate(file, 0, 0, 0, SlotDescriptor.FLAG_LARGE);
        final LargeNode root = new LargeNode();
        root.flags = LargeObjectNodeDescriptor.FLAG_ROOT;
        root.ownerRef = ref;
        root.fileId = file.id;
        root.stripeCount = stripeAreas.length;
        System.arraycopy(stripeAreas, 0, root.stripeAreas, 0, stripeAreas.length);
        try {
            root.page = tree.allocateNode(root);
        } catch (final BessException e) {
            db.objects().free(ref);
            throw e;
        }
        root.area = tree.lastAllocatedArea();
        tree.storeNewNode(root);
        pointSlot(ref, root.area, root.page);
        return ref;
    }

    /** Makes a large object's slot point at its root node. */
    private void pointSlot(final long ref, final int area, final long page) {
        final ObjectStore.Slot slot = new ObjectStore.Slot();
        db.objects().resolve(ref, slot);
        final StorageArea rootArea = db.root();
        final int frame = db.cache().pin(rootArea.window(), slot.segPage, true);
        try {
            db.cache().wrap(seg, frame);
            rootArea.checkControlType(seg, slot.segPage, PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT);
            db.server().updatePath().onFirstWrite(rootArea.window(), slot.segPage, frame);
            final int off = SlottedSegmentDescriptor.slotOffset(slot.index);
            seg.putShort(off + SlotDescriptor.DATA_AREA_OFFSET, (short) area);
            seg.putInt(off + SlotDescriptor.DATA_PAGE_OFFSET, (int) page);
            seg.putInt(off + SlotDescriptor.DATA_OFFSET_OFFSET, 0);
        } finally {
            db.cache().unpin(frame);
        }
    }

    /**
     * Resolves a reference to a large object's root.
     *
     * @throws BessException {@code INVALID_REFERENCE} for a dead reference, {@code BAD_ARGUMENT} for a small object.
     */
    void resolve(final long ref, final LargeObjectTree.Root out) {
        final ObjectStore.Slot slot = new ObjectStore.Slot();
        db.objects().resolve(ref, slot);
        if ((slot.flags & SlotDescriptor.FLAG_LARGE) == 0) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "not a large object (open it with open): ref=" + RefDescriptor.toString(ref) + ", database="
                            + db.path());
        }
        out.set(slot.area, slot.dataPage, ref);
    }

    /** Frees a large object: its tree, then its slot. */
    void free(final long ref) {
        final LargeObjectTree.Root root = new LargeObjectTree.Root();
        resolve(ref, root);
        tree.freeTree(root);
        db.objects().free(ref);
        db.bumpLayoutEpoch();
    }

    /** Visits the large objects of a file: {@code visitor} gets each one's reference and root. */
    private void forEachLarge(final Catalog.FileEntry file, final LargeVisitor visitor) {
        final ObjectStore.Slot slot = new ObjectStore.Slot();
        final List<long[]> found = new ArrayList<>();
        long segPage = file.firstSegment;
        int index = -1;
        while (segPage != 0 && db.objects().nextLive(segPage, index, slot)) {
            if ((slot.flags & SlotDescriptor.FLAG_LARGE) != 0) {
                found.add(new long[] {
                    RefDescriptor.pack(slot.segPage, slot.index, slot.generation), slot.area, slot.dataPage
                });
            }
            segPage = slot.segPage;
            index = slot.index;
        }
        // visited after the scan: a visitor may change slots (a move repoints them)
        final LargeObjectTree.Root root = new LargeObjectTree.Root();
        for (final long[] f : found) {
            root.set((int) f[1], f[2], f[0]);
            visitor.visit(root);
        }
    }

    /** Frees the trees of every large object of a file that is being dropped (the slots go with the file). */
    void dropFile(final Catalog.FileEntry file) {
        forEachLarge(file, tree::freeTree);
    }

    /** Moves the trees of every large object of a file to another area and repoints their slots. */
    void moveFile(final Catalog.FileEntry file, final StorageArea to) {
        forEachLarge(file, root -> {
            final long page = tree.moveTree(root, to);
            pointSlot(root.ref, to.id(), page);
        });
    }

    /** Whether a large object of a file has a node or a leaf in an area, or may put new leaves there. */
    boolean fileUsesArea(final Catalog.FileEntry file, final int areaId) {
        final boolean[] uses = {false};
        forEachLarge(file, root -> {
            if (!uses[0]) {
                tree.walk(root, (node, depth) -> uses[0] |= nodeUsesArea(node, areaId));
            }
        });
        return uses[0];
    }

    private static boolean nodeUsesArea(final LargeNode node, final int areaId) {
        if (node.area == areaId) {
            return true;
        }
        for (int i = 0; node.isRoot() && i < node.stripeCount; i++) {
            if (node.stripeAreas[i] == areaId) {
                return true;
            }
        }
        for (int i = 0; node.level == 0 && i < node.count; i++) {
            if (node.childArea[i] == areaId) {
                return true;
            }
        }
        return false;
    }

    /** The shape of a large object. */
    LargeObjectInfo info(final LargeObjectTree.Root root) {
        final long[] counts = new long[5];
        final Map<Integer, Integer> perArea = new LinkedHashMap<>();
        tree.walk(root, (node, depth) -> {
            counts[0]++;
            counts[1] = Math.max(counts[1], depth + 1);
            if (depth == 0) {
                counts[2] = node.length;
                counts[4] = node.fileId;
            }
            if (node.level == 0) {
                counts[3] += node.count;
                for (int i = 0; i < node.count; i++) {
                    perArea.merge(node.childArea[i], 1, Integer::sum);
                }
            }
        });
        final Map<Path, Integer> byArea = new LinkedHashMap<>();
        for (final StorageArea a : db.openAreas()) {
            final Integer n = perArea.get(a.id());
            if (n != null) {
                byArea.put(a.path(), n);
            }
        }
        final Catalog.FileEntry file = db.catalog().file((int) counts[4]);
        return new LargeObjectInfo(
                new Ref(db, root.ref),
                file == null ? "" : file.name,
                counts[2],
                (int) counts[3],
                (int) counts[0],
                (int) counts[1],
                byArea);
    }

    /** The large objects of a file, in scan order. */
    List<LargeObjectInfo> list(final Catalog.FileEntry file) {
        final List<LargeObjectInfo> list = new ArrayList<>();
        forEachLarge(file, root -> list.add(info(root)));
        return list;
    }

    /** What {@link #forEachLarge} calls. */
    @FunctionalInterface
    private interface LargeVisitor {
        void visit(LargeObjectTree.Root root);
    }
}
