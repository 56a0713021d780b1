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
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/**
 * OO7 on lmdbjava: every object is serialized ({@link Oo7Layout}) under its OID in one database of 8-byte integer keys
 * ({@code MDB_INTEGERKEY}), read through Agrona buffers ({@link DirectBufferProxy#PROXY_DB}) in place in lmdb's map,
 * and references are OIDs: {@code kind << 32 | index}, so the objects of one kind are one key range (an extent, for
 * scans) and an atomic part's or document's OID follows from its id (Q1 and Q8 look up by key). Reads run in a read
 * transaction per operation; an update copies the object's value, changes the copy and puts it, in a write
 * transaction per operation committed with lmdb's default durability (a sync per commit). The manual is one value.
 *
 * <p>The environment is opened with {@code MDB_NOTLS} (JMH may run setup and iterations on different threads). Not
 * thread safe.
 */
public final class LmdbOo7 implements Oo7Store {
    static final int ATOMIC = 1;
    static final int CONNECTION = 2;
    static final int COMPOSITE = 3;
    static final int DOCUMENT = 4;
    static final int ASSEMBLY = 5;
    static final int MODULE = 6;
    static final int MANUAL = 7;

    /** Largest size the map may grow to; the file grows only as pages are written. */
    static final long MAP_SIZE_BYTES = 8L << 30;

    private static final String DB_NAME = "oo7";
    private static final int LOAD_COMPOSITES_PER_TXN = 50;

