package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.FORMAT_VERSION_OFFSET;
import static org.bess.format.PageHeaderDescriptor.PAGE_TYPE_OFFSET;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.AreaInfo;
import org.bess.client.CompactionReport;
import org.bess.client.Database;
import org.bess.client.FileInfo;
import org.bess.client.LargeObjectInfo;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CatalogPageDescriptor;
import org.bess.format.ExtentMapDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;
import org.bess.server.catalog.Catalog;

/**
 * An open database: its root area, its other areas, its catalog and its object store. Changes become durable at
 * a checkpoint of the session: dirty pages are written back (data pages before control pages), the areas forced, and a
 * changed catalog switched in by rewriting the root area header.
 *
 * <p>Not thread safe: the session thread only.
 */
@SuppressWarnings("try") // the latch guard is used for its close() only
final class EngineDatabase implements Database {
    private final BessServer server;
    private final int number;
    private final BufferCache cache;
    private final Path rootPath;
    private final Map<Integer, StorageArea> areas = new LinkedHashMap<>();
    private Catalog catalog;
    private byte[] committedCatalog;
    /** The catalog's change count when it was last compared with the committed bytes (-1: compare next time). */
    private long checkedChanges = -1;

    private boolean catalogNeedsStore;
    /**
     * The object layer of each session: like a client process of BeSS, every session runs its own object layer (with
     * its own scratch buffers and caches) over the shared pages, so that a session waiting for a lock in the middle
     * of an operation never shares scratch state with the session that runs meanwhile.
     */
    private final Map<EmbeddedSession, Layer> layers = new java.util.IdentityHashMap<>();

    private EmbeddedSession lastSession;
    private Layer lastLayer;

    private final class Layer {
        final ObjectStore objects = new ObjectStore(EngineDatabase.this);
        LargeObjectStore large;
    }
    /** Blocks freed by each open transaction, freed when it commits: {area, page, order}. */
    private final Map<Long, List<long[]>> deferredFrees = new java.util.HashMap<>();

    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private StorageArea root;
    private final org.agrona.collections.Int2ObjectHashMap<TypeId> typeCache =
            new org.agrona.collections.Int2ObjectHashMap<>();
    private int layoutEpoch;
    // the last area looked up by id: every opened object binds through area(id), nearly always the same one;
    // forgotten wherever an entry leaves the areas map
    private int lastAreaId = -1;
    private StorageArea lastArea;

    private EngineDatabase(final BessServer server, final Path rootPath, final Catalog catalog) {
        this.server = server;
        this.number = server.nextDatabaseNumber();
        this.cache = server.cache();
        this.rootPath = rootPath;
        this.catalog = catalog;
        this.committedCatalog = catalog.serialize();
    }

    /** Binds an open area's window to its durable identity and routes its map changes through the update path. */
    private void attach(final StorageArea area) {
        server.bindWindow(area.window(), this, area);
        area.writeHook(server.updatePath());
    }

    /** Logs where this database lives, so that restart recovery can open it. */
    /** Logs the {@code DATABASE} record that names this database for restart (at its opening). */
    void logDatabase() {
        server.log()
                .append(
                        org.bess.format.LogRecordDescriptor.TYPE_DATABASE,
                        (short) 0,
                        0,
                        0,
                        org.bess.server.txn.TransactionManager.databasePayload(
                                catalog.databaseId(),
                                rootPath.toAbsolutePath().normalize().toString()));
    }

