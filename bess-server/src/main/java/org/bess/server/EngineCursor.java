package org.bess.server;

import org.bess.client.Cursor;
import org.bess.client.ObjectRef;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;

/** A cursor over a file: its slotted segments in chain order, their live slots in slot order. */
final class EngineCursor implements Cursor {
    private final EngineTransaction tx;
    private final EngineFile file;
    private final ObjectStore.Slot slot = new ObjectStore.Slot();
    private long segPage;
    private int index = -1;
    private boolean started;
    private boolean done;
    private ObjectRef current;

    EngineCursor(final EngineTransaction tx, final EngineFile file) {
        this.tx = tx;
        this.file = file;
    }

    @Override
    public boolean next() {
        tx.checkActive();
        if (done) {
            return false;
        }
        if (!started) {
            started = true;
            segPage = file.entry().firstSegment;
        }
        if (segPage == 0 || !file.db().objects().nextLive(segPage, index, slot)) {
            done = true;
            current = null;
            return false;
        }
        segPage = slot.segPage;
        index = slot.index;
        current =
                new EngineObjectRef(tx, file.db(), RefDescriptor.pack(slot.segPage, slot.index, slot.generation), slot);
        return true;
    }

    @Override
    public ObjectRef object() {
        if (current == null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "cursor is not on an object: call next() first");
        }
        return current;
    }

    @Override
    public void close() {
        done = true;
        current = null;
    }
}
