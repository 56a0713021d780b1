package org.bess.bench;

import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.bess.client.Ref;
import org.bess.client.Transaction;
import org.lmdbjava.Cursor;
import org.lmdbjava.SeekOp;
import org.lmdbjava.Txn;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The workloads of the lmdbjava benchmarks ({@code write}, {@code readKey}, {@code readSeq}, {@code readRev}) over
 * {@code entries} entries with integer keys and {@code valueSize}-byte values, written and read in sequential or random
 * key order. One operation is one pass over every entry, as in lmdbjava's own benchmarks; the score is the time of a
 * pass.
 *
 * <p>bess stores each value as an object and the application keeps the references: an array {@code Ref[entries]}
 * indexed by key, as a bess application keeps references in its own objects. lmdbjava (Agrona buffers,
 * {@code MDB_INTEGERKEY}) stores each value under its key. What each operation does:
 *
 * <ul>
 *   <li>{@code write}: into a fresh, empty store (made before the invocation, not timed), every entry in the key order
 *       ({@code seq}: ascending, lmdb with {@code MDB_APPEND} as in lmdbjava's benchmark; {@code rand}: a seeded
 *       permutation), {@value KvSupport#COMMIT_EVERY} entries per durable commit. bess allocates an object per entry,
 *       copies the value in and stores its reference in the array; lmdb puts the value under its key.
 *   <li>{@code readKey}: every entry in the key order; bess follows the reference of that key
 *       ({@code tx.open(refs[key])}), lmdb gets the key ({@code Dbi.get}).
 *   <li>{@code readSeq}: every entry in ascending key order; bess walks the reference array from the first to the last
 *       element, lmdb walks a cursor forward ({@code MDB_FIRST}, {@code MDB_NEXT}).
 *   <li>{@code readRev}: the same, backward (the array from its end; {@code MDB_LAST}, {@code MDB_PREV}).
 * </ul>
 *
 * <p>Every read reads the key stored in the first 4 bytes of the value and sums them; a pass that does not sum to
 * {@code 0 + 1 + ... + (entries - 1)} fails. The readers load their store at trial setup (the same path as
 * {@code write}), check it, and keep one read transaction for the trial. The loaded store stays open for the next
 * reader run of the same system and parameters in this JVM ({@link KvSupport.LoadedStores}, one store at a time): the
 * suite runs a system's {@code write} and then its three read methods one after the other in each round, and the store
 * the last {@code write} invocation wrote stays as the loaded store, so the readers check it and read it: a store of 1M
 * entries is written once per system and round, and never loaded again for the reads. Both stores live under
 * {@code bess.bench.dir} (default: the working directory, a real file system); the bess cache (in {@code /dev/shm})
 * is sized to hold the whole data set, as lmdb's data set stays in the page cache.
 *
 * <p>Besides the time, each run records (see {@link BenchMetrics}) its JVM's peak resident memory, and the
 * {@code readKey} runs record the space of the loaded store against the raw data ({@code entries x (4 + valueSize)}
 * bytes). Every fork runs with {@code -Xmx1g}, so that the heap each system leaves for garbage is bounded alike.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(
        value = 1,
        // appended, not replacing: requirements of the code under test (Agrona 2.x, LmdbJava)
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "-Xmx1g"
        })
public class KvBenchmark {
    /** The bess reader: a loaded store, the application's references and a read transaction for the trial. */
    @State(Scope.Benchmark)
    public static class BessReader extends KvSupport.Shape {
        KvSupport.BessStore store;
        Transaction tx;

        /**
         * Loads and checks the store, records its space, begins the read transaction.
         *
         * @param params the running benchmark, for the metrics.
         */
        @Setup(Level.Trial)
        public void setUp(final BenchmarkParams params) {
            init();
            store = KvSupport.LoadedStores.get("bess " + describe(), () -> {
                final KvSupport.BessStore loaded = KvSupport.BessStore.create(this);
                loaded.write(this);
                return loaded;
            });
            tx = store.session.begin();
            check(bessReadKey(tx, store.refs, keys), "bess");
            recordSpace(params, store.dir.resolve("db"), store.dir.resolve("node"));
        }

