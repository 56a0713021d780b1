package org.bess.bench;

import static org.bess.bench.StorageBenchmarkSupport.KEY_SEQUENCE_LENGTH;
import static org.bess.bench.StorageBenchmarkSupport.VALUE_LENGTH;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
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
 * Hot random reads: bess following a reference ({@code tx.open(new Ref(db, word))}, then reading the object in place
 * through its virtual frame) against lmdbjava getting the same value by key ({@code dbi.get(txn, key)}, then reading it
 * in lmdb's map), over the same {@code count} values of 100 bytes, in the same random order. The goal of the storage
 * engine issue is a bess time at most half lmdbjava's.
 *
 * <p>Each side takes its next key from a sequence laid out in the order of the reads (lmdbjava: the random indexes;
 * bess: the reference words of those indexes), so neither pays a random load to find what to read next.
 *
 * <p>Each side loads its own store in a fresh temporary directory at trial setup, checks every value once (which also
 * brings all of it into memory: bess's cache holds the whole data set and every frame gets mapped), and opens one read
 * transaction for the whole trial. Two read widths: the first 8 bytes ({@code *Long}), and all 100 bytes copied into a
 * reused array.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
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
public class StorageReadBenchmark {
    /** The bess side: an embedded engine, the loaded values' reference words and a read transaction. */
    @State(Scope.Thread)
    public static class BessState {
        /** Values in the store. */
        @Param("1000000")
        public int count;

        Path dir;
        Session session;
        Database db;
        long[] words;
        Transaction tx;
        // the reference words in the order of the key sequence: read one after the other, as lmdbjava's side reads its
        // keys (not words[keys[i]], a random load from an array of 8 MB at 1M values that lmdbjava does not pay)
        long[] wordSequence;
        int position;
        final byte[] buffer = new byte[VALUE_LENGTH];

        /** Loads the values, then reads and checks each once through the read transaction kept for the trial. */
        @Setup(Level.Trial)
        public void setUp() {
            dir = StorageBenchmarkSupport.newDirectory("bess-read-");
            session = StorageBenchmarkSupport.openBess(dir);
            db = StorageBenchmarkSupport.createBessDatabase(session, dir);
            words = StorageBenchmarkSupport.loadBess(session, db, count);
            final int[] keys = StorageBenchmarkSupport.keySequence(count);
            wordSequence = new long[keys.length];
            for (int i = 0; i < keys.length; i++) {
                wordSequence[i] = words[keys[i]];
            }
            tx = session.begin();
            final byte[] expected = new byte[VALUE_LENGTH];
            for (int i = 0; i < count; i++) {
                tx.open(new Ref(db, words[i])).getBytes(0, buffer, 0, VALUE_LENGTH);
                StorageBenchmarkSupport.checkValue(buffer, i, expected, "bess");
            }
        }

        /** Ends the read transaction, stops the engine and deletes the store. */
        @TearDown(Level.Trial)
        public void tearDown() {
            if (tx != null) {
                tx.close();
            }
            if (session != null) {
                session.close();
            }
            StorageBenchmarkSupport.deleteTree(dir);
        }

        long nextWord() {
            return wordSequence[position++ & (KEY_SEQUENCE_LENGTH - 1)];
        }
    }

    /** The lmdbjava side: the loaded environment and a read transaction. */
    @State(Scope.Thread)
    public static class LmdbState {
        /** Values in the store. */
        @Param("1000000")
        public int count;

        Path dir;
        LmdbPeer lmdb;
        Txn<DirectBuffer> txn;
        int[] keys;
        int position;
        final byte[] buffer = new byte[VALUE_LENGTH];

        /** Loads the values, then gets and checks each once through the read transaction kept for the trial. */
        @Setup(Level.Trial)
        public void setUp() {
            dir = StorageBenchmarkSupport.newDirectory("lmdb-read-");
            lmdb = new LmdbPeer(dir);
            lmdb.load(count, StorageBenchmarkSupport.LOAD_COMMIT_EVERY);
            keys = StorageBenchmarkSupport.keySequence(count);
            txn = lmdb.env().txnRead();
            final byte[] expected = new byte[VALUE_LENGTH];
            for (int i = 0; i < count; i++) {
                final DirectBuffer value = lmdb.dbi().get(txn, lmdb.key(i));
                if (value == null || value.capacity() != VALUE_LENGTH) {
                    throw new IllegalStateException("lmdb lost a value: index=" + i);
                }
                value.getBytes(0, buffer);
                StorageBenchmarkSupport.checkValue(buffer, i, expected, "lmdb");
            }
        }

        /** Ends the read transaction, closes the environment and deletes it. */
        @TearDown(Level.Trial)
        public void tearDown() {
            if (txn != null) {
                txn.close();
            }
            if (lmdb != null) {
                lmdb.close();
            }
            StorageBenchmarkSupport.deleteTree(dir);
        }

        DirectBuffer nextKey() {
            return lmdb.key(keys[position++ & (KEY_SEQUENCE_LENGTH - 1)]);
        }
    }

    /**
     * Follows a reference to a random value and reads its first 8 bytes.
     *
     * @return the bytes read.
     */
    @Benchmark
    public long bessReadLongByRef(final BessState s) {
        final ObjectRef object = s.tx.open(new Ref(s.db, s.nextWord()));
        return object.getLong(0);
    }

    /**
     * Gets a random value by key and reads its first 8 bytes.
     *
     * @return the bytes read.
     */
    @Benchmark
    public long lmdbGetLong(final LmdbState s) {
        return s.lmdb.dbi().get(s.txn, s.nextKey()).getLong(0);
    }

    /**
     * Follows a reference to a random value and copies its 100 bytes out.
     *
     * @return a byte of the copy, so that the copy is used.
     */
    @Benchmark
    public byte bessReadByRef(final BessState s) {
        final ObjectRef object = s.tx.open(new Ref(s.db, s.nextWord()));
        object.getBytes(0, s.buffer, 0, VALUE_LENGTH);
        return s.buffer[VALUE_LENGTH - 1];
    }

    /**
     * Gets a random value by key and copies its 100 bytes out.
     *
     * @return a byte of the copy, so that the copy is used.
     */
    @Benchmark
    public byte lmdbGet(final LmdbState s) {
        s.lmdb.dbi().get(s.txn, s.nextKey()).getBytes(0, s.buffer, 0, VALUE_LENGTH);
        return s.buffer[VALUE_LENGTH - 1];
    }
}
