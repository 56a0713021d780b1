package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

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
import org.bess.format.LargeObjectNodeDescriptor;
import org.bess.format.RefDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.server.catalog.Catalog;
import org.bess.server.lock.LockMode;
import org.bess.server.txn.TransactionManager;

/**
 * A transaction of an embedded session: commit waits for its commit record to be durable (group commit); abort, or
 * close without commit, rolls it back from the recovery buffer and the log.
 */
@SuppressWarnings("try") // the latch guard is used for its close() only
final class EngineTransaction implements Transaction {
    private final EmbeddedSession session;
    // the session's, read once per open: kept here to save a load each
    private final BessServer server;
    private final SlotSnapshots snapshots;
    // reused by open(): EngineObjectRef copies what it needs out of the slot, so none outlives the call
    private final ObjectStore.Slot openSlot = new ObjectStore.Slot();
    // reused by open()'s resolution from the session's slot snapshots, outside the latch
    private final ObjectStore.Slot fastSlot = new ObjectStore.Slot();
    // where the last resolution of an open ended (resolveOpen), through forward objects: the object's database and
    // word
    private EngineDatabase latchedDb;
    private long latchedWord;
    // opens resolved under the latch (tests)
    private long latchedOpens;
    private boolean active = true;

    EngineTransaction(final EmbeddedSession session) {
        this.session = session;
        this.server = session.server();
        this.snapshots = session.snapshots();
    }