        /**
         * Records the peak memory and ends the transaction; the store stays loaded for the next reader run of this JVM
         * ({@link KvSupport.LoadedStores}).
         *
         * @param params the running benchmark, for the metrics.
         */
        @TearDown(Level.Trial)
        public void tearDown(final BenchmarkParams params) {
            BenchMetrics.recordMemory(params);
            if (tx != null) {
                tx.close();
            }
        }
    }

    /** The lmdbjava reader: a loaded environment, a read transaction and a cursor for the trial. */
    @State(Scope.Benchmark)
    public static class LmdbReader extends KvSupport.Shape {
        KvSupport.LmdbStore store;
        Txn<DirectBuffer> txn;
        Cursor<DirectBuffer> cursor;

        /**
         * Loads and checks the environment, records its space, begins the read transaction.
         *
         * @param params the running benchmark, for the metrics.
         */
        @Setup(Level.Trial)
        public void setUp(final BenchmarkParams params) {
            init();
            store = KvSupport.LoadedStores.get("lmdb " + describe(), () -> {
                final KvSupport.LmdbStore loaded = KvSupport.LmdbStore.create(this);
                loaded.write(this);
                return loaded;
            });
            txn = store.env.txnRead();
            cursor = store.dbi.openCursor(txn);
            check(lmdbReadKey(store, txn, keys), "lmdb");
            recordSpace(params, store.dir, null);
        }

        /**
         * Records the peak memory, ends the transaction; the environment stays loaded for the next reader run of this
         * JVM ({@link KvSupport.LoadedStores}).
         *
         * @param params the running benchmark, for the metrics.
         */
        @TearDown(Level.Trial)
        public void tearDown(final BenchmarkParams params) {
            BenchMetrics.recordMemory(params);
            if (cursor != null) {
                cursor.close();
            }
            if (txn != null) {
                txn.close();
            }
        }
    }

    /** The bess writer: a fresh engine and database for every invocation. */
    @State(Scope.Benchmark)
    public static class BessWriter extends KvSupport.Shape {
        KvSupport.BessStore store;

        /** Closes a store loaded by a reader run, resets the peak memory and makes the key order. */
        @Setup(Level.Trial)
        public void setUpTrial() {
            KvSupport.LoadedStores.drop();
            init();
        }

        /** Closes the store the previous invocation wrote, then starts a fresh engine with an empty database. */
        @Setup(Level.Invocation)
        public void setUp() {
            KvSupport.LoadedStores.drop();
            store = KvSupport.BessStore.create(this);
        }

        /**
         * Keeps the store just written as the loaded store of this JVM (closing the one written before), so that the
         * reader runs that follow read it instead of loading their own ({@link KvSupport.LoadedStores}).
         */
        @TearDown(Level.Invocation)
        public void tearDown() {
            KvSupport.LoadedStores.put("bess " + describe(), store);
            store = null;
        }

        /**
         * Records the peak memory.
         *
         * @param params the running benchmark, for the metrics.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial(final BenchmarkParams params) {
            BenchMetrics.recordMemory(params);
        }
    }

    /** The lmdbjava writer: a fresh environment for every invocation. */
    @State(Scope.Benchmark)
    public static class LmdbWriter extends KvSupport.Shape {
        KvSupport.LmdbStore store;

        /** Closes a store loaded by a reader run, resets the peak memory and makes the key order. */
        @Setup(Level.Trial)
        public void setUpTrial() {
            KvSupport.LoadedStores.drop();
            init();
        }

        /** Closes the store the previous invocation wrote, then creates a fresh, empty environment. */
        @Setup(Level.Invocation)
        public void setUp() {
            KvSupport.LoadedStores.drop();
            store = KvSupport.LmdbStore.create(this);
        }