    static EngineDatabase create(final BessServer server, final Path rootPath, final long extentBytes) {
        final long extentPages = extentBytes / PageHeaderDescriptor.PAGE_LENGTH;
        if (Long.bitCount(extentBytes) != 1
                || extentPages < ExtentMapDescriptor.MIN_EXTENT_PAGES
                || extentPages > ExtentMapDescriptor.MAX_EXTENT_PAGES) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "extent size must be a power of two from 1 MiB to 16 MiB: extentBytes=" + extentBytes);
        }
        if (Files.exists(rootPath)) {
            throw new BessException(ErrorCode.NAME, "a file already exists at the root area path: path=" + rootPath);
        }
        final long id = ThreadLocalRandom.current().nextLong() | 1L;
        final Catalog catalog = new Catalog(id);
        final EngineDatabase db = new EngineDatabase(server, rootPath, catalog);
        final Catalog.AreaEntry entry = catalog.addArea(rootPath.toString());
        final int window = db.server.allocateWindow();
        db.root = StorageArea.create(
                rootPath.toString(), rootPath, id, entry.id, true, (int) extentPages, 0, db.cache, window);
        db.areas.put(entry.id, db.root);
        db.attach(db.root);
        db.root.openByNode(db.server.nodeHash());
        db.committedCatalog = new byte[0];
        db.logDatabase();
        return db;
    }

    static EngineDatabase open(final BessServer server, final Path rootPath) {
        return open(server, rootPath, true);
    }

    /** Opens a database; {@code logged} false leaves its {@code DATABASE} record to the caller (restart's redo). */
    static EngineDatabase open(final BessServer server, final Path rootPath, final boolean logged) {
        final int window = server.allocateWindow();
        final StorageArea root = StorageArea.open(rootPath.toString(), rootPath, 0, -1, server.cache(), window);
        final Catalog catalog;
        try {
            if (!root.isRoot()) {
                throw new BessException(
                        ErrorCode.BAD_FORMAT,
                        "not the root area of a database (it is area " + root.id() + " of one): path=" + rootPath);
            }
            final int owner = root.openByNode();
            if (owner != 0 && owner != server.nodeHash()) {
                throw new BessException(
                        ErrorCode.ILLEGAL_STATE,
                        "database was left open by another node (node " + Integer.toHexString(owner) + "): its recent"
                                + " changes are in that node's log; restart that node (or run 'bess-admin recover"
                                + " --node-dir' on it) first: path=" + rootPath);
            }
            root.openByNode(server.nodeHash());
            catalog = Catalog.read(server.cache(), root, rootPath.toString());
        } catch (final RuntimeException e) {
            server.cache().dropWindow(window, 0, true);
            server.cache().unregister(window);
            root.close();
            throw e;
        }
        final EngineDatabase db = new EngineDatabase(server, rootPath, catalog);
        db.root = root;
        db.areas.put(root.id(), root);
        db.attach(root);
        try {
            for (final Catalog.AreaEntry a : catalog.areas()) {
                if (a.id != root.id()) {
                    db.openArea(a);
                }
            }
        } catch (final RuntimeException e) {
            db.closeAreas();
            throw e;
        }
        if (logged) {
            db.logDatabase();
        }
        return db;
    }

    private void openArea(final Catalog.AreaEntry entry) {
        final Path path = resolve(entry.path);
        if (!Files.exists(path)) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "a storage area of the database is missing: database=" + rootPath + ", area=" + entry.id + ", path="
                            + path);
        }
        final int window = server.allocateWindow();
        final StorageArea area =
                StorageArea.open(rootPath.toString(), path, catalog.databaseId(), entry.id, cache, window);
        areas.put(entry.id, area);
        attach(area);
    }

    /**
     * The catalog change of a committing transaction: a {@code CATALOG} record payload, or null when unchanged or when
     * the transaction does not hold the catalog lock (only its holder changes the catalog).
     */
    java.nio.ByteBuffer catalogChange(final org.bess.server.txn.TransactionManager.Txn t) {
        // unchanged since the last check first: the ownership check asks the lock manager about every active
        // transaction, at every commit
        if (catalog.changes() == checkedChanges || !server.ownsCatalog(this, t)) {
            return null;
        }
        final byte[] bytes = catalog.serialize();
        checkedChanges = catalog.changes();
        if (Arrays.equals(bytes, committedCatalog)) {
            return null;
        }
        committedCatalog = bytes;
        catalogNeedsStore = true;
        return java.nio.ByteBuffer.allocate(Long.BYTES + bytes.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(catalog.databaseId())
                .put(bytes)
                .flip();
    }

    /** Whether the catalog differs from what the open transaction started from. */
    boolean catalogChanged() {
        return catalog.changes() != checkedChanges && !Arrays.equals(catalog.serialize(), committedCatalog);
    }

    /**
     * After an abort: back to the committed catalog when the transaction held its lock, and re-read everything derived
     * from pages.
     */
    void afterAbort(final org.bess.server.txn.TransactionManager.Txn t) {
        if (server.ownsCatalog(this, t) && catalogChanged()) {
            catalog.restoreFrom(Catalog.deserialize(committedCatalog, rootPath.toString()));
            checkedChanges = -1;
        }
        afterPagesRestored();
    }

    /** Restart recovery found a newer committed catalog in the log: it becomes current and is stored at checkpoint. */
    void installRecoveredCatalog(final byte[] bytes) {
        checkedChanges = -1;
        catalog = Catalog.deserialize(bytes, rootPath.toString());
        committedCatalog = bytes;
        catalogNeedsStore = true;
    }

    /** Pages changed behind the object layer's back (abort, recovery): drop every cached derivation of them. */
    void afterPagesRestored() {
        typeCache.clear();
        for (final Layer l : layers.values()) {
            l.objects.resetCaches();
        }
        for (final StorageArea a : areas.values()) {
            a.reloadHints();
        }
        bumpLayoutEpoch();
    }

    /** Whether a checkpoint must store the catalog. */
    boolean catalogNeedsStore() {
        return catalogNeedsStore;
    }

    /**
     * Writes the catalog into a new block of the root area (in a transaction: the allocation is logged).
     *
     * @return {first page, page count, byte length} of the new chain.
     */
    long[] writeCatalogPages() {
        final byte[] bytes = committedCatalog;
        final int pages = Math.max(
                1,
                (bytes.length + CatalogPageDescriptor.PAYLOAD_CAPACITY - 1) / CatalogPageDescriptor.PAYLOAD_CAPACITY);
        final int order = 32 - Integer.numberOfLeadingZeros(pages - 1);
        final int blockPages = 1 << order;
        final long first = root.allocate(order);
        if (first < 0) {
            throw new BessException(ErrorCode.STORAGE_FULL, "root area full: cannot store the catalog: " + rootPath);
        }
        // named in the header before the allocation can commit: a crash before the switch lets recovery free it
        root.pendingCatalog(first, blockPages);
        int written = 0;
        for (int i = 0; i < blockPages; i++) {
            // catalog pages are written whole and never diffed: they reach the disk at this checkpoint, before the
            // root header points at them
            final int frame = cache.pinNew(root.window(), first + i, true);
            try {
                cache.wrap(view, frame);
                view.putShort(PAGE_TYPE_OFFSET, PageHeaderDescriptor.TYPE_CATALOG);
                view.putShort(FORMAT_VERSION_OFFSET, PageHeaderDescriptor.FORMAT_VERSION);
                final int n = Math.min(CatalogPageDescriptor.PAYLOAD_CAPACITY, bytes.length - written);
                view.putInt(CatalogPageDescriptor.NEXT_PAGE_OFFSET, i + 1 < blockPages ? (int) (first + i + 1) : 0);
                view.putInt(CatalogPageDescriptor.PAYLOAD_LENGTH_OFFSET, n);
                view.putBytes(CatalogPageDescriptor.PAYLOAD_OFFSET, bytes, written, n);
                written += n;
                cache.markDirty(frame);
            } finally {
                cache.unpin(frame);
            }
        }
        return new long[] {first, blockPages, bytes.length};
    }

    /**
     * Points the root header at a written and forced catalog chain.
     *
     * @return the previous location, whose block the caller frees in a transaction.
     */
    long[] switchCatalog(final long[] location) {
        final long[] old = root.catalogLocation();
        root.catalogLocation(location[0], (int) location[1], location[2]);
        catalogNeedsStore = false;
        return old;
    }

    /**
     * Frees a catalog block that a checkpoint allocated but never switched in (its crash left it named in the root
     * header), in a transaction; called by restart recovery.
     */
    void releasePendingCatalog() {
        final long[] pending = root.pendingCatalog();
        if (pending[0] == 0) {
            return;
        }
        final int order = Integer.numberOfTrailingZeros((int) Math.max(1, pending[1]));
        if (pending[0] != root.catalogLocation()[0] && root.isAllocated(pending[0], order)) {
            server.runInternal(() -> {
                root.free(pending[0], order);
                return null;
            });
        }
        root.pendingCatalog(0, 0);
    }

    /** Frees a catalog block that the header no longer points to (in a transaction). */
    void freeCatalogBlock(final long[] location) {
        if (location[0] != 0) {
            root.free(location[0], Integer.numberOfTrailingZeros((int) location[1]));
        }
    }

    Path resolve(final String stored) {
        final Path p = Path.of(stored);
        return p.isAbsolute() ? p : rootPath.toAbsolutePath().getParent().resolve(p);
    }

    private String storedPath(final Path path) {
        final Path abs = path.toAbsolutePath().normalize();
        final Path dir = rootPath.toAbsolutePath().normalize().getParent();
        return abs.startsWith(dir) ? dir.relativize(abs).toString() : abs.toString();
    }

    /** The session of the calling thread (for the entry points of this shared object). */
    EmbeddedSession session() {
        return server.threadSession();
    }

    /** The node-local number of this database (its part of lock resource keys). */
    int number() {
        return number;
    }

    BessServer server() {
        return server;
    }

    BufferCache cache() {
        return cache;
    }

    Catalog catalog() {
        return catalog;
    }

    ObjectStore objects() {
        return layer().objects;
    }

    private Layer layer() {
        final EmbeddedSession s = server.currentSession();
        if (s == lastSession && lastLayer != null) {
            return lastLayer;
        }
        final Layer l = layers.computeIfAbsent(s, k -> new Layer());
        lastSession = s;
        lastLayer = l;
        return l;
    }

    /** A session closed: its object layer goes. */
    void forgetSession(final EmbeddedSession s) {
        layers.remove(s);
        if (lastSession == s) {
            lastSession = null;
            lastLayer = null;
        }
    }

    /**
     * Frees a block when the open transaction commits (dropped if it aborts). A block freed by a transaction is never
     * reused by the same transaction: the update path takes a new block's before-image from a frame that may have been
     * zeroed without reading, and an abort would write those zeros over what the block held when it was freed.
     */
    void deferFree(final StorageArea area, final long page, final int order) {
        final org.bess.server.txn.TransactionManager.Txn t = server.txns().current();
        if (t == null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "block freed outside a transaction: " + rootPath);
        }
        deferredFrees.computeIfAbsent(t.id(), k -> new ArrayList<>()).add(new long[] {area.id(), page, order});
    }

    /** Frees the blocks a transaction freed; it is about to commit. */
    void applyDeferredFrees(final org.bess.server.txn.TransactionManager.Txn t) {
        // nearly always none (no boxed lookup then): a read-only transaction's commit
        final List<long[]> frees = deferredFrees.isEmpty() ? null : deferredFrees.remove(t.id());
        if (frees != null) {
            for (final long[] f : frees) {
                area((int) f[0]).free(f[1], (int) f[2]);
            }
        }
    }

    /** A transaction ended (committed or rolled back). */
    void endTransaction(final org.bess.server.txn.TransactionManager.Txn t) {
        if (!deferredFrees.isEmpty()) {
            deferredFrees.remove(t.id());
        }
        final LargeObjectStore large = layer().large;
        if (large != null) {
            large.tree().endTransaction();
        }
    }

    /** The large objects (made on first use: they need the root area's extent size). */
    LargeObjectStore largeObjects() {
        final Layer l = layer();
        if (l.large == null) {
            l.large = new LargeObjectStore(this);
        }
        return l.large;
    }

    StorageArea root() {
        return root;
    }

    /** The open area with this id, or null. */
    StorageArea areaOrNull(final int id) {
        return areas.get(id);
    }

    StorageArea area(final int id) {
        if (id == lastAreaId) {
            return lastArea;
        }
        final StorageArea a = areas.get(id);
        if (a == null) {
            throw new BessException(ErrorCode.NAME, "no such area: database=" + rootPath + ", area=" + id);
        }
        lastAreaId = id;
        lastArea = a;
        return a;
    }

    private void forgetLastArea() {
        lastAreaId = -1;
        lastArea = null;
    }

    Iterable<StorageArea> openAreas() {
        return areas.values();
    }

    StorageArea areaByPath(final Path path) {
        final Path abs = path.toAbsolutePath().normalize();
        for (final StorageArea a : areas.values()) {
            if (a.path().toAbsolutePath().normalize().equals(abs)) {
                return a;
            }
        }
        throw new BessException(
                ErrorCode.NAME, "no such area in the database: database=" + rootPath + ", path=" + path);
    }

    int layoutEpoch() {
        return layoutEpoch;
    }

    void bumpLayoutEpoch() {
        layoutEpoch++;
    }

    /** Tells the virtual frames that an area grew, so its window covers the new pages. */
    void areaGrew(final StorageArea area) {
        final EmbeddedSession s = server.currentSession();
        if (s != null) {
            s.frames().ensureWindow(area.window(), area.pageCount());
        }
    }

    @Override
    public Path path() {
        return rootPath;
    }

    @Override
    public long id() {
        return catalog.databaseId();
    }

    @Override
    public AreaInfo addArea(final Path path, final long maxSizeBytes) {
        try (EmbeddedSession.Guard g = session().enter()) {
            session().checkNoTransaction("add an area");
            final boolean device = Files.exists(path) && !Files.isRegularFile(path);
            if (Files.exists(path) && !device) {
                throw new BessException(ErrorCode.NAME, "a file already exists at the area path: path=" + path);
            }
            final String stored = storedPath(path);
            final Catalog.AreaEntry entry = server.runInternal(() -> catalog.addArea(stored));
            if (device) {
                final int window = server.allocateWindow();
                final StorageArea area;
                try {
                    area = StorageArea.createOnDevice(
                            rootPath.toString(), path, id(), entry.id, root.extentPages(), cache, window);
                } catch (final RuntimeException e) {
                    forgetArea(entry.id);
                    throw e;
                }
                areas.put(entry.id, area);
                attach(area);
                server.checkpointNow();
                return info(area);
            }
            final int window = server.allocateWindow();
            final long extentBytes = (long) root.extentPages() * PageHeaderDescriptor.PAGE_LENGTH;
            if (maxSizeBytes < 0
                    || (maxSizeBytes > 0 && maxSizeBytes < extentBytes + PageHeaderDescriptor.PAGE_LENGTH)) {
                forgetArea(entry.id);
                throw new BessException(
                        ErrorCode.BAD_ARGUMENT,
                        "area size limit below one extent: maxSizeBytes=" + maxSizeBytes + ", extentBytes="
                                + extentBytes);
            }
            final int maxExtents =
                    (int) Math.min(Integer.MAX_VALUE, (maxSizeBytes - PageHeaderDescriptor.PAGE_LENGTH) / extentBytes);
            final StorageArea area;
            try {
                area = StorageArea.create(
                        rootPath.toString(),
                        path,
                        id(),
                        entry.id,
                        false,
                        root.extentPages(),
                        Math.max(0, maxExtents),
                        cache,
                        window);
            } catch (final RuntimeException e) {
                forgetArea(entry.id);
                throw e;
            }
            areas.put(entry.id, area);
            attach(area);
            server.checkpointNow();
            return info(area);
        }
    }

    private void forgetArea(final int areaId) {
        server.runInternal(() -> {
            catalog.removeArea(areaId);
            return null;
        });
    }

    @Override
    public void removeArea(final Path path) {
        try (EmbeddedSession.Guard g = session().enter()) {
            session().checkNoTransaction("remove an area");
            server.checkExclusive("remove an area");
            final StorageArea area = areaByPath(path);
            if (area == root) {
                throw new BessException(ErrorCode.AREA_IN_USE, "the root area cannot be removed: path=" + path);
            }
            final List<String> users = objects().filesUsingArea(area.id());
            for (final Catalog.FileEntry f : catalog.files()) {
                if (!users.contains(f.name) && largeObjects().fileUsesArea(f, area.id())) {
                    users.add(f.name);
                }
            }
            if (!users.isEmpty()) {
                throw new BessException(
                        ErrorCode.AREA_IN_USE,
                        "area still holds files; move them away first: path=" + path + ", files="
                                + String.join(",", users));
            }
            server.runInternal(() -> {
                catalog.removeArea(area.id());
                return null;
            });
            server.checkpointNow();
            server.invalidateWindowInSessions(area.window());
            cache.dropWindow(area.window(), 0, true);
            cache.unregister(area.window());
            areas.remove(area.id());
            server.unbindWindow(area.window());
            if (area.isDevice()) {
                area.wipeHeader();
            }
            forgetLastArea();
            area.close();
            if (area.isDevice()) {
                return;
            }
            try {
                Files.deleteIfExists(area.path());
            } catch (final IOException e) {
                throw new BessException(
                        ErrorCode.IO, "area removed from the database but its file remains: path=" + path, e);
            }
        }
    }

    @Override
    public List<AreaInfo> areas() {
        try (EmbeddedSession.Guard g = session().enter()) {
            final List<AreaInfo> list = new ArrayList<>();
            for (final StorageArea a : areas.values()) {
                list.add(info(a));
            }
            return list;
        }
    }

    private static AreaInfo info(final StorageArea a) {
        return new AreaInfo(
                a.id(),
                a.path(),
                a.pageCount() * PageHeaderDescriptor.PAGE_LENGTH,
                a.extentCount(),
                a.freePageCount() * PageHeaderDescriptor.PAGE_LENGTH);
    }

    @Override
    public TypeId defineType(final String name, final int size, final int[] refOffsets) {
        try (EmbeddedSession.Guard g = session().enter()) {
            Catalog.checkName("type", name);
            if (size < 0 || size > org.bess.format.SlottedSegmentDescriptor.MAX_DATA_LENGTH) {
                throw new BessException(ErrorCode.BAD_ARGUMENT, "bad type size: type=" + name + ", size=" + size);
            }
            final int[] offsets = refOffsets == null ? new int[0] : refOffsets.clone();
            for (final int o : offsets) {
                if (o < 0 || o + Long.BYTES > size) {
                    throw new BessException(
                            ErrorCode.BAD_ARGUMENT,
                            "reference offset outside the type: type=" + name + ", offset=" + o + ", size=" + size);
                }
            }
            for (final Catalog.TypeEntry t : catalog.types()) {
                if (t.name().equals(name)) {
                    if (t.size() == size && Arrays.equals(t.refOffsets(), offsets)) {
                        return toTypeId(t);
                    }
                    throw new BessException(
                            ErrorCode.NAME,
                            "type already defined with another layout: type=" + name + ", database=" + rootPath);
                }
            }
            return server.inTransactionOrInternal(() -> toTypeId(catalog.addType(name, size, offsets)));
        }
    }

    /** A type by id (cached), or null. */
    TypeId typeById(final int id) {
        TypeId t = typeCache.get(id);
        if (t == null) {
            final Catalog.TypeEntry e = catalog.type(id);
            if (e != null) {
                t = toTypeId(e);
                typeCache.put(id, t);
            }
        }
        return t;
    }

    static TypeId toTypeId(final Catalog.TypeEntry t) {
        return new TypeId(t.id(), t.name(), t.size(), t.refOffsets());
    }

    @Override
    public TypeId type(final String name) {
        try (EmbeddedSession.Guard g = session().enter()) {
            for (final Catalog.TypeEntry t : catalog.types()) {
                if (t.name().equals(name)) {
                    return toTypeId(t);
                }
            }
            throw new BessException(ErrorCode.NAME, "no such type: type=" + name + ", database=" + rootPath);
        }
    }

    @Override
    public List<TypeId> types() {
        try (EmbeddedSession.Guard g = session().enter()) {
            final List<TypeId> list = new ArrayList<>();
            for (final Catalog.TypeEntry t : catalog.types()) {
                list.add(toTypeId(t));
            }
            return list;
        }
    }

    @Override
    public List<FileInfo> files() {
        try (EmbeddedSession.Guard g = session().enter()) {
            final List<FileInfo> list = new ArrayList<>();
            for (final Catalog.FileEntry f : catalog.files()) {
                if (!f.name.startsWith("$")) {
                    list.add(objects().fileInfo(f));
                }
            }
            return list;
        }
    }

    @Override
    public List<LargeObjectInfo> largeObjects(final String fileName) {
        try (EmbeddedSession.Guard g = session().enter()) {
            final Catalog.FileEntry f = catalog.file(fileName);
            if (f == null || fileName.startsWith("$")) {
                throw new BessException(ErrorCode.NAME, "no such file: file=" + fileName + ", database=" + rootPath);
            }
            return largeObjects().list(f);
        }
    }

    @Override
    public void moveFile(final String fileName, final Path toArea) {
        try (EmbeddedSession.Guard g = session().enter()) {
            session().checkNoTransaction("move a file");
            server.checkExclusive("move a file");
            final Catalog.FileEntry f = catalog.file(fileName);
            if (f == null) {
                throw new BessException(ErrorCode.NAME, "no such file: file=" + fileName + ", database=" + rootPath);
            }
            final StorageArea to = areaByPath(toArea);
            server.runInternal(() -> {
                objects().moveFile(f, to);
                largeObjects().moveFile(f, to);
                return null;
            });
            server.checkpointNow();
        }
    }

    @Override
    public CompactionReport compact(final String fileName) {
        try (EmbeddedSession.Guard g = session().enter()) {
            session().checkNoTransaction("compact");
            server.checkExclusive("compact");
            final List<Catalog.FileEntry> targets = new ArrayList<>();
            if (fileName == null) {
                targets.addAll(catalog.files());
            } else {
                final Catalog.FileEntry f = catalog.file(fileName);
                if (f == null) {
                    throw new BessException(
                            ErrorCode.NAME, "no such file: file=" + fileName + ", database=" + rootPath);
                }
                targets.add(f);
            }
            final int[] counts = server.runInternal(() -> {
                final int[] sum = new int[2];
                for (final Catalog.FileEntry f : targets) {
                    final int[] r = objects().compactFile(f);
                    sum[0] += r[0];
                    sum[1] += r[1];
                }
                return sum;
            });
            final int compacted = counts[0];
            final int shrunk = counts[1];
            server.checkpointNow();
            int extents = 0;
            long bytes = 0;
            for (final StorageArea a : areas.values()) {
                final long before = a.pageCount();
                server.invalidateWindowInSessions(a.window());
                extents += a.truncateEmptyTail();
                bytes += (before - a.pageCount()) * PageHeaderDescriptor.PAGE_LENGTH;
            }
            server.checkpointNow();
            return new CompactionReport(compacted, shrunk, extents, bytes);
        }
    }

    /** Closes the area files without writing anything (a simulated crash). */
    void closeFilesOnly() {
        for (final StorageArea a : areas.values()) {
            cache.unregister(a.window());
            a.close();
        }
        areas.clear();
    }

    void closeAreas() {
        closeAreas(true);
    }

    /**
     * Drops the areas' cached pages (written back first when {@code writeBack}) and closes every area, also when one of
     * them fails, so that no file (and its lock) is left open; the first failure is thrown at the end.
     */
    private void closeAreas(final boolean writeBack) {
        RuntimeException failure = null;
        for (final StorageArea a : areas.values()) {
            try {
                server.invalidateWindowInSessions(a.window());
                cache.dropWindow(a.window(), 0, !writeBack);
            } catch (final RuntimeException e) {
                failure = failure == null ? e : failure;
                cache.dropWindow(a.window(), 0, true);
            }
        }
        for (final StorageArea a : areas.values()) {
            try {
                cache.unregister(a.window());
                server.unbindWindow(a.window());
                a.close();
            } catch (final RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        areas.clear();
        forgetLastArea();
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Closes the areas (the session checkpointed first).
     *
     * @param clean whether everything is on disk, so that another node may open the database next; when not, dirty
     *     pages are dropped unwritten (the log holds their changes, and restart recovery redoes them): after a failure
     *     they may be half rolled back, and writing them would need the log, which may have failed.
     */
    void close(final boolean clean) {
        RuntimeException failure = null;
        if (clean && root != null) {
            try {
                root.openByNode(0);
            } catch (final RuntimeException e) {
                // the header still names this node: it recovers the database when it next starts
                failure = e;
            }
        }
        try {
            closeAreas(clean);
        } catch (final RuntimeException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "database " + rootPath;
    }
}
