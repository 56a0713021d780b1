package org.bess.client.remote;

import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.Cursor;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.SlotDescriptor;

/**
 * A cursor of a remote transaction. Against a server that names the file's first segment in its {@code SCAN} reply,
 * the client walks the file's segment chain itself, as the engine's cursor does (segments in chain order, their live
 * slots in slot order): each segment's slots read in place (shared memory: S by the lock fast path, no request) or
 * fetched as for opens ({@link SegmentSlots#scanSegment}, whose replies name the next segment), each object placed from
 * its slot and its handle made here, without a {@link Ref} and without the opened objects; no request steps the
 * server's cursor, which goes with the transaction's handles (no {@code CURSOR_CLOSE} either).
 * {@code -Dbess.client.localScan=false} (and an older server) keep the server's cursor: the client fetches the
 * references of the next objects in batches ({@link Wire#CURSOR_NEXT_REFS}: the server steps its cursor and takes each
 * object's lock) and opens each object itself, so a
 * scan costs one request per batch, plus whatever opening costs (a client resolves references into a segment itself
 * once it has its slots). An object this transaction frees after its batch came is skipped, as the server's cursor
 * would skip it. Batches start at {@link #BATCH} references and double with each request up to {@link
 * Wire#CURSOR_BATCH_MAX}: a full scan of 10,000 objects is 6 requests instead of 40, while a scan the application stops
 * early has the server lock at most about twice the objects it consumed.
 */
final class RemoteCursor implements Cursor {
    /** References asked for by the first request; each later one asks for twice as many, up to the wire's maximum. */
    static final int BATCH = 256;

    /** Turns the client's own walk of the segment chain off ({@code false}): the server's cursor steps (A/B, tests). */
    static final String LOCAL_SCAN_PROP = "bess.client.localScan";

    /** Whether a new scan walks the segments itself (read per scan, so a test can switch it). */
    static boolean localScan() {
        return Boolean.parseBoolean(System.getProperty(LOCAL_SCAN_PROP, "true"));
    }

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
    /** Whether the client walks the segments itself. */
    private final boolean local;
    /** The segment the walk is in (0: done), its slots (null: not read yet) and the next segment of the chain. */
    private long segPage;

    private UnsafeBuffer slots;
    private long nextSegment;
    /** The next slot index to look at, and {@link SegmentSlots#cleared} when {@link #slots} was read. */
    private int index;

    private long slotsCleared;

    /**
     * @param firstSegment the file's first segment (0: none) for the client's own walk, or -1 for the server's cursor.
     */
    RemoteCursor(final RemoteTransaction tx, final int handle, final RemoteDatabase db, final long firstSegment) {
        this.tx = tx;
        this.handle = handle;
        this.db = db;
        this.local = firstSegment >= 0;
        this.segPage = Math.max(firstSegment, 0);
    }

    @Override
    public boolean next() {
        if (closed) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "cursor is closed");
        }
        object = null;
        large = null;
        if (local) {
            return nextLocal();
        }
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

    /** The next object of the client's own walk of the segment chain. */
    private boolean nextLocal() {
        tx.checkActive();
        final RemoteSession session = tx.session();
        final SegmentSlots p = session.segmentSlots();
        while (true) {
            if (slots == null || slotsCleared != p.cleared) {
                // first read, or the transaction changed pages on the server since: a copy of the slots may be stale
                if (segPage == 0) {
                    return false;
                }
                final UnsafeBuffer s = p.scanSegment(session, db, segPage);
                if (s == null) {
                    throw new BessException(
                            ErrorCode.INVALID_REFERENCE,
                            "page " + segPage + " of the scanned file's segment chain is not a slotted segment in "
                                    + db.path());
                }
                slots = s;
                nextSegment = p.scanNext;
                slotsCleared = p.cleared;
            }
            final int used = slots.capacity() / SlotDescriptor.SLOT_LENGTH;
            while (index < used) {
                final int i = index++;
                final int kind = p.scanSlot(session, db, slots, segPage, i);
                if (kind == SegmentSlots.SLOT_PLACED) {
                    final RemoteObjectRef o = new RemoteObjectRef(tx, db, -1, p.scanWord);
                    o.place(p);
                    object = o;
                    return true;
                }
                if (kind == SegmentSlots.SLOT_LARGE) {
                    large = tx.openLarge(new Ref(db, p.scanWord));
                    return true;
                }
                if (kind == SegmentSlots.SLOT_OPEN) {
                    try {
                        object = tx.open(new Ref(db, p.scanWord));
                        return true;
                    } catch (final BessException e) {
                        if (e.errorCode() != ErrorCode.INVALID_REFERENCE) {
                            throw e;
                        }
                    }
                    if (slotsCleared != p.cleared) {
                        break; // that open changed something: read the slots again, from the next index
                    }
                }
            }
            if (index < used || slotsCleared != p.cleared) {
                continue;
            }
            slots = null;
            segPage = nextSegment;
            index = 0;
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
            slots = null;
            if (!local && tx.isActive()) {
                tx.read(tx.session().request(Wire.CURSOR_CLOSE).putInt(handle));
            }
        }
    }
}
