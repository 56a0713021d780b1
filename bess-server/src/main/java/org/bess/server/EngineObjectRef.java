package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.TypeId;
import org.bess.client.frame.ObjectView;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;

/**
 * An object opened in a transaction, read and written in place through the process's virtual frames. It keeps the
 * slot's data pointer from when it was opened and re-reads the slot only when the database's layout epoch moved (a
 * data segment was grown, moved or compacted), so a hot access is one epoch compare, one frame-state check and the
 * memory access.
 *
 * <p>Not thread safe.
 */
@SuppressWarnings("try") // the latch guard is used for its close() only
final class EngineObjectRef extends ObjectView implements ObjectRef {
    private final EngineTransaction tx;
    // not final: openRefInto re-points a handle at another object of its transaction
    private EngineDatabase db;
    private long word;
    private int epoch;
    private int typeId;

    EngineObjectRef(final EngineTransaction tx, final EngineDatabase db, final long word, final ObjectStore.Slot slot) {
        super(tx.session().frames());
        this.tx = tx;
        this.db = db;
        this.word = word;
        // bind's work written out here rather than called: the constructor is inlined where a handle is made, and
        // nothing in it takes the handle, so that one its caller does not keep can be scalar-replaced
        if (slot.window < 0) {
            // resolved under the latch: its area's window now, which the session's frame states must cover
            placeInArea(tx, db, slot);
        }
        // resolved from a slot snapshot without the latch, the area is as the snapshot saw it (which made the
        // session's frame states cover it); the epoch the slot was read in, so that a layout change since then
        // re-reads the slot
        wrap(slot.window, (slot.firstPage() << PAGE_SHIFT) + slot.offsetInPage(), slot.size);
        epoch = slot.epoch;
        typeId = slot.typeId;
    }

    /**
     * A handle of an object {@link EngineTransaction#resolveOpen} placed (its window known, no area to look up): only
     * field stores, so that the constructor stays small where {@link #openRef} is inlined.
     */
    EngineObjectRef(
            final EngineTransaction tx,
            final EngineDatabase db,
            final long word,
            final int window,
            final long windowOffset,
            final int size,
            final int typeId,
            final int epoch) {
        super(tx.session().frames());
        this.tx = tx;
        this.db = db;
        this.word = word;
        wrap(window, windowOffset, size);
        this.epoch = epoch;
        this.typeId = typeId;
    }

    /*
     * The handle's slow paths are static and take no handle: a handle that a caller does not keep (a connection
     * object followed to its target) can then be scalar-replaced by the JIT, which gives up on an object passed to a
     * call it does not inline.
     */

    /** Sets the slot's window, page count and epoch from its area and the database now (with the latch held). */
    static void placeInArea(final EngineTransaction tx, final EngineDatabase db, final ObjectStore.Slot slot) {
        final org.bess.server.area.StorageArea area = db.area(slot.area);
        tx.session().frames().ensureWindow(area.window(), area.pageCount());
        slot.window = area.window();
        slot.areaPages = area.pageCount();
        slot.epoch = db.layoutEpoch();
    }

    /**
     * Checks the handle before an access: its transaction still active, the layout unchanged (else it re-reads the
     * slot, under the latch).
     */
    private EngineObjectRef view() {
        if (!tx.isActive() || epoch != db.layoutEpoch()) {
            // written out rather than a call to bind: only calls that take no handle (resolveAgain) or are inlined
            // (wrap), so that a handle its caller does not keep can still be scalar-replaced
            final ObjectStore.Slot slot = resolveAgain(tx, db, word);
            wrap(slot.window, (slot.firstPage() << PAGE_SHIFT) + slot.offsetInPage(), slot.size);
            epoch = slot.epoch;
            typeId = slot.typeId;
        }
        return this;
    }

