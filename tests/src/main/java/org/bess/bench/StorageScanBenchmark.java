package org.bess.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
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
 * Full scans: a bess cursor over the file of {@code count} values of 100 bytes ({@code tx.scan(file)}) against an
 * lmdbjava cursor over the same values, each reading the first 8 bytes of every value. The score is the time of one
 * full scan; divide by {@code count} for the time per element. The goal of the storage engine issue is a bess scan no
 * slower than lmdbjava's.
 *
 * <p>Each side loads its own store in a fresh temporary directory at trial setup, scans it once and checks every value
 * it saw (which also brings all of it into memory), and opens one read transaction for the whole trial.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
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
public class StorageScanBenchmark {
    /** The bess side: an embedded engine with the values loaded, and a read transaction. */
    @State(Scope.Thread)
    public static class BessState {
        /** Values in the store. */
        @Param("1000000")
        public int count;

        Path dir;
        Session session;
        Transaction tx;
        BessFile file;

        /** Loads the values, then scans once through the read transaction kept for the trial, checking each value. */
        @Setup(Level.Trial)
        public void setUp() {
            dir = StorageBenchmarkSupport.newDirectory("bess-scan-");
            session = StorageBenchmarkSupport.openBess(dir);
            final Database db = StorageBenchmarkSupport.createBessDatabase(session, dir);
            StorageBenchmarkSupport.loadBess(session, db, count);
            tx = session.begin();
            file = tx.file(db, StorageBenchmarkSupport.STORE_NAME);
            final byte[] value = new byte[StorageBenchmarkSupport.VALUE_LENGTH];
            final byte[] expected = new byte[StorageBenchmarkSupport.VALUE_LENGTH];
            int seen = 0;
            try (Cursor cursor = tx.scan(file)) {
                while (cursor.next()) {
                    cursor.object().getBytes(0, value, 0, value.length);
                    // allocation order is slot order here: the scan meets the values in index order
                    StorageBenchmarkSupport.checkValue(value, seen++, expected, "bess scan");
                }
            }
            if (seen != count) {
                throw new IllegalStateException("bess scan saw " + seen + " values, expected " + count);
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

        /** Loads the values, then scans once through the read transaction kept for the trial, checking each value. */
        @Setup(Level.Trial)
        public void setUp() {
            dir = StorageBenchmarkSupport.newDirectory("lmdb-scan-");
            lmdb = new LmdbPeer(dir);
            lmdb.load(count, StorageBenchmarkSupport.LOAD_COMMIT_EVERY);
            txn = lmdb.env().txnRead();
            final byte[] value = new byte[StorageBenchmarkSupport.VALUE_LENGTH];
            final byte[] expected = new byte[StorageBenchmarkSupport.VALUE_LENGTH];
            int seen = 0;
            try (org.lmdbjava.Cursor<DirectBuffer> cursor = lmdb.dbi().openCursor(txn)) {
                for (boolean more = cursor.first(); more; more = cursor.next()) {
                    cursor.val().getBytes(0, value);
                    StorageBenchmarkSupport.checkValue(value, seen++, expected, "lmdb scan");
                }
            }
            if (seen != count) {
                throw new IllegalStateException("lmdb scan saw " + seen + " values, expected " + count);
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
    }

    /**
     * Scans every object of the file with a bess cursor, reading the first 8 bytes of each.
     *
     * @return the sum of what was read.
     */
    @Benchmark
    public long bessScan(final BessState s) {
        long sum = 0;
        try (Cursor cursor = s.tx.scan(s.file)) {
            while (cursor.next()) {
                sum += cursor.object().getLong(0);
            }
        }
        return sum;
    }

    /**
     * Scans every value with an lmdbjava cursor, reading the first 8 bytes of each.
     *
     * @return the sum of what was read.
     */
    @Benchmark
    public long lmdbCursorScan(final LmdbState s) {
        long sum = 0;
        try (org.lmdbjava.Cursor<DirectBuffer> cursor = s.lmdb.dbi().openCursor(s.txn)) {
            for (boolean more = cursor.first(); more; more = cursor.next()) {
                sum += cursor.val().getLong(0);
            }
        }
        return sum;
    }
}
