package org.bess.client.remote;

import java.nio.ByteBuffer;
import org.bess.client.Cursor;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * A cursor of a remote transaction. It fetches the references of the next objects in batches ({@link
 * Wire#CURSOR_NEXT_REFS}: the server steps its cursor and takes each object's lock) and opens each object itself, so a
 * scan costs one request per batch, plus whatever opening costs (a client resolves references into a segment itself
 * once it has its slots). An object this transaction frees after its batch came is skipped, as the server's cursor
 * would skip it. Batches start at {@link #BATCH} references and double with each request up to {@link
 * Wire#CURSOR_BATCH_MAX}: a full scan of 10,000 objects is 6 requests instead of 40, while a scan the application stops
 * early has the server lock at most about twice the objects it consumed.
 */
final class RemoteCursor implements Cursor {
    /** References asked for by the first request; each later one asks for twice as many, up to the wire's maximum. */
    static final int BATCH = 256;

    private final RemoteTransaction tx;
    private final int handle;
    private final RemoteDatabase db;
    private long[] words = new long[BATCH];
    private boolean[] larges = new boolean[BATCH];
    private int batch = BATCH;
    private int count;
    private int next;
    private boolean exhausted;
    private ObjectRef object;
    private LargeObject large;
    private boolean closed;

    RemoteCursor(final RemoteTransaction tx, final int handle, final RemoteDatabase db) {
        this.tx = tx;
        this.handle = handle;
        this.db = db;
    }

    @Override
    public boolean next() {
        if (closed) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "cursor is closed");
        }
        object = null;
        large = null;
        while (true) {
            if (next == count && !fetch()) {
                return false;
            }
            final Ref ref = new Ref(db, words[next]);
            final boolean isLarge = larges[next];
            next++;
            try {
                if (isLarge) {
                    large = tx.openLarge(ref);
                } else {
                    object = tx.open(ref);
                }
                return true;
            } catch (final BessException e) {
                if (e.errorCode() != ErrorCode.INVALID_REFERENCE) {
                    throw e;
                }
                // freed by this transaction since the batch came: the server's cursor would not return it now
            }
        }
    }

    /** Fetches the next batch; false when the cursor is done. */
    private boolean fetch() {
        if (exhausted) {
            return false;
        }
        final int max = batch;
        if (words.length < max) {
            words = new long[max];
            larges = new boolean[max];
        }
        batch = Math.min(batch * 2, Wire.CURSOR_BATCH_MAX);
        final ByteBuffer r = tx.read(
                tx.session().request(Wire.CURSOR_NEXT_REFS).putInt(handle).putInt(max));
        final int n = r.getInt();
        if (n < 0 || n > max || r.remaining() < n * (Integer.BYTES + Long.BYTES)) {
            throw new BessException(ErrorCode.PROTOCOL, "cursor batch out of bounds in a reply: n=" + n);
        }
        for (int i = 0; i < n; i++) {
            larges[i] = r.getInt() != 0;
            words[i] = r.getLong();
        }
        count = n;
        next = 0;
        exhausted = n < max;
        return n > 0;
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
