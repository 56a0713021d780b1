package org.bess.bench;

import static org.bess.bench.StorageBenchmarkSupport.VALUE_LENGTH;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.lmdbjava.Txn;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Allocation rate: bess allocating 100-byte objects into one file and writing their bytes ({@code tx.allocate(file,
 * type)}, {@code putBytes}), against lmdbjava putting 100-byte values under increasing int keys, each committing every
 * {@code commitEvery} operations. The score is operations per second, commits included (a bess commit writes back the
 * dirty pages and forces the areas; an lmdb commit syncs). Each iteration starts from an empty store in a fresh
 * temporary directory, so the store grows only by what one iteration writes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        // appended, not replacing: requirements of the code under test (Agrona 2.x, LmdbJava)
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
public class StorageAllocationBenchmark {
    /** The bess side: an empty database and an open transaction. */
    @State(Scope.Thread)
    public static class BessState {
        /** Allocations per transaction. */
        @Param("10000")
        public int commitEvery;

        Path dir;
        Session session;
        TypeId type;
        BessFile file;
        Transaction tx;
        int inTransaction;
        int index;
        final byte[] value = new byte[VALUE_LENGTH];

        /** Starts an engine on an empty database and begins the first transaction. */
        @Setup(Level.Iteration)
        public void setUp() {
            dir = StorageBenchmarkSupport.newDirectory("bess-alloc-");
            session = StorageBenchmarkSupport.openBess(dir);
            final Database db = StorageBenchmarkSupport.createBessDatabase(session, dir);
            type = db.type(StorageBenchmarkSupport.TYPE_NAME);
            tx = session.begin();
            file = tx.file(db, StorageBenchmarkSupport.STORE_NAME);
            inTransaction = 0;
            index = 0;
        }

        /** Commits what the iteration left open, stops the engine and deletes the store. */
        @TearDown(Level.Iteration)
        public void tearDown() {
            if (tx != null && tx.isActive()) {
                tx.commit();
            }
            if (session != null) {
                session.close();
            }
            StorageBenchmarkSupport.deleteTree(dir);
        }
    }

    /** The lmdbjava side: an empty environment and an open write transaction. */
    @State(Scope.Thread)
    public static class LmdbState {
        /** Puts per transaction. */
        @Param("10000")
        public int commitEvery;

        Path dir;
        LmdbPeer lmdb;
        Txn<DirectBuffer> txn;
        int inTransaction;
        int index;

        /** Opens an empty environment and begins the first write transaction. */
        @Setup(Level.Iteration)
        public void setUp() {
            dir = StorageBenchmarkSupport.newDirectory("lmdb-alloc-");
            lmdb = new LmdbPeer(dir);
            txn = lmdb.env().txnWrite();
            inTransaction = 0;
            index = 0;
        }

        /** Commits what the iteration left open, closes the environment and deletes it. */
        @TearDown(Level.Iteration)
        public void tearDown() {
            if (txn != null) {
                txn.commit();
                txn.close();
            }
            if (lmdb != null) {
                lmdb.close();
            }
            StorageBenchmarkSupport.deleteTree(dir);
        }
    }

    /**
     * Allocates one object and writes its 100 bytes; every {@code commitEvery} allocations, commits and begins anew.
     *
     * @return the new object's reference word.
     */
    @Benchmark
    public long bessAllocate(final BessState s) {
        final ObjectRef object = s.tx.allocate(s.file, s.type);
        StorageBenchmarkSupport.fillValue(s.value, s.index++);
        object.putBytes(0, s.value, 0, VALUE_LENGTH);
        if (++s.inTransaction == s.commitEvery) {
            s.tx.commit();
            s.tx = s.session.begin();
            s.inTransaction = 0;
        }
        return object.ref().word();
    }

    /**
     * Puts one value under the next key; every {@code commitEvery} puts, commits and begins anew.
     *
     * @return the key put.
     */
    @Benchmark
    public int lmdbPut(final LmdbState s) {
        final int key = s.index++;
        s.lmdb.put(s.txn, key);
        if (++s.inTransaction == s.commitEvery) {
            s.txn.commit();
            s.txn.close();
            s.txn = s.lmdb.env().txnWrite();
            s.inTransaction = 0;
        }
        return key;
    }
}
