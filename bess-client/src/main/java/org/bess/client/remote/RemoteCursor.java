package org.bess.client.remote;

import java.nio.ByteBuffer;
import org.bess.client.Cursor;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/** A cursor of a remote transaction: each step is a request that returns the next object, opened. */
final class RemoteCursor implements Cursor {
    private final RemoteTransaction tx;
    private final int handle;
    private RemoteObjectRef object;
    private RemoteLargeObject large;
    private boolean closed;

    RemoteCursor(final RemoteTransaction tx, final int handle) {
        this.tx = tx;
        this.handle = handle;
    }

    @Override
    public boolean next() {
        if (closed) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "cursor is closed");
        }
        final ByteBuffer r = tx.read(tx.session().request(Wire.CURSOR_NEXT).putInt(handle));
        object = null;
        large = null;
        if (r.getInt() == 0) {
            return false;
        }
        if (r.getInt() != 0) {
            large = RemoteLargeObject.read(tx, r);
        } else {
            object = RemoteObjectRef.read(tx, r);
        }
        return true;
    }

    private void checkCurrent() {
        if (object == null && large == null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "cursor has no current object: call next() first");
        }
    }

    @Override
    public ObjectRef object() {
        checkCurrent();
        if (object == null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "current object is a large object: use largeObject()");
        }
        return object;
    }

    @Override
    public boolean isLarge() {
        checkCurrent();
        return large != null;
    }

    @Override
    public LargeObject largeObject() {
        checkCurrent();
        if (large == null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "current object is not a large object");
        }
        return large;
    }

    @Override
    public Ref ref() {
        checkCurrent();
        return object != null ? object.ref() : large.ref();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (tx.isActive()) {
                tx.read(tx.session().request(Wire.CURSOR_CLOSE).putInt(handle));
            }
        }
    }
}