    void checkActive() {
        if (!active) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "transaction is no longer active (committed or closed)");
        }
    }

    /** Every entry point, with the engine latch held: checks the transaction. */
    private void enter() {
        checkActive();
    }

    /** A deadlock victim or a timed-out waiter: rolled back by the engine, no longer usable. */
    void deactivate() {
        active = false;
    }

    /** Opens of this transaction resolved under the engine latch (not from a slot snapshot or the opened objects). */
    long latchedOpens() {
        return latchedOpens;
    }

    EmbeddedSession session() {
        return session;
    }

    private EngineDatabase db(final Database database) {
        enter();
        if (!(database instanceof EngineDatabase db) || db.server() != session.server()) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "database is not open in this session: " + database);
        }
        return db;
    }

    /**
     * The engine's file behind a handle, locked in {@code mode} for the transaction first ({@code IX} to add to it,
     * {@code IS} to scan it, {@code X} to drop it), so that a drop another transaction has not committed yet is waited
     * for rather than seen.
     */
    private EngineFile file(final BessFile file, final LockMode mode) {
        enter();
        if (!(file instanceof EngineFile f) || f.db().server() != session.server()) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "file is not of this session: " + file);
        }
        f.db().server().lockFile(f.db(), f.entry().id, mode);
        if (f.current() == null) {
            throw new BessException(ErrorCode.NAME, "file was dropped: " + file);
        }
        return f;
    }

    private EngineObjectRef object(final ObjectRef object) {
        enter();
        if (!(object instanceof EngineObjectRef o)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "object is not of this session: " + object);
        }
        return o;
    }

    @Override
    public BessFile createFile(final Database database, final String name) {
        try (EmbeddedSession.Guard g = session.enter()) {
            final EngineDatabase db = db(database);
            return createIn(db, name, db.root().id());
        }
    }

    @Override
    public BessFile createFile(final Database database, final String name, final Path area) {
        try (EmbeddedSession.Guard g = session.enter()) {
            final EngineDatabase db = db(database);
            return createIn(db, name, db.areaByPath(area).id());
        }
    }

    private BessFile createIn(final EngineDatabase db, final String name, final int areaId) {
        Catalog.checkName("file", name);
        db.server().lockCatalog(db, LockMode.X);
        if (name.startsWith("$")) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "file names starting with '$' are reserved: name=" + name);
        }
        if (db.catalog().file(name) != null) {
            throw new BessException(ErrorCode.NAME, "file already exists: file=" + name + ", database=" + db.path());
        }
        return new EngineFile(db, db.catalog().addFile(name, areaId));
    }

    @Override
    public BessFile file(final Database database, final String name) {
        try (EmbeddedSession.Guard g = session.enter()) {
            final EngineDatabase db = db(database);
            db.server().lockCatalog(db, LockMode.S);
            final Catalog.FileEntry f = db.catalog().file(name);
            if (f == null || name.startsWith("$")) {
                throw new BessException(ErrorCode.NAME, "no such file: file=" + name + ", database=" + db.path());
            }
            return new EngineFile(db, f);
        }
    }

    @Override
    public void dropFile(final BessFile file) {
        try (EmbeddedSession.Guard g = session.enter()) {
            // the whole file first (it waits for transactions adding to it (IX) or scanning it (IS), which may still
            // need the catalog for the file's first segment), then the catalog
            final EngineFile f = file(file, LockMode.X);
            session.opened().begin();
            session.snapshots().clear();
            f.db().server().lockCatalog(f.db(), LockMode.X);
            f.db().largeObjects().dropFile(f.entry());
            f.db().objects().dropFile(f.entry());
        }
    }

    @Override
    public ObjectRef allocate(final BessFile file, final TypeId type) {
        try (EmbeddedSession.Guard g = session.enter()) {
            return allocate(file, type, type.size());
        }
    }

    @Override
    public ObjectRef allocate(final BessFile file, final TypeId type, final int size) {
        try (EmbeddedSession.Guard g = session.enter()) {
            session.snapshots().clear();
            final EngineFile f = file(file, LockMode.IX);
            checkType(f.db(), type);
            final long word = f.db().objects().allocate(f.entry(), type.id(), size, 0, 0);
            return open(f.db(), word);
        }
    }

    @Override
    public ObjectRef allocateNear(final ObjectRef near, final TypeId type, final int size) {
        try (EmbeddedSession.Guard g = session.enter()) {
            session.snapshots().clear();
            final EngineObjectRef o = object(near);
            final EngineDatabase db = (EngineDatabase) o.database();
            checkType(db, type);
            final ObjectStore.Slot slot = new ObjectStore.Slot();
            db.objects().resolve(o.word(), slot);
            final Catalog.FileEntry file = db.catalog().file(db.objects().segmentFile(slot.segPage));
            if (file == null) {
                throw new BessException(ErrorCode.INVALID_REFERENCE, "object segment belongs to no file: " + near);
            }
            final long word = db.objects().allocate(file, type.id(), size, slot.segPage, 0);
            return open(db, word);
        }
    }

    private static void checkType(final EngineDatabase db, final TypeId type) {
        if (type == null || !type.equals(db.typeById(type.id()))) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "type is not defined in this database: type=" + type + ", database=" + db.path());
        }
    }

    private ObjectRef open(final EngineDatabase db, final long word) {
        db.objects().resolve(word, openSlot);
        return new EngineObjectRef(this, db, word, openSlot);
    }

    @Override
    public ObjectRef open(final Ref ref) {
        // the reference is taken apart here and not passed on, and the handle is made here, by handle(), for every
        // open (none is kept and given out again): a caller that inlines this and does not keep the handle (reads a
        // value and moves on) allocates neither (see resolveOpen)
        final boolean nullRef = ref == null;
        final Database database = nullRef ? null : ref.database();
        final long word = nullRef ? RefDescriptor.NULL_REF : ref.word();
        return handle(resolveOpen(database, word, nullRef));
    }

    /**
     * The handle of the object {@link #resolveOpen} resolved last: the one place where opens make handles, so that a
     * caller that inlines {@link EngineObjectRef#openRef} (or {@link #open(Ref)}) has one allocation (escape analysis
     * gives up on objects merged from two allocation sites).
     */
    EngineObjectRef handle(final ObjectStore.Slot slot) {
        return new EngineObjectRef(
                this,
                latchedDb,
                latchedWord,
                slot.window,
                (slot.firstPage() << PAGE_SHIFT) + slot.offsetInPage(),
                slot.size,
                slot.typeId,
                slot.epoch);
    }

    /**
     * Re-points {@code target} at the object {@link #resolveOpen} resolved last ({@link ObjectRef#openRefInto}).
     *
     * @param target a handle of this transaction.
     * @param slot what {@link #resolveOpen} returned.
     * @return the target.
     */
    EngineObjectRef handleInto(final EngineObjectRef target, final ObjectStore.Slot slot) {
        target.point(
                latchedDb,
                latchedWord,
                slot.window,
                (slot.firstPage() << PAGE_SHIFT) + slot.offsetInPage(),
                slot.size,
                slot.typeId,
                slot.epoch);
        return target;
    }

    /**
     * Resolves a reference for an open ({@link #open(Ref)}, {@link EngineObjectRef#openRef}), with every check of an
     * open: from the slot snapshot of its segment without the latch when the transaction has one (a segment it
     * resolved into before: its slots, in the cache frame the snapshot pinned under the page's shared lock the
     * transaction still holds; see {@link SlotSnapshots}), else from the slot the transaction kept when it opened the
     * object under the latch in a segment that got no snapshot (its opened objects, while the layout epoch is the
     * same), else under the latch, through forward objects, taking the segment's snapshot (or keeping the slot) for the
     * next opens. The object's database and word (not the reference's, through a forward object) are then in {@link
     * #latchedDb} and {@link #latchedWord}.
     *
     * <p>The handle is made by the caller ({@link #handle}), not here, and this method is kept whole, latched path
     * included (above C2's {@code FreqInlineSize} of 325 bytecodes), on purpose: the JIT never inlines it, so {@code
     * openRef}, which makes the handle, stays small and is inlined into a traversal, allocation included; a handle the
     * traversal does not keep (a connection object read once and followed) is then scalar-replaced. With this method
     * inlined into {@code openRef}'s own compilation, {@code openRef} was "already compiled into a big method" at the
     * traversal's call site, and every handle was allocated (OO7 small T1: 11.5 MB allocated per operation, now 1.5).
     *
     * @param database the reference's database.
     * @param refWord the reference word.
     * @param nullRef whether the reference is null (refused).
     * @return the slot, placed in its area (to read only; valid until the next open of the transaction).
     */
    ObjectStore.Slot resolveOpen(final Database database, final long refWord, final boolean nullRef) {
        if (active && !nullRef && database instanceof EngineDatabase fast && fast.server() == server) {
            server.awaitQueued();
            if (snapshots.resolve(fast, refWord, fastSlot)) {
                latchedDb = fast;
                latchedWord = refWord;
                return fastSlot;
            }
            // opened before under the latch, in a segment without a snapshot (past the snapshots' pin budget, or
            // snapshots off): its slot page is still locked, so the slot as placed then is valid while the layout is
            final ObjectStore.Slot again = session.opened().get(fast, refWord);
            if (again != null && again.epoch == fast.layoutEpoch()) {
                latchedDb = fast;
                latchedWord = refWord;
                return again;
            }
        }
        try (EmbeddedSession.Guard g = session.enter()) {
            if (nullRef) {
                throw new BessException(ErrorCode.INVALID_REFERENCE, "null reference");
            }
            latchedOpens++;
            EngineDatabase db = db(database);
            long word = refWord;
            final ObjectStore.Slot slot = openSlot;
            for (int hops = 0; ; hops++) {
                db.objects().resolve(word, slot);
                if ((slot.flags & SlotDescriptor.FLAG_FORWARD) == 0) {
                    if ((slot.flags & SlotDescriptor.FLAG_LARGE) != 0) {
                        throw new BessException(
                                ErrorCode.BAD_ARGUMENT,
                                "reference names a large object: open it with openLarge: ref="
                                        + new Ref(database, refWord));
                    }
                    EngineObjectRef.placeInArea(this, db, slot);
                    if (hops == 0) {
                        // the next opens into this segment resolve from its slots, without the latch; and the next
                        // opens of this reference from the opened objects when the segment gets no snapshot
                        if (!snapshots.take(db, slot.segPage, slot.area)) {
                            session.opened().put(db, word, slot.copy());
                        }
                    }
                    latchedDb = db;
                    latchedWord = word;
                    return slot;
                }
                if (hops > 8) {
                    throw new BessException(
                            ErrorCode.INVALID_REFERENCE, "forward chain too long: ref=" + new Ref(database, refWord));
                }
                final long[] fwd = db.objects().readForward(slot);
                final Catalog.ForeignEntry foreign = db.catalog().foreign().get((int) fwd[0]);
                db = server.openForeign(foreign.path(), foreign.databaseId());
                word = fwd[1];
            }
        }
    }

    @Override
    public LargeObject openLarge(final Ref ref) {
        try (EmbeddedSession.Guard g = session.enter()) {
            if (ref == null) {
                throw new BessException(ErrorCode.INVALID_REFERENCE, "null reference");
            }
            EngineDatabase db = db(ref.database());
            long word = ref.word();
            final ObjectStore.Slot slot = new ObjectStore.Slot();
            for (int hops = 0; ; hops++) {
                db.objects().resolve(word, slot);
                if ((slot.flags & SlotDescriptor.FLAG_FORWARD) == 0) {
                    return new EngineLargeObject(this, db, word);
                }
                if (hops > 8) {
                    throw new BessException(ErrorCode.INVALID_REFERENCE, "forward chain too long: ref=" + ref);
                }
                final long[] fwd = db.objects().readForward(slot);
                final Catalog.ForeignEntry foreign = db.catalog().foreign().get((int) fwd[0]);
                db = session.server().openForeign(foreign.path(), foreign.databaseId());
                word = fwd[1];
            }
        }
    }

    @Override
    public LargeObject createLarge(final BessFile file) {
        try (EmbeddedSession.Guard g = session.enter()) {
            session.snapshots().clear();
            final EngineFile f = file(file, LockMode.IX);
            return new EngineLargeObject(
                    this, f.db(), f.db().largeObjects().create(f.entry(), new int[] {f.entry().areaId}));
        }
    }

    @Override
    public LargeObject createLarge(final BessFile file, final List<Path> areas) {
        try (EmbeddedSession.Guard g = session.enter()) {
            session.snapshots().clear();
            final EngineFile f = file(file, LockMode.IX);
            if (areas == null || areas.isEmpty() || areas.size() > LargeObjectNodeDescriptor.MAX_STRIPE_AREAS) {
                throw new BessException(
                        ErrorCode.BAD_ARGUMENT,
                        "a large object is striped over 1 to " + LargeObjectNodeDescriptor.MAX_STRIPE_AREAS
                                + " areas: areas=" + areas + ", file=" + f.name());
            }
            final int[] ids = new int[areas.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = f.db().areaByPath(areas.get(i)).id();
                for (int k = 0; k < i; k++) {
                    if (ids[k] == ids[i]) {
                        throw new BessException(
                                ErrorCode.BAD_ARGUMENT,
                                "an area is listed twice in a stripe list: area=" + areas.get(i) + ", file="
                                        + f.name());
                    }
                }
            }
            return new EngineLargeObject(this, f.db(), f.db().largeObjects().create(f.entry(), ids));
        }
    }

    @Override
    public void free(final LargeObject object) {
        try (EmbeddedSession.Guard g = session.enter()) {
            session.snapshots().clear();
            enter();
            if (!(object instanceof EngineLargeObject o) || o.tx() != this) {
                throw new BessException(ErrorCode.BAD_ARGUMENT, "large object is not of this transaction: " + object);
            }
            o.db().largeObjects().free(o.word());
        }
    }

    /** The word to store for a reference inside {@code db}: the reference itself, or a forward object's. */
    long storedWord(final EngineDatabase db, final Ref ref) {
        if (ref == null) {
            return RefDescriptor.NULL_REF;
        }
        if (ref.database() == db) {
            return ref.word();
        }
        // a reference into another database is stored through a forward object: engine work, under the latch
        try (EmbeddedSession.Guard g = session.enter()) {
            final EngineDatabase target = db(ref.database());
            session.snapshots().clear();
            return target == db ? ref.word() : db.objects().forwardTo(target, ref.word());
        }
    }

    @Override
    public void free(final ObjectRef object) {
        try (EmbeddedSession.Guard g = session.enter()) {
            session.snapshots().clear();
            final EngineObjectRef o = object(object);
            ((EngineDatabase) o.database()).objects().free(o.word());
            session.opened().remove(o.word());
        }
    }

    @Override
    public void resize(final ObjectRef object, final int newSize) {
        try (EmbeddedSession.Guard g = session.enter()) {
            session.snapshots().clear();
            final EngineObjectRef o = object(object);
            ((EngineDatabase) o.database()).objects().resize(o.word(), newSize);
        }
    }

    @Override
    public void setRoot(final Database database, final String name, final Ref ref) {
        try (EmbeddedSession.Guard g = session.enter()) {
            final EngineDatabase db = db(database);
            Catalog.checkName("root", name);
            db.server().lockCatalog(db, LockMode.X);
            if (ref == null) {
                db.catalog().roots().remove(name);
            } else {
                db.catalog().roots().put(name, storedWord(db, ref));
            }
            db.catalog().dirty(true);
        }
    }

    @Override
    public Ref root(final Database database, final String name) {
        try (EmbeddedSession.Guard g = session.enter()) {
            final EngineDatabase db = db(database);
            db.server().lockCatalog(db, LockMode.S);
            final Long word = db.catalog().roots().get(name);
            return word == null ? null : new Ref(db, word);
        }
    }

    @Override
    public Cursor scan(final BessFile file) {
        try (EmbeddedSession.Guard g = session.enter()) {
            // intention to read the whole file: a transaction dropping or moving it (X) waits for the scan's end
            final EngineFile f = file(file, LockMode.IS);
            return new EngineCursor(this, f);
        }
    }

    @Override
    public void commit() {
        final TransactionManager.Txn t;
        final long commitLsn;
        if (active) {
            // the written frames go back to read-only before their diffs are taken, so that nothing can change them
            // unlogged after that; and before the latch, as the first write's mprotect is after it (the session's own
            // frames, which only its thread changes): the system call and its TLB shootdown hold up no other session
            session.frames().protectWritten();
        }
        try (EmbeddedSession.Guard g = session.enter()) {
            enter();
            active = false;
            t = session.txn();
            commitLsn = session.commitLogged(t);
        }
        // the force, END and the lock release need no latch: other sessions run while this one waits, and its wake-up
        // does not queue for the latch again
        session.commitDurable(t, commitLsn);
    }

    @Override
    public void abort() {
        try (EmbeddedSession.Guard g = session.enter()) {
            enter();
            active = false;
            session.abort();
        }
    }

    @Override
    public boolean isActive() {
        return active;
    }

    @Override
    public void close() {
        if (active) {
            abort();
        }
    }
}
