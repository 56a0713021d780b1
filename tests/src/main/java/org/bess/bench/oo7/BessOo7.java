package org.bess.bench.oo7;

import static org.bess.bench.oo7.Oo7Layout.ASSEMBLY_BUILD_DATE;
import static org.bess.bench.oo7.Oo7Layout.ASSEMBLY_KIND;
import static org.bess.bench.oo7.Oo7Layout.COMPOSITE_BUILD_DATE;
import static org.bess.bench.oo7.Oo7Layout.COMPOSITE_ROOT;
import static org.bess.bench.oo7.Oo7Layout.CONNECTION_TO;
import static org.bess.bench.oo7.Oo7Layout.DOCUMENT_ID;
import static org.bess.bench.oo7.Oo7Layout.KIND_BASE;
import static org.bess.bench.oo7.Oo7Layout.MODULE_DESIGN_ROOT;
import static org.bess.bench.oo7.Oo7Layout.MODULE_MANUAL;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;

/**
 * OO7 on bess through its public client API only: a {@link Session} from a {@link BessSessionFactory} (the hook for
 * the client modes), then {@link Database}, {@link Transaction}, {@link ObjectRef}, {@link Ref}, {@link Cursor} and
 * {@link LargeObject}. Objects are in one file per class ({@link BessOo7Loader}); traversals follow the references
 * stored in the objects ({@link ObjectRef#openRef}: no {@link Ref} is made per hop) and read and write the objects in
 * place. Each operation is one transaction, committed.
 *
 * <p>bess has no index, so the application keeps what OO7's indexes give: two tables of reference words by id (atomic
 * parts for Q1, documents for Q8), stored as large objects under named roots and read into arrays when the store is
 * opened. Not thread safe.
 */
public final class BessOo7 implements Oo7Store {
    /** The root area's file name in the store's directory. */
    static final String ROOT_AREA = "db.root";
    /** The node directory's name in the store's directory. */
    static final String NODE_DIR = "node";

    private static final int MANUAL_CHUNK = 64 * 1024;

    private final Oo7Data data;
    private final Oo7Layout layout;
    private final Session session;
    private final Database db;
    private final VisitedSet visited;
    private final int[] q1Ids = new int[Oo7Operation.Q1_LOOKUPS];
    private final byte[] chunk = new byte[MANUAL_CHUNK];
    private final byte[] oneByte = new byte[1];
    private final Ref moduleRef;
    private long[] atomicById;
    private long[] documentById;
    private long q1Calls;
    private long q6Count;
    // connections stored in the atomic parts' file (BessOo7Loader's clustered experiment): scans skip them
    private boolean mixedAtomicFile;
    private Transaction tx;

    private BessOo7(final Oo7Data data, final Session session, final Database db) {
        this.data = data;
        this.layout = new Oo7Layout(data.config());
        this.session = session;
        this.db = db;
        this.visited = new VisitedSet(data.config().atomicPerComposite());
        try (Transaction t = session.begin()) {
            moduleRef = t.root(db, BessOo7Loader.MODULE_ROOT);
            if (moduleRef != null) {
                atomicById = readIndex(t, BessOo7Loader.ATOMIC_INDEX_ROOT);
                documentById = readIndex(t, BessOo7Loader.DOCUMENT_INDEX_ROOT);
                try (Cursor connections = t.scan(t.file(db, BessOo7Loader.CONNECTION_FILE))) {
                    mixedAtomicFile = !connections.next();
                }
            }
            t.commit();
        }
    }

    /**
     * Creates a database in {@code dir} and loads the module into it.
     *
     * @param data the module.
     * @param dir an existing, empty directory: the node directory and the database go inside.
     * @param sessions how to get the session.
     * @return the store.
     */
    public static BessOo7 create(final Oo7Data data, final Path dir, final BessSessionFactory sessions) {
        return create(data, dir, sessions, false);
    }

