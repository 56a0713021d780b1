package org.bess.client.remote;

import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.nio.ByteBuffer;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.TypeId;
import org.bess.client.frame.ObjectView;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;

/**
 * An object of a remote session, read and written in place through the client's virtual frames. It keeps where its
 * bytes are (from the server) and asks again only when the server's layout stamp moved, so a hot access is a flag
 * test, one stamp compare, one frame-state check and the memory access.
 */
final class RemoteObjectRef extends ObjectView implements ObjectRef {
    private final RemoteTransaction tx;
    private final RemoteSession session;
    // not final: openRefInto re-points a handle at another object of its transaction
    private RemoteDatabase db;
    /** The server's handle, or -1 until something needs it (an object the client resolved itself). */
    private int handle;

    private long word;
    // kept in the session's opened objects (tx.open gives it again for its reference): forgotten there when re-pointed
    private boolean kept;
    private int stamp;
    private int typeId;
    private int size;
    private int window;
    private long firstPage;

    RemoteObjectRef(final RemoteTransaction tx, final RemoteDatabase db, final int handle, final long word) {
        super(tx.session().frames());
        this.tx = tx;
        this.session = tx.session();
        this.db = db;
        this.handle = handle;
        this.word = word;
    }

    /** Reads an object (handle, database, word, placement) from a reply. */
    static RemoteObjectRef read(final RemoteTransaction tx, final ByteBuffer r) {
        final int handle = r.getInt();
        final RemoteDatabase db = tx.session().readDatabase(r);
        final RemoteObjectRef o = new RemoteObjectRef(tx, db, handle, r.getLong());
        o.place(r);
        return o;
    }

    /** Reads a placement: window, first page, page offset, size, type id, area page count. */
    void place(final ByteBuffer r) {
        final int newWindow = r.getInt();
        final long newFirstPage = r.getLong();
        final int pageOffset = r.getInt();
        final int newSize = r.getInt();
        final int newType = r.getInt();
        place(newWindow, newFirstPage, pageOffset, newSize, newType, r.getLong());
    }

    /** Places the object where {@link SegmentSlots#resolve} (or {@link SegmentSlots#placeReply}) placed it last. */
    void place(final SegmentSlots p) {
        // SegmentSlots made the frame states cover the area already: no ensureWindow
        window = p.window;
        firstPage = p.firstPage;
        size = p.size;
        typeId = p.typeId;
        wrap(window, firstPage, p.pageOffset, size);
        stamp = session.stamp;
    }

    private void place(
            final int newWindow,
            final long newFirstPage,
            final int pageOffset,
            final int newSize,
            final int newType,
            final long areaPages) {
        window = newWindow;
        firstPage = newFirstPage;
        size = newSize;
        typeId = newType;
        session.frames().ensureWindow(window, Math.max(areaPages, firstPage + 1));
        wrap(window, firstPage, pageOffset, size);
        stamp = session.stamp;
    }

    /** The server's handle of the object, opened there now if the client resolved the object itself. */
    int handle() {
        if (handle < 0) {
            final ByteBuffer r =
                    session.call(session.request(Wire.OPEN).putInt(db.handle()).putLong(word));
            final int h = r.getInt();
            session.readDatabase(r);
            r.getLong();
            place(r);
            handle = h;
        }
        return handle;
    }

    long word() {
        return word;
    }

    /** The window of the object's first page. */
    int window() {
        view();
        return window;
    }

    /** The object's first page. */
    long firstPage() {
        view();
        return firstPage;
    }

    private RemoteObjectRef view() {
        final RemoteTransaction t = tx;
        if (!t.active || stamp != session.stamp) {
            // the slow path is a static call given no handle, then the small inlined place: a handle its caller does
            // not keep can then be scalar-replaced (openRef inlined into a traversal, as the embedded handle's is)
            final SegmentSlots p = resolveAgain(t, db, handle, word);
            handle = t.followedHandle;
            // written out rather than a call to place: at this cold site C2 inlines only the small wrap
            window = p.window;
            firstPage = p.firstPage;
            size = p.size;
            typeId = p.typeId;
            wrap(p.window, (p.firstPage << PAGE_SHIFT) + p.pageOffset, p.size);
            stamp = session.stamp;
        }
        return this;
    }

