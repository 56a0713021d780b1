package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/** The data set and the two stores of {@link KvBenchmark}. Not thread safe: one thread per store. */
public final class KvSupport {
    /** Entries per durable commit while writing, in both stores. */
    static final int COMMIT_EVERY = 10_000;
    /** Bytes of the integer key, stored by lmdb beside the value and by both at the start of the value. */
    static final int KEY_BYTES = Integer.BYTES;

    private static final long ORDER_SEED = 0x0DE5_1A7EL;
    private static final long VALUE_SEED = 0x7A1_0E5L;
    private static final String NAME = "kv";

    private KvSupport() {}

    /** The parameters of the data set and what every state derives from them. */
    @State(Scope.Benchmark)
    public abstract static class Shape {
        /** Entries in the store (1M in a full run; {@code --quick} and the smoke test use fewer). */
        @Param("1000000")
        public int entries;

        /** Bytes per value: 100 and 2026 (the largest value lmdb keeps in a 4 KiB page without overflow pages). */
        @Param({"100", "2026"})
        public int valueSize;

        /** Key order of writes and of {@code readKey}: {@code seq} (ascending) or {@code rand} (a permutation). */
        @Param({"seq", "rand"})
        public String order;

        /** The keys in the order of writes and of {@code readKey}: a permutation of {@code 0..entries-1}. */
        int[] keys;
        /** The value template: random bytes; each value is this with its key in the first 4 bytes. */
        byte[] value;

        /** The parameters, as the key of a loaded store. */
        String describe() {
            return "entries=" + entries + " valueSize=" + valueSize + " order=" + order;
        }

        /** Makes the key order and the value template. */
        void init() {
            if (entries <= 0 || valueSize < KEY_BYTES) {
                throw new IllegalArgumentException("entries must be positive and valueSize at least 4: entries="
                        + entries + ", valueSize=" + valueSize);
            }
            keys = new int[entries];
            for (int i = 0; i < entries; i++) {
                keys[i] = i;
            }
            switch (order) {
                case "seq" -> {}
                case "rand" -> {
                    final SplittableRandom random = new SplittableRandom(ORDER_SEED);
                    for (int i = entries - 1; i > 0; i--) {
                        final int j = random.nextInt(i + 1);
                        final int k = keys[i];
                        keys[i] = keys[j];
                        keys[j] = k;
                    }
                }
                default -> throw new IllegalArgumentException("order must be seq or rand: order=" + order);
            }
            value = new byte[valueSize];
            new SplittableRandom(VALUE_SEED).nextBytes(value);
        }

        boolean sequential() {
            return "seq".equals(order);
        }

        /** The value of {@code key}: the template with the key in its first 4 bytes, little-endian. */
        byte[] valueOf(final int key) {
            value[0] = (byte) key;
            value[1] = (byte) (key >>> 8);
            value[2] = (byte) (key >>> 16);
            value[3] = (byte) (key >>> 24);
            return value;
        }

        /** The raw data: keys and values. */
        long rawBytes() {
            return (long) entries * (KEY_BYTES + valueSize);
        }

        /**
         * Checks the sum of the keys read in one pass over every entry.
         *
         * @return the sum.
         * @throws IllegalStateException when it is not {@code 0 + 1 + ... + (entries - 1)}.
         */
        long check(final long sum, final String store) {
            final long expected = (long) entries * (entries - 1) / 2;
            if (sum != expected) {
                throw new IllegalStateException("a pass did not read every key once: store=" + store + ", entries="
                        + entries + ", sum of keys=" + sum + ", expected=" + expected);
            }
            return sum;
        }

        /**
         * Records the space of a loaded store ({@code readKey} runs only, which load the same store as the others).
         *
         * @param params the running benchmark.
         * @param data the directory of the data files.
         * @param node the directory of the log and node files, or null when the store has none.
         */
        void recordSpace(final BenchmarkParams params, final Path data, final Path node) {
            if (!params.getBenchmark().endsWith("ReadKey")) {
                return;
            }
            final long dataBytes = BenchMetrics.directoryBytes(data);
            BenchMetrics.record(params, "rawMiB", rawBytes() / BenchMetrics.MIB, "MiB");
            BenchMetrics.record(params, "dataFilesMiB", dataBytes / BenchMetrics.MIB, "MiB");
            BenchMetrics.record(params, "dataOverRaw", (double) dataBytes / rawBytes(), "x");
            if (node != null) {
                BenchMetrics.record(
                        params, "logAndNodeMiB", BenchMetrics.directoryBytes(node) / BenchMetrics.MIB, "MiB");
            }
        }
    }

