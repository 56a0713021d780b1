package org.bess.server;

import org.bess.client.Cursor;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;
import org.bess.format.SlotDescriptor;

/**
 * A cursor over a file: its slotted segments in chain order, their live slots in slot order. Large objects are visited
 * like the others; {@link #largeObject()} opens them.
 */
@SuppressWarnings("try") // the latch guard is used for its close() only
final class EngineCursor implements Cursor {
    private final EngineTransaction tx;
    private final EngineFile file;
    private final ObjectStore.Slot slot = new ObjectStore.Slot();
    private long segPage;
    private int index = -1;
    private boolean started;
    private boolean done;
    private ObjectRef current;
    private LargeObject currentLarge;
    private long currentWord;

    EngineCursor(final EngineTransaction tx, final EngineFile file) {
        this.tx = tx;
        this.file = file;
    }

    @Override
    public boolean next() {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            return step();
        }
    }

    private boolean step() {
        tx.checkActive();
        if (done) {
            return false;
        }
        if (!started) {
            started = true;
            segPage = file.entry().firstSegment;
        }
        current = null;
        currentLarge = null;
        if (segPage == 0 || !file.db().objects().nextLive(segPage, index, slot)) {
            done = true;
            return false;
        }
        segPage = slot.segPage;
        index = slot.index;
        currentWord = RefDescriptor.pack(slot.segPage, slot.index, slot.generation);
        if ((slot.flags & SlotDescriptor.FLAG_LARGE) != 0) {
            currentLarge = new EngineLargeObject(tx, file.db(), currentWord);
        } else {
            current = new EngineObjectRef(tx, file.db(), currentWord, slot);
        }
        return true;
    }

    /** The file's first slotted segment now (0: none), where {@link #next()} starts. */
    long firstSegment() {
        return file.entry().firstSegment;
    }

    private void checkOn() {
        if (current == null && currentLarge == null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "cursor is not on an object: call next() first");
        }
    }

    @Override
    public ObjectRef object() {
        checkOn();
        if (current == null) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE,
                    "cursor is on a large object: use largeObject(): ref=" + RefDescriptor.toString(currentWord));
        }
        return current;
    }

    @Override
    public boolean isLarge() {
        checkOn();
        return currentLarge != null;
    }

    @Override
    public LargeObject largeObject() {
        checkOn();
        if (currentLarge == null) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE,
                    "cursor is not on a large object: use object(): ref=" + RefDescriptor.toString(currentWord));
        }
        return currentLarge;
    }

    @Override
    public Ref ref() {
        checkOn();
        return new Ref(file.db(), currentWord);
    }

    @Override
    public void close() {
        done = true;
        current = null;
        currentLarge = null;
    }
}