    /**
     * The slow path of {@link #view()}: refuses a handle of an ended transaction, else asks the server where the object
     * is now (the layout stamp moved), opening it there first when the client resolved it itself. The server handle is
     * then {@link RemoteTransaction#followedHandle}.
     *
     * @return the placement, in the session's {@link SegmentSlots} fields (frame states made to cover it).
     */
    private static SegmentSlots resolveAgain(
            final RemoteTransaction tx, final RemoteDatabase db, final int handle, final long word) {
        tx.checkActive();
        final RemoteSession session = tx.session();
        final SegmentSlots p = session.segmentSlots();
        int h = handle;
        if (h < 0) {
            final ByteBuffer r =
                    session.call(session.request(Wire.OPEN).putInt(db.handle()).putLong(word));
            h = r.getInt();
            session.readDatabase(r);
            r.getLong();
            p.placeReply(r, session.frames()); // the placement now: no RESOLVE
        } else {
            p.placeReply(session.call(session.request(Wire.RESOLVE).putInt(h)), session.frames());
        }
        tx.followedHandle = h;
        return p;
    }

    long address() {
        return view().viewAddress();
    }

    @Override
    public Ref ref() {
        return new Ref(db, word);
    }

    @Override
    public TypeId type() {
        view();
        return db.typeById(typeId, this);
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
    public ObjectRef openRef(final int offset) {
        final long w = view().readLong(offset);
        if (w == RefDescriptor.NULL_REF) {
            throw nullAt(offset, word, db);
        }
        // resolved by a call (without a Ref and without the opened objects, as an embedded openRef), the handle made
        // here at one site (see RemoteTransaction.resolveFollow)
        final RemoteTransaction t = tx;
        final SegmentSlots placed = t.resolveFollow(db, w);
        final RemoteObjectRef o = new RemoteObjectRef(t, t.followedDb, t.followedHandle, t.followedWord);
        o.place(placed);
        return o;
    }

    @Override
    public ObjectRef openRefInto(final int offset, final ObjectRef into) {
        final long w = view().readLong(offset);
        final RemoteTransaction t = tx;
        if (!(into instanceof RemoteObjectRef o) || o.tx != t) {
            throw notOfThisTransaction(into);
        }
        if (w == RefDescriptor.NULL_REF) {
            throw nullAt(offset, word, db);
        }
        // resolved first: when it throws, the target is left as it was
        final SegmentSlots placed = t.resolveFollow(db, w);
        if (o.kept) {
            // tx.open must not give the re-pointed handle for the reference it named
            session.opened().remove(o.word);
            o.kept = false;
        }
        if (o.db != t.followedDb) {
            // a reference store has a GC write barrier: none when the database stays (the usual case)
            o.db = t.followedDb;
        }
        o.handle = t.followedHandle;
        o.word = t.followedWord;
        o.place(placed);
        return o;
    }

    /** Marks the handle kept in the session's opened objects ({@link RemoteTransaction#open}). */
    void kept() {
        kept = true;
    }

    // static, and given no handle: the caller's handle may be scalar-replaced
    private static BessException notOfThisTransaction(final ObjectRef into) {
        return new BessException(
                ErrorCode.BAD_ARGUMENT, "handle to re-point is not of this object's transaction: " + into);
    }

    // static, and given no handle: the caller's handle may be scalar-replaced
    private static BessException nullAt(final int offset, final long word, final RemoteDatabase db) {
        return new BessException(
                ErrorCode.INVALID_REFERENCE,
                "null reference at offset=" + offset + " of object " + RefDescriptor.toString(word) + " in " + db.path()
                        + " (remote)");
    }

    @Override
    public void putRef(final int offset, final Ref ref) {
        tx.checkActive();
        // the word first: a forward object's is a request that may move the layout stamp, which view() then sees
        final long w = tx.storedWord(db, ref);
        view().writeLong(offset, w);
    }

    @Override
    public String toString() {
        return "object " + RefDescriptor.toString(word) + " in " + db.path() + " (remote)";
    }
}