    /**
     * The one loaded store a JVM keeps between reader runs: a reader of the same system and parameters reuses it,
     * anything else closes it first. Before a store is loaded (or reused), the JVM's peak resident memory is reset, so
     * that each run's {@code peakRssMiB} is that of its own store. The store is closed when the JVM ends.
     */
    static final class LoadedStores {
        private static String key;
        private static AutoCloseable store;
        private static boolean hooked;

        private LoadedStores() {}

        /**
         * The store loaded under {@code k}, loading it (after closing any other) when there is none.
         *
         * @param k the system and parameters, e.g. {@code bess entries=1000000 valueSize=100 order=seq}.
         * @param load makes and loads the store.
         * @return the loaded store.
         */
        @SuppressWarnings("unchecked")
        static synchronized <T extends AutoCloseable> T get(final String k, final java.util.function.Supplier<T> load) {
            if (!k.equals(key)) {
                drop();
                BenchMetrics.resetPeakMemory();
                store = load.get();
                key = k;
                hook();
            } else {
                BenchMetrics.resetPeakMemory();
            }
            return (T) store;
        }

        /**
         * Makes {@code loaded} the loaded store under {@code k}, closing any other; the peak memory is not reset (the
         * store was just written, and its writer's peak is recorded at the end of its trial).
         *
         * @param k the system and parameters.
         * @param loaded the store, written with these parameters.
         */
        static synchronized void put(final String k, final AutoCloseable loaded) {
            if (store != loaded) {
                final AutoCloseable closing = store;
                store = null;
                key = null;
                if (closing != null) {
                    try {
                        closing.close();
                    } catch (final Exception e) {
                        throw new IllegalStateException("cannot close a loaded KV store", e);
                    }
                }
            }
            store = loaded;
            key = k;
            hook();
        }

        private static void hook() {
            if (!hooked) {
                hooked = true;
                Runtime.getRuntime().addShutdownHook(new Thread(LoadedStores::drop, "kv-loaded-store-close"));
            }
        }

        /** Closes and deletes the loaded store, if any, and resets the peak memory. */
        static synchronized void drop() {
            final AutoCloseable closing = store;
            store = null;
            key = null;
            if (closing != null) {
                try {
                    closing.close();
                } catch (final Exception e) {
                    throw new IllegalStateException("cannot close a loaded KV store", e);
                }
            }
            BenchMetrics.resetPeakMemory();
        }
    }

    static Path newDirectory(final String prefix) {
        try {
            return Files.createTempDirectory(
                    Path.of(System.getProperty("bess.bench.dir", ".")).toAbsolutePath(), prefix);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create a benchmark directory: prefix=" + prefix, e);
        }
    }

    /** An embedded bess engine, a database with one file of values, and the application's references. */
    static final class BessStore implements AutoCloseable {
        final Path dir;
        final Session session;
        final Database db;
        final TypeId type;
        final Ref[] refs;

        private BessStore(final Path dir, final Session session, final Database db, final TypeId type, final int n) {
            this.dir = dir;
            this.session = session;
            this.db = db;
            this.type = type;
            this.refs = new Ref[n];
        }

        /** Starts an engine whose cache holds the whole data set, with an empty database and file. */
        static BessStore create(final Shape shape) {
            final Path dir = newDirectory("kv-bess-");
            // objects, slots and segment headers: a quarter more than the values, and room for the catalog
            final long cacheBytes = ((long) shape.entries * (shape.valueSize + 32) * 5 / 4 + (64L << 20)) & -(1L << 20);
            // every cache frame may be mapped at once: the default level-one budget (half the cache frames) is smaller
            // than a 2026-byte data set of this size, and would remap frames on every pass, while lmdb maps it all.
            // The kernel's vm.max_map_count limits mappings, not frames (Context.mappableFrames): the pages of objects
            // written in order lie in consecutive cache frames and share one mapping per run, so 1M values of 2026
            // bytes (~500,000 pages) stay mapped in a few thousand mappings.
            final Context context = new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(cacheBytes);
            final Session session = BessServer.embedded(context.frameBudget(context.cacheFrames()));
            try {
                Files.createDirectories(dir.resolve("db"));
                final Database db = session.createDatabase(dir.resolve("db").resolve("kv.root"), 16L << 20);
                final TypeId type = db.defineType("Value" + shape.valueSize, shape.valueSize, new int[0]);
                try (Transaction tx = session.begin()) {
                    tx.createFile(db, NAME);
                    tx.commit();
                }
                return new BessStore(dir, session, db, type, shape.entries);
            } catch (final IOException | RuntimeException e) {
                session.close();
                StorageBenchmarkSupport.deleteTree(dir);
                throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
            }
        }

