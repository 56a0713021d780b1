package org.bess.server;

import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.TypeId;
import org.bess.client.frame.ObjectView;
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
    private final EngineDatabase db;
    private final long word;
    private int epoch;
    private int typeId;
    private int size;

    EngineObjectRef(final EngineTransaction tx, final EngineDatabase db, final long word, final ObjectStore.Slot slot) {
        super(tx.session().frames());
        this.tx = tx;
        this.db = db;
        this.word = word;
        bind(slot);
    }

    private void bind(final ObjectStore.Slot slot) {
        final int window;
        if (slot.window >= 0) {
            // resolved from a slot snapshot without the latch: its area as the snapshot saw it (which made the
            // session's
            // frame states cover the area), and its epoch, so that a layout change since then re-reads the slot
            window = slot.window;
            epoch = slot.epoch;
        } else {
            final org.bess.server.area.StorageArea area = db.area(slot.area);
            window = area.window();
            tx.session().frames().ensureWindow(window, area.pageCount());
            epoch = db.layoutEpoch();
        }
        wrap(window, slot.firstPage(), slot.offsetInPage(), slot.size);
        typeId = slot.typeId;
        size = slot.size;
    }

    private EngineObjectRef view() {
        tx.checkActive();
        if (epoch != db.layoutEpoch()) {
            // the slow path pins slotted segments: under the engine latch
            try (EmbeddedSession.Guard g = tx.session().enter()) {
                tx.checkActive();
                final ObjectStore.Slot slot = new ObjectStore.Slot();
                db.objects().resolve(word, slot);
                bind(slot);
            }
        }
        return this;
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
        view();
        return size;
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
    public void putRef(final int offset, final Ref ref) {
        view().writeLong(offset, tx.storedWord(db, ref));
    }

    @Override
    public String toString() {
        return "object " + RefDescriptor.toString(word) + " in " + db.path();
    }
}
