package org.bess.client.remote;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;

/** A transaction of a remote session: runs on the server's session for this connection. */
final class RemoteTransaction implements Transaction {
    private final RemoteSession session;
    // read by the handles' view() inline (checkActive's throw is out of line)
    boolean active = true;
    // the object resolveFollow placed last: its database, server handle (-1: none yet) and word
    RemoteDatabase followedDb;
    int followedHandle;
    long followedWord;

    RemoteTransaction(final RemoteSession session) {
        this.session = session;
    }

    RemoteSession session() {
        return session;
    }

    void checkActive() {
        if (!active) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "transaction is no longer active (committed or closed)");
        }
    }

    /** The transaction ended (committed, rolled back, or the server was lost). */
    void ended() {
        active = false;
    }

    private RemoteDatabase db(final Database database) {
        checkActive();
        if (database instanceof RemoteDatabase d && d.session() == session) {
            return d;
        }
        if (database == null) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "database is null");
        }
        // a reference read in another session of this process (or an engine's database): the same database by path
        return session.databaseAt(database.path());
    }

    private RemoteFile file(final BessFile file) {
        checkActive();
        if (!(file instanceof RemoteFile f) || f.db().session() != session) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "file is not of this session: " + file);
        }
        return f;
    }

    private RemoteObjectRef object(final ObjectRef object) {
        checkActive();
        if (!(object instanceof RemoteObjectRef o)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "object is not of this session: " + object);
        }
        return o;
    }

    /** Runs a request that may change pages on the server: copy-on-access ships before and drops copies after. */
    private ByteBuffer change(final Wire w) {
        session.faults().beforeServerChange();
        final ByteBuffer r = session.call(w);
        session.afterServerChange();
        return r;
    }

    @Override
    public BessFile createFile(final Database database, final String name) {
        return createIn(db(database), name, "");
    }

    @Override
    public BessFile createFile(final Database database, final String name, final Path area) {
        return createIn(db(database), name, area.toAbsolutePath().toString());
    }

    private BessFile createIn(final RemoteDatabase d, final String name, final String area) {
        final ByteBuffer r = change(session.request(Wire.CREATE_FILE)
                .putInt(d.handle())
                .putString(name)
                .putString(area));
        return new RemoteFile(r.getInt(), name, d);
    }

    @Override
    public BessFile file(final Database database, final String name) {
        final RemoteDatabase d = db(database);
        final ByteBuffer r =
                session.call(session.request(Wire.FILE).putInt(d.handle()).putString(name));
        return new RemoteFile(r.getInt(), name, d);
    }

    @Override
    public void dropFile(final BessFile file) {
        change(session.request(Wire.DROP_FILE).putInt(file(file).handle()));
        session.opened().begin();
    }

    @Override
    public ObjectRef allocate(final BessFile file, final TypeId type) {
        return allocate(file, type, -1);
    }

    @Override
    public ObjectRef allocate(final BessFile file, final TypeId type, final int size) {
        final RemoteFile f = file(file);
        final Wire w = session.request(Wire.ALLOCATE)
                .putInt(f.handle())
                .putInt(type.id())
                .putInt(size);
        return objectAfterChange(w);
    }

    private RemoteObjectRef objectAfterChange(final Wire w) {
        session.faults().beforeServerChange();
        final RemoteObjectRef o = RemoteObjectRef.read(this, session.call(w));
        session.afterServerChange();
        return o;
    }

    @Override
    public ObjectRef allocateNear(final ObjectRef near, final TypeId type, final int size) {
        final int handle = object(near).handle();
        return objectAfterChange(session.request(Wire.ALLOCATE_NEAR)
                .putInt(handle)
                .putInt(type.id())
                .putInt(size));
    }

    @Override
    public ObjectRef open(final Ref ref) {
        if (ref == null) {
            // as embedded sessions answer it (a NullPointerException from ref.database() before)
            checkActive();
            throw new BessException(ErrorCode.INVALID_REFERENCE, "null reference");
        }
        // opened before in this transaction: the server still holds its handle and the slot page's lock, no request
        if (active) {
            final RemoteObjectRef again = session.opened().get(ref.database(), ref.word());
            if (again != null) {
                return again;
            }
        }
        final RemoteDatabase d = db(ref.database());
        // resolved by the client from its segment's slots (one request per segment and transaction), else by OPEN
        final SegmentSlots slots = session.segmentSlots();
        if (slots.resolve(session, d, ref.word())) {
            final RemoteObjectRef o = new RemoteObjectRef(this, d, -1, ref.word());
            o.place(slots);
            session.opened().put(ref.database(), ref.word(), o);
            o.kept();
            return o;
        }
        final RemoteObjectRef o = RemoteObjectRef.read(
                this, session.call(session.request(Wire.OPEN).putInt(d.handle()).putLong(ref.word())));
        if (o.word() == ref.word() && o.database() == d) {
            // not through a forward object (whose own word a free would name)
            session.opened().put(ref.database(), ref.word(), o);
            o.kept();
        }
        return o;
    }

    /**
     * Places the object a reference word stored in an object of {@code db} names, for {@link RemoteObjectRef#openRef},
     * which makes the handle: from the segment's slots (no request when the client has them or reads them in place),
     * else by {@code OPEN}; without a {@link Ref} and without the opened objects (neither answered from nor added to: a
     * traversal opens most objects once). The object's database, server handle and word (not the reference's,
     * through a forward object) are then {@link #followedDb}, {@link #followedHandle} and {@link #followedWord}. Kept
     * apart from the handle's allocation, as the embedded {@code EngineTransaction.resolveOpen} is, so that {@code
     * openRef} has one allocation site; but the JIT does not scalar-replace client handles yet (OO7 T1 still allocates
     * every handle): {@code openRef} compiled on its own includes the stamp check's slow path of {@code view()}, which
     * the JMH setup takes, and is then too big to inline into a traversal.
     *
     * @return the placement.
     */
    SegmentSlots resolveFollow(final RemoteDatabase db, final long word) {
        final SegmentSlots slots = session.segmentSlots();
        if (slots.resolve(session, db, word)) {
            followedDb = db;
            followedHandle = -1;
            followedWord = word;
            return slots;
        }
        final ByteBuffer r =
                session.call(session.request(Wire.OPEN).putInt(db.handle()).putLong(word));
        followedHandle = r.getInt();
        followedDb = session.readDatabase(r);
        followedWord = r.getLong();
        slots.placeReply(r, session.frames());
        return slots;
    }

    @Override
    public void free(final ObjectRef object) {
        final RemoteObjectRef o = object(object);
        // the handle first: fetching it is a request of its own
        final int handle = o.handle();
        change(session.request(Wire.FREE).putInt(handle));
        session.opened().remove(o.word());
    }

    @Override
    public void resize(final ObjectRef object, final int newSize) {
        final RemoteObjectRef o = object(object);
        final int handle = o.handle();
        session.faults().beforeServerChange();
        o.place(session.call(session.request(Wire.RESIZE).putInt(handle).putInt(newSize)));
        session.afterServerChange();
    }

    @Override
    public void setRoot(final Database database, final String name, final Ref ref) {
        final RemoteDatabase d = db(database);
        final RemoteDatabase target = ref == null ? d : db(ref.database());
        session.faults().beforeServerChange();
        final Wire w = session.request(Wire.SET_ROOT).putInt(d.handle()).putString(name);
        w.putInt(ref == null ? 0 : 1)
                .putInt(target.handle())
                .putLong(ref == null ? RefDescriptor.NULL_REF : ref.word());
        session.call(w);
        session.afterServerChange();
    }

    @Override
    public Ref root(final Database database, final String name) {
        final RemoteDatabase d = db(database);
        final ByteBuffer r =
                session.call(session.request(Wire.ROOT).putInt(d.handle()).putString(name));
        if (r.getInt() == 0) {
            return null;
        }
        final RemoteDatabase target = session.readDatabase(r);
        return new Ref(target, r.getLong());
    }

    /** The word to store for a reference inside {@code d}: the word itself, or a forward object's (server side). */
    long storedWord(final RemoteDatabase d, final Ref ref) {
        if (ref == null) {
            return RefDescriptor.NULL_REF;
        }
        if (ref.database() == d) {
            return ref.word();
        }
        final RemoteDatabase target = db(ref.database());
        return change(session.request(Wire.STORED_WORD)
                        .putInt(d.handle())
                        .putInt(target.handle())
                        .putLong(ref.word()))
                .getLong();
    }

    @Override
    public LargeObject createLarge(final BessFile file) {
        return createLarge(file, null);
    }

    @Override
    public LargeObject createLarge(final BessFile file, final List<Path> areas) {
        final RemoteFile f = file(file);
        session.faults().beforeServerChange();
        // -1: no stripe list (the file's area); an empty list is sent as such, and refused by the server
        final Wire w = session.request(Wire.CREATE_LARGE).putInt(f.handle()).putInt(areas == null ? -1 : areas.size());
        if (areas != null) {
            for (final Path p : areas) {
                w.putString(p.toAbsolutePath().toString());
            }
        }
        final RemoteLargeObject lo = RemoteLargeObject.read(this, session.call(w));
        session.afterServerChange();
        return lo;
    }

    @Override
    public LargeObject openLarge(final Ref ref) {
        final RemoteDatabase d = db(ref.database());
        return RemoteLargeObject.read(
                this,
                session.call(session.request(Wire.OPEN_LARGE).putInt(d.handle()).putLong(ref.word())));
    }

    @Override
    public void free(final LargeObject object) {
        checkActive();
        if (!(object instanceof RemoteLargeObject lo)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "large object is not of this session: " + object);
        }
        change(session.request(Wire.FREE_LARGE).putInt(lo.handle()));
    }

    @Override
    public Cursor scan(final BessFile file) {
        final RemoteFile f = file(file);
        final ByteBuffer r = session.call(session.request(Wire.SCAN).putInt(f.handle()));
        final int cursor = r.getInt();
        // appended: the file's first segment (absent from an older server: its cursor steps by request)
        long first = -1;
        if (r.remaining() >= Long.BYTES) {
            first = SegmentSlots.readNext(r, "SCAN");
        }
        return new RemoteCursor(this, cursor, f.db(), RemoteCursor.localScan() ? first : -1);
    }

    /** A large object operation that changes pages on the server. */
    ByteBuffer largeChange(final Wire w) {
        checkActive();
        return change(w);
    }

    /** A request of this transaction that changes nothing on the server. */
    ByteBuffer read(final Wire w) {
        checkActive();
        return session.call(w);
    }

    @Override
    public void commit() {
        checkActive();
        session.commit(this);
    }

    @Override
    public void abort() {
        if (active) {
            session.abort(this);
        }
    }

    @Override
    public boolean isActive() {
        return active;
    }

    @Override
    public void close() {
        abort();
    }
}