        /**
         * Writes every entry in key order, one object each, committing every {@link #COMMIT_EVERY}.
         *
         * @return the word of the last reference.
         */
        long write(final Shape shape) {
            final int[] keys = shape.keys;
            final int size = shape.valueSize;
            long last = 0;
            int i = 0;
            while (i < keys.length) {
                try (Transaction tx = session.begin()) {
                    final BessFile file = tx.file(db, NAME);
                    final int end = Math.min(keys.length, i + COMMIT_EVERY);
                    for (; i < end; i++) {
                        final int key = keys[i];
                        final ObjectRef object = tx.allocate(file, type);
                        object.putBytes(0, shape.valueOf(key), 0, size);
                        refs[key] = object.ref();
                    }
                    tx.commit();
                }
                last = refs[keys[i - 1]].word();
            }
            return last;
        }

        /** Stops the engine and deletes the store. */
        @Override
        public void close() {
            try {
                session.close();
            } finally {
                StorageBenchmarkSupport.deleteTree(dir);
            }
        }
    }

    /** An lmdbjava environment with one {@code MDB_INTEGERKEY} database, through Agrona buffers. */
    static final class LmdbStore implements AutoCloseable {
        /** Largest size the map may grow to; the file grows only as pages are written. */
        static final long MAP_SIZE_BYTES = 16L << 30;

        final Path dir;
        final Env<DirectBuffer> env;
        final Dbi<DirectBuffer> dbi;
        private final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(KEY_BYTES));
        private final UnsafeBuffer val;

        private LmdbStore(final Path dir, final int valueSize) {
            this.dir = dir;
            // MDB_NOTLS: JMH may run setup and iterations on different threads
            this.env = Env.create(DirectBufferProxy.PROXY_DB)
                    .setMapSize(MAP_SIZE_BYTES)
                    .setMaxDbs(1)
                    .open(dir.toFile(), EnvFlags.MDB_NOTLS);
            this.dbi = env.openDbi(NAME, DbiFlags.MDB_CREATE, DbiFlags.MDB_INTEGERKEY);
            this.val = new UnsafeBuffer(ByteBuffer.allocateDirect(valueSize));
        }

        /** Creates an empty environment in a new directory. */
        static LmdbStore create(final Shape shape) {
            return new LmdbStore(newDirectory("kv-lmdb-"), shape.valueSize);
        }

        /** Points the reused key buffer at {@code k} (native order, as {@code MDB_INTEGERKEY} wants). */
        DirectBuffer key(final int k) {
            key.putInt(0, k, ByteOrder.nativeOrder());
            return key;
        }

        /**
         * Puts every entry in key order ({@code MDB_APPEND} when sequential), committing every {@link #COMMIT_EVERY}
         * with lmdb's default sync.
         *
         * @return the entries written.
         */
        long write(final Shape shape) {
            final int[] keys = shape.keys;
            final PutFlags[] flags = shape.sequential() ? new PutFlags[] {PutFlags.MDB_APPEND} : new PutFlags[0];
            int i = 0;
            while (i < keys.length) {
                try (Txn<DirectBuffer> txn = env.txnWrite()) {
                    final int end = Math.min(keys.length, i + COMMIT_EVERY);
                    for (; i < end; i++) {
                        final int k = keys[i];
                        val.putBytes(0, shape.valueOf(k));
                        dbi.put(txn, key(k), val, flags);
                    }
                    txn.commit();
                }
            }
            return i;
        }

        /** Closes and deletes the environment. */
        @Override
        public void close() {
            try {
                dbi.close();
                env.close();
            } finally {
                StorageBenchmarkSupport.deleteTree(dir);
            }
        }
    }
}