    /**
     * {@link #create}, with the choice of clustering: one file per class (false, what the benchmarks measure), or a
     * composite part's connections in the atomic parts' file right after its parts (true, an experiment of session
     * 10 that {@link Oo7CpuTime} measures against the other; docs/bench/oo7.md).
     */
    static BessOo7 create(
            final Oo7Data data, final Path dir, final BessSessionFactory sessions, final boolean clustered) {
        final Session session = sessions.open(dir.resolve(NODE_DIR));
        try {
            final Database db = session.createDatabase(dir.resolve(ROOT_AREA), Session.DEFAULT_EXTENT_BYTES);
            new BessOo7Loader(session, db, data, new Oo7Layout(data.config()), clustered).load();
            return new BessOo7(data, session, db);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /**
     * Opens a database {@link #create} loaded before (in this process or another).
     *
     * @param data the module it holds (for its sizes and seed).
     * @param dir its directory.
     * @param sessions how to get the session.
     * @return the store.
     */
    public static BessOo7 open(final Oo7Data data, final Path dir, final BessSessionFactory sessions) {
        final Session session = sessions.open(dir.resolve(NODE_DIR));
        try {
            final BessOo7 store = new BessOo7(data, session, session.openDatabase(dir.resolve(ROOT_AREA)));
            if (store.moduleRef == null) {
                throw new IllegalStateException(
                        "not an OO7 database: no root " + BessOo7Loader.MODULE_ROOT + " in " + dir.resolve(ROOT_AREA));
            }
            return store;
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    private long[] readIndex(final Transaction t, final String root) {
        final LargeObject index = t.openLarge(t.root(db, root));
        final byte[] bytes = new byte[Math.toIntExact(index.length())];
        index.read(0, bytes);
        final long[] words = new long[bytes.length / Long.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(words);
        return words;
    }

    @Override
    public String system() {
        return "bess";
    }

    @Override
    public long run(final Oo7Operation op) {
        tx = session.begin();
        try {
            final long result = runIn(op);
            tx.commit();
            return result;
        } finally {
            tx.close();
            tx = null;
        }
    }

    private long runIn(final Oo7Operation op) {
        final ObjectRef module = tx.open(moduleRef);
        return switch (op) {
            case T1, T6, T2A, T2B, T2C, T3A -> traverse(module.openRef(MODULE_DESIGN_ROOT), op);
            case T8 -> countI(tx.openLarge(module.getRef(MODULE_MANUAL)));
            case T9 -> {
                final LargeObject manual = tx.openLarge(module.getRef(MODULE_MANUAL));
                manual.read(0, oneByte);
                final byte first = oneByte[0];
                manual.read(manual.length() - 1, oneByte);
                yield first == oneByte[0] ? 1 : 0;
            }
            case Q1 -> q1();
            case Q5 -> q5(module.openRef(MODULE_DESIGN_ROOT));
            case Q6 -> {
                q6Count = 0;
                q6(module.openRef(MODULE_DESIGN_ROOT));
                yield q6Count;
            }
            case Q7 -> scanAtomic(false);
            case Q8 -> scanAtomic(true);
        };
    }

    private long traverse(final ObjectRef assembly, final Oo7Operation op) {
        final boolean base = assembly.getInt(ASSEMBLY_KIND) == KIND_BASE;
        long count = 0;
        for (int i = 0; i < Oo7Config.ASSEMBLIES_PER_ASSEMBLY; i++) {
            final ObjectRef child = assembly.openRef(Oo7Layout.assemblyChild(i));
            count += base ? traverseComposite(child, op) : traverse(child, op);
        }
        return count;
    }

    private long traverseComposite(final ObjectRef composite, final Oo7Operation op) {
        final ObjectRef root = composite.openRef(COMPOSITE_ROOT);
        if (op == Oo7Operation.T6) {
            return root.getInt(layout.atomicId) > 0 ? 1 : 0;
        }
        if (op == Oo7Operation.T2A) {
            swap(root);
        } else if (op == Oo7Operation.T3A) {
            root.putInt(layout.atomicBuildDate, HeapOo7.toggle(root.getInt(layout.atomicBuildDate)));
        }
        visited.clear();
        // the visited set is keyed by the stored reference word (a bess reference is 8 bytes in the object)
        visited.add(composite.getLong(COMPOSITE_ROOT));
        return dfs(root, op);
    }

    private long dfs(final ObjectRef part, final Oo7Operation op) {
        if (op == Oo7Operation.T2B) {
            swap(part);
        } else if (op == Oo7Operation.T2C) {
            for (int i = 0; i < 4; i++) {
                swap(part);
            }
        }
        long count = 1;
        for (int i = 0; i < layout.connections; i++) {
            final ObjectRef connection = part.openRef(Oo7Layout.atomicTo(i));
            if (visited.add(connection.getLong(CONNECTION_TO))) {
                count += dfs(connection.openRef(CONNECTION_TO), op);
            }
        }
        return count;
    }

    private void swap(final ObjectRef part) {
        final int x = part.getInt(layout.atomicX);
        part.putInt(layout.atomicX, part.getInt(layout.atomicY));
        part.putInt(layout.atomicY, x);
    }

    private long countI(final LargeObject manual) {
        final long length = manual.length();
        long count = 0;
        for (long position = 0; position < length; position += MANUAL_CHUNK) {
            final int n = (int) Math.min(MANUAL_CHUNK, length - position);
            manual.read(position, chunk, 0, n);
            for (int i = 0; i < n; i++) {
                if (chunk[i] == 'I') {
                    count++;
                }
            }
        }
        return count;
    }

    private long q1() {
        Oo7Operation.q1Ids(data.seed(), q1Calls++, atomicById.length, q1Ids);
        long sum = 0;
        for (final int id : q1Ids) {
            final ObjectRef part = tx.open(new Ref(db, atomicById[id - 1]));
            if (part.getInt(layout.atomicId) != id) {
                throw new IllegalStateException("Q1 found the wrong atomic part: id=" + id);
            }
            sum += part.getInt(layout.atomicBuildDate);
        }
        return sum;
    }

    private long q5(final ObjectRef assembly) {
        final int buildDate = assembly.getInt(ASSEMBLY_BUILD_DATE);
        final boolean base = assembly.getInt(ASSEMBLY_KIND) == KIND_BASE;
        long count = 0;
        for (int i = 0; i < Oo7Config.ASSEMBLIES_PER_ASSEMBLY; i++) {
            final ObjectRef child = assembly.openRef(Oo7Layout.assemblyChild(i));
            if (!base) {
                count += q5(child);
            } else if (child.getInt(COMPOSITE_BUILD_DATE) > buildDate) {
                return 1;
            }
        }
        return count;
    }

    private int q6(final ObjectRef assembly) {
        final boolean base = assembly.getInt(ASSEMBLY_KIND) == KIND_BASE;
        int latest = Integer.MIN_VALUE;
        for (int i = 0; i < Oo7Config.ASSEMBLIES_PER_ASSEMBLY; i++) {
            final ObjectRef child = assembly.openRef(Oo7Layout.assemblyChild(i));
            latest = Math.max(latest, base ? child.getInt(COMPOSITE_BUILD_DATE) : q6(child));
        }
        if (latest > assembly.getInt(ASSEMBLY_BUILD_DATE)) {
            q6Count++;
        }
        return latest;
    }

    private long scanAtomic(final boolean join) {
        long result = 0;
        try (Cursor cursor = tx.scan(tx.file(db, BessOo7Loader.ATOMIC_FILE))) {
            while (cursor.next()) {
                final ObjectRef part = cursor.object();
                if (mixedAtomicFile && part.size() != layout.atomicSize) {
                    continue;
                }
                if (join) {
                    final int docId = part.getInt(layout.atomicDocId);
                    if (tx.open(new Ref(db, documentById[docId - 1])).getInt(DOCUMENT_ID) == docId) {
                        result++;
                    }
                } else {
                    result += part.getInt(layout.atomicId);
                }
            }
        }
        return result;
    }

    @Override
    public long checksum() {
        tx = session.begin();
        try {
            long sum = 0;
            for (final long word : atomicById) {
                final ObjectRef part = tx.open(new Ref(db, word));
                sum = Oo7Store.mixChecksum(
                        sum,
                        part.getInt(layout.atomicId),
                        part.getInt(layout.atomicBuildDate),
                        part.getInt(layout.atomicX),
                        part.getInt(layout.atomicY));
            }
            tx.commit();
            return sum;
        } finally {
            tx.close();
            tx = null;
        }
    }

    /** The session, for callers that must find the store's files (the cold benchmark). */
    Session session() {
        return session;
    }

    /** The database, for diagnostics ({@link Oo7Locality}). */
    Database database() {
        return db;
    }

    @Override
    public void close() {
        if (tx != null) {
            tx.close();
            tx = null;
        }
        session.close();
    }
}