    private final Oo7Data data;
    private final Oo7Layout layout;
    private final Env<DirectBuffer> env;
    private final Dbi<DirectBuffer> dbi;
    private final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(Long.BYTES));
    private final UnsafeBuffer scratch;
    private final UnsafeBuffer updated = new UnsafeBuffer(0, 0);
    private final VisitedSet visited;
    private final long[][] toStack;
    private final int[] q1Ids = new int[Oo7Operation.Q1_LOOKUPS];
    private long q1Calls;
    private long q6Count;
    private Txn<DirectBuffer> txn;

    private LmdbOo7(final Oo7Data data, final Path dir) {
        this.data = data;
        this.layout = new Oo7Layout(data.config());
        this.env = Env.create(DirectBufferProxy.PROXY_DB)
                .setMapSize(MAP_SIZE_BYTES)
                .setMaxDbs(1)
                .open(dir.toFile(), EnvFlags.MDB_NOTLS);
        this.dbi = env.openDbi(DB_NAME, DbiFlags.MDB_CREATE, DbiFlags.MDB_INTEGERKEY);
        final Oo7Config config = data.config();
        final int largest =
                Math.max(Math.max(layout.documentSize, config.manualLength()), Math.max(layout.compositeSize, 4096));
        this.scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(largest));
        this.visited = new VisitedSet(config.atomicPerComposite());
        this.toStack = new long[config.atomicPerComposite() + 1][config.connectionsPerAtomic()];
    }

    /**
     * Creates the environment in {@code dir} and loads the module into it.
     *
     * @param data the module.
     * @param dir an existing, empty directory.
     * @return the store.
     */
    public static LmdbOo7 create(final Oo7Data data, final Path dir) {
        final LmdbOo7 store = new LmdbOo7(data, dir);
        new LmdbOo7Loader(store.data, store.layout, store.env, store.dbi, store.key, store.scratch)
                .load(LOAD_COMPOSITES_PER_TXN);
        return store;
    }

    /**
     * Opens an environment {@link #create} loaded before (in this process or another).
     *
     * @param data the module it holds (for its sizes and seed).
     * @param dir its directory.
     * @return the store.
     */
    public static LmdbOo7 open(final Oo7Data data, final Path dir) {
        return new LmdbOo7(data, dir);
    }

    /** The OID of object {@code index} of a kind. */
    static long oid(final int kind, final int index) {
        return ((long) kind << 32) | index;
    }

    private DirectBuffer key(final long oid) {
        key.putLong(0, oid, ByteOrder.nativeOrder());
        return key;
    }

    private DirectBuffer get(final long oid) {
        final DirectBuffer value = dbi.get(txn, key(oid));
        if (value == null) {
            throw new IllegalStateException("lmdb lost an object: oid=0x" + Long.toHexString(oid));
        }
        return value;
    }

    @Override
    public String system() {
        return "lmdb";
    }

    @Override
    public long run(final Oo7Operation op) {
        txn = op.isUpdate() ? env.txnWrite() : env.txnRead();
        try {
            final long result = runIn(op);
            if (op.isUpdate()) {
                txn.commit();
            }
            return result;
        } finally {
            txn.close();
            txn = null;
        }
    }

    private long runIn(final Oo7Operation op) {
        final DirectBuffer moduleValue = get(oid(MODULE, 0));
        final long designRoot = moduleValue.getLong(MODULE_DESIGN_ROOT);
        final long manual = moduleValue.getLong(MODULE_MANUAL);
        return switch (op) {
            case T1, T6, T2A, T2B, T2C, T3A -> traverse(designRoot, op);
            case T8 -> countI(get(manual));
            case T9 -> {
                final DirectBuffer text = get(manual);
                yield text.getByte(0) == text.getByte(text.capacity() - 1) ? 1 : 0;
            }
            case Q1 -> q1();
            case Q5 -> q5(designRoot);
            case Q6 -> {
                q6Count = 0;
                q6(designRoot);
                yield q6Count;
            }
            case Q7 -> scanAtomic(false);
            case Q8 -> scanAtomic(true);
        };
    }

    private long traverse(final long assembly, final Oo7Operation op) {
        final DirectBuffer value = get(assembly);
        final long c0 = value.getLong(Oo7Layout.assemblyChild(0));
        final long c1 = value.getLong(Oo7Layout.assemblyChild(1));
        final long c2 = value.getLong(Oo7Layout.assemblyChild(2));
        if (value.getInt(ASSEMBLY_KIND) == KIND_BASE) {
            return traverseComposite(c0, op) + traverseComposite(c1, op) + traverseComposite(c2, op);
        }
        return traverse(c0, op) + traverse(c1, op) + traverse(c2, op);
    }

    private long traverseComposite(final long composite, final Oo7Operation op) {
        final long root = get(composite).getLong(COMPOSITE_ROOT);
        if (op == Oo7Operation.T6) {
            return get(root).getInt(layout.atomicId) > 0 ? 1 : 0;
        }
        visited.clear();
        visited.add(root);
        return dfs(root, op, 0);
    }

    private long dfs(final long part, final Oo7Operation op, final int depth) {
        final DirectBuffer value = get(part);
        final long[] to = toStack[depth];
        for (int i = 0; i < to.length; i++) {
            to[i] = value.getLong(Oo7Layout.atomicTo(i));
        }
        final boolean root = depth == 0;
        if (op == Oo7Operation.T2B || op == Oo7Operation.T2C || (root && op == Oo7Operation.T2A)) {
            update(part, value, op == Oo7Operation.T2C ? 4 : 1, false);
        } else if (root && op == Oo7Operation.T3A) {
            update(part, value, 1, true);
        }
        long count = 1;
        for (final long connection : to) {
            final long next = get(connection).getLong(CONNECTION_TO);
            if (visited.add(next)) {
                count += dfs(next, op, depth + 1);
            }
        }
        return count;
    }

    private void update(final long part, final DirectBuffer value, final int swaps, final boolean buildDate) {
        final int size = value.capacity();
        scratch.putBytes(0, value, 0, size);
        if (buildDate) {
            scratch.putInt(layout.atomicBuildDate, HeapOo7.toggle(scratch.getInt(layout.atomicBuildDate)));
        } else {
            for (int i = 0; i < swaps; i++) {
                final int x = scratch.getInt(layout.atomicX);
                scratch.putInt(layout.atomicX, scratch.getInt(layout.atomicY));
                scratch.putInt(layout.atomicY, x);
            }
        }
        updated.wrap(scratch, 0, size);
        dbi.put(txn, key(part), updated);
    }

    private static long countI(final DirectBuffer text) {
        long count = 0;
        final int length = text.capacity();
        for (int i = 0; i < length; i++) {
            if (text.getByte(i) == 'I') {
                count++;
            }
        }
        return count;
    }

    private long q1() {
        Oo7Operation.q1Ids(data.seed(), q1Calls++, data.config().atomicCount(), q1Ids);
        long sum = 0;
        for (final int id : q1Ids) {
            final DirectBuffer value = get(oid(ATOMIC, id - 1));
            if (value.getInt(layout.atomicId) != id) {
                throw new IllegalStateException("Q1 found the wrong atomic part: id=" + id);
            }
            sum += value.getInt(layout.atomicBuildDate);
        }
        return sum;
    }

    private long q5(final long assembly) {
        final DirectBuffer value = get(assembly);
        final long c0 = value.getLong(Oo7Layout.assemblyChild(0));
        final long c1 = value.getLong(Oo7Layout.assemblyChild(1));
        final long c2 = value.getLong(Oo7Layout.assemblyChild(2));
        final int buildDate = value.getInt(ASSEMBLY_BUILD_DATE);
        if (value.getInt(ASSEMBLY_KIND) == KIND_BASE) {
            return get(c0).getInt(COMPOSITE_BUILD_DATE) > buildDate
                            || get(c1).getInt(COMPOSITE_BUILD_DATE) > buildDate
                            || get(c2).getInt(COMPOSITE_BUILD_DATE) > buildDate
                    ? 1
                    : 0;
        }
        return q5(c0) + q5(c1) + q5(c2);
    }

    private int q6(final long assembly) {
        final DirectBuffer value = get(assembly);
        final long c0 = value.getLong(Oo7Layout.assemblyChild(0));
        final long c1 = value.getLong(Oo7Layout.assemblyChild(1));
        final long c2 = value.getLong(Oo7Layout.assemblyChild(2));
        final int buildDate = value.getInt(ASSEMBLY_BUILD_DATE);
        final boolean base = value.getInt(ASSEMBLY_KIND) == KIND_BASE;
        final int latest = base
                ? Math.max(
                        get(c0).getInt(COMPOSITE_BUILD_DATE),
                        Math.max(get(c1).getInt(COMPOSITE_BUILD_DATE), get(c2).getInt(COMPOSITE_BUILD_DATE)))
                : Math.max(q6(c0), Math.max(q6(c1), q6(c2)));
        if (latest > buildDate) {
            q6Count++;
        }
        return latest;
    }

    private long scanAtomic(final boolean join) {
        final long last = oid(ATOMIC, data.config().atomicCount() - 1);
        long result = 0;
        try (Cursor<DirectBuffer> cursor = dbi.openCursor(txn)) {
            boolean more = cursor.get(key(oid(ATOMIC, 0)), GetOp.MDB_SET_RANGE);
            while (more && cursor.key().getLong(0, ByteOrder.nativeOrder()) <= last) {
                final DirectBuffer value = cursor.val();
                if (join) {
                    final int docId = value.getInt(layout.atomicDocId);
                    if (get(oid(DOCUMENT, docId - 1)).getInt(DOCUMENT_ID) == docId) {
                        result++;
                    }
                } else {
                    result += value.getInt(layout.atomicId);
                }
                more = cursor.next();
            }
        }
        return result;
    }

    @Override
    public long checksum() {
        txn = env.txnRead();
        try {
            long sum = 0;
            for (int i = 0; i < data.config().atomicCount(); i++) {
                final DirectBuffer value = get(oid(ATOMIC, i));
                sum = Oo7Store.mixChecksum(
                        sum,
                        value.getInt(layout.atomicId),
                        value.getInt(layout.atomicBuildDate),
                        value.getInt(layout.atomicX),
                        value.getInt(layout.atomicY));
            }
            return sum;
        } finally {
            txn.close();
            txn = null;
        }
    }

    @Override
    public void close() {
        dbi.close();
        env.close();
    }
}