        /**
         * Keeps the store just written as the loaded store of this JVM (closing the one written before), so that the
         * reader runs that follow read it instead of loading their own ({@link KvSupport.LoadedStores}).
         */
        @TearDown(Level.Invocation)
        public void tearDown() {
            KvSupport.LoadedStores.put("lmdb " + describe(), store);
            store = null;
        }

        /**
         * Records the peak memory.
         *
         * @param params the running benchmark, for the metrics.
         */
        @TearDown(Level.Trial)
        public void tearDownTrial(final BenchmarkParams params) {
            BenchMetrics.recordMemory(params);
        }
    }

    /**
     * bess: allocates an object per entry in key order and keeps its reference, committing every
     * {@value KvSupport#COMMIT_EVERY}.
     *
     * @return the last reference word.
     */
    @Benchmark
    public long bessWrite(final BessWriter w) {
        return w.store.write(w);
    }

    /**
     * lmdbjava: puts every entry in key order, committing every {@value KvSupport#COMMIT_EVERY}.
     *
     * @return the entries written.
     */
    @Benchmark
    public long lmdbWrite(final LmdbWriter w) {
        return w.store.write(w);
    }

    /**
     * bess: follows the reference of every key, in key order, and reads the key stored in the value.
     *
     * @return the sum of the keys read.
     */
    @Benchmark
    public long bessReadKey(final BessReader r) {
        return r.check(bessReadKey(r.tx, r.store.refs, r.keys), "bess");
    }

    /**
     * lmdbjava: gets every key, in key order, and reads the key stored in the value.
     *
     * @return the sum of the keys read.
     */
    @Benchmark
    public long lmdbReadKey(final LmdbReader r) {
        return r.check(lmdbReadKey(r.store, r.txn, r.keys), "lmdb");
    }

    /**
     * bess: walks the reference array from first to last.
     *
     * @return the sum of the keys read.
     */
    @Benchmark
    public long bessReadSeq(final BessReader r) {
        final Ref[] refs = r.store.refs;
        long sum = 0;
        for (int i = 0; i < refs.length; i++) {
            sum += r.tx.open(refs[i]).getInt(0);
        }
        return r.check(sum, "bess");
    }

    /**
     * lmdbjava: walks a cursor from the first key to the last.
     *
     * @return the sum of the keys read.
     */
    @Benchmark
    public long lmdbReadSeq(final LmdbReader r) {
        long sum = 0;
        for (boolean more = r.cursor.seek(SeekOp.MDB_FIRST); more; more = r.cursor.seek(SeekOp.MDB_NEXT)) {
            sum += r.cursor.val().getInt(0);
        }
        return r.check(sum, "lmdb");
    }

    /**
     * bess: walks the reference array from last to first.
     *
     * @return the sum of the keys read.
     */
    @Benchmark
    public long bessReadRev(final BessReader r) {
        final Ref[] refs = r.store.refs;
        long sum = 0;
        for (int i = refs.length - 1; i >= 0; i--) {
            sum += r.tx.open(refs[i]).getInt(0);
        }
        return r.check(sum, "bess");
    }

    /**
     * lmdbjava: walks a cursor from the last key to the first.
     *
     * @return the sum of the keys read.
     */
    @Benchmark
    public long lmdbReadRev(final LmdbReader r) {
        long sum = 0;
        for (boolean more = r.cursor.seek(SeekOp.MDB_LAST); more; more = r.cursor.seek(SeekOp.MDB_PREV)) {
            sum += r.cursor.val().getInt(0);
        }
        return r.check(sum, "lmdb");
    }

    private static long bessReadKey(final Transaction tx, final Ref[] refs, final int[] keys) {
        long sum = 0;
        for (final int key : keys) {
            sum += tx.open(refs[key]).getInt(0);
        }
        return sum;
    }

    private static long lmdbReadKey(final KvSupport.LmdbStore store, final Txn<DirectBuffer> txn, final int[] keys) {
        long sum = 0;
        for (final int key : keys) {
            final DirectBuffer value = store.dbi.get(txn, store.key(key));
            sum += value.getInt(0);
        }
        return sum;
    }
}