    /**
     * The slow path of {@link #view()}: refuses a stale handle, or re-reads the slot after a layout change.
     *
     * @return the slot, placed in its area.
     */
    private static ObjectStore.Slot resolveAgain(final EngineTransaction tx, final EngineDatabase db, final long word) {
        tx.checkActive();
        // the slow path pins slotted segments: under the engine latch
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            tx.checkActive();
            final ObjectStore.Slot slot = new ObjectStore.Slot();
            db.objects().resolve(word, slot);
            placeInArea(tx, db, slot);
            return slot;
        }
    }

    /** The virtual address of the object's first byte. */
    long address() {
        return view().viewAddress();
    }

    long word() {
        return word;
    }

    @Override
    public Ref ref() {
        return new Ref(db, word);
    }

    @Override
    public TypeId type() {
        view();
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            return db.typeById(typeId);
        }
    }

    @Override
    public int size() {
        return view().viewLength();
    }

    @Override
    public Database database() {
        return db;
    }

    @Override
    public byte getByte(final int offset) {
        return view().readByte(offset);
    }

    @Override
    public void putByte(final int offset, final byte value) {
        view().writeByte(offset, value);
    }

    @Override
    public int getInt(final int offset) {
        return view().readInt(offset);
    }

    @Override
    public void putInt(final int offset, final int value) {
        view().writeInt(offset, value);
    }

    @Override
    public long getLong(final int offset) {
        return view().readLong(offset);
    }

    @Override
    public void putLong(final int offset, final long value) {
        view().writeLong(offset, value);
    }

    @Override
    public double getDouble(final int offset) {
        return Double.longBitsToDouble(view().readLong(offset));
    }

    @Override
    public void putDouble(final int offset, final double value) {
        view().writeLong(offset, Double.doubleToRawLongBits(value));
    }

    @Override
    public void getBytes(final int offset, final byte[] dst, final int dstOffset, final int length) {
        view().readBytes(offset, dst, dstOffset, length);
    }

    @Override
    public void putBytes(final int offset, final byte[] src, final int srcOffset, final int length) {
        view().writeBytes(offset, src, srcOffset, length);
    }

    @Override
    public Ref getRef(final int offset) {
        final long w = view().readLong(offset);
        return w == RefDescriptor.NULL_REF ? null : new Ref(db, w);
    }

    @Override
    public ObjectRef openRef(final int offset) {
        // the resolution a call the JIT does not inline, the handle made here (see EngineTransaction.resolveOpen)
        final EngineTransaction t = tx;
        final long w = view().readLong(offset);
        return t.handle(t.resolveOpen(db, w, w == RefDescriptor.NULL_REF));
    }

    @Override
    public ObjectRef openRefInto(final int offset, final ObjectRef into) {
        final EngineTransaction t = tx;
        final long w = view().readLong(offset);
        if (!(into instanceof EngineObjectRef target) || target.tx != t) {
            throw notOfThisTransaction(into);
        }
        // resolved first: when it throws, the target is left as it was
        return t.handleInto(target, t.resolveOpen(db, w, w == RefDescriptor.NULL_REF));
    }

    // static, and given no handle: the caller's handle may be scalar-replaced
    private static BessException notOfThisTransaction(final ObjectRef into) {
        return new BessException(
                ErrorCode.BAD_ARGUMENT, "handle to re-point is not of this object's transaction: " + into);
    }

    /**
     * Re-points this handle at another object (of its transaction, as placed by {@link EngineTransaction#resolveOpen}).
     */
    void point(
            final EngineDatabase newDb,
            final long newWord,
            final int window,
            final long windowOffset,
            final int size,
            final int newTypeId,
            final int newEpoch) {
        if (db != newDb) {
            // a reference store has a GC write barrier: none when the database stays (the usual case)
            db = newDb;
        }
        word = newWord;
        wrap(window, windowOffset, size);
        epoch = newEpoch;
        typeId = newTypeId;
    }

    @Override
    public void putRef(final int offset, final Ref ref) {
        view().writeLong(offset, tx.storedWord(db, ref));
    }

    @Override
    public String toString() {
        return "object " + RefDescriptor.toString(word) + " in " + db.path();
    }
}
