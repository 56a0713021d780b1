package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.infra.ThreadParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Durable commits, the peers: every committer thread (as many as the subclass's {@code @Threads}) does a
 * read-modify-write of {@code objects} values of 100 bytes, each on its own page, and commits durably, in a loop.
 * {@code lmdbCommit} is lmdbjava with its default sync on commit ({@code MDB_NOSYNC} off); {@code rawFdatasync} is the
 * floor, N independent loops of a 4 KiB {@code pwrite} and {@code fdatasync}, each thread on its own file. The bess
 * side is {@link DurableCommitWithBess}.
 *
 * <p>Each thread owns {@value #PER_THREAD} values (of {@value #MAX_THREADS} x {@value #PER_THREAD}, the same data set
 * whatever the thread count) and changes {@code objects} consecutive ones of them, from a random start, so committers
 * never wait on each other's data: what is measured is the commit path. {@code SampleTime} mode: the score is the mean
 * time of one commit as its thread sees it, and the suite reports its median and 99th percentile. Throughput over all
 * threads ({@code commitsPerSec}, counted over the measurement iterations' wall time) is recorded as a metric; at a
 * given thread count, the time ratio bess/peer is the inverse of the throughput ratio.
 *
 * <p>Files live under {@code bess.bench.dir} (default: the working directory), a real file system.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
@State(Scope.Benchmark)
public abstract class DurableCommitPeers {
    /** Most committer threads of any subclass. */
    static final int MAX_THREADS = 16;
    /** Values each thread owns. */
    static final int PER_THREAD = 32;
    /** Bytes per value. */
    static final int VALUE_SIZE = 100;
    /** Bytes of one raw write. */
    static final int RAW_PAGE = 4096;

    /** Values changed per commit, each on its own page. */
    @Param({"1", "10"})
    public int objects;

    /** Counts the operations of the measurement iterations and their wall time, for the throughput metric. */
    public abstract static class Measured {
        final LongAdder measuredOps = new LongAdder();
        volatile boolean measuring;
        long measuredNs;
        private long iterationStart;

        /**
         * Starts counting when a measurement iteration starts.
         *
         * @param iteration the iteration about to run.
         */
        @Setup(Level.Iteration)
        public void startIteration(final IterationParams iteration) {
            measuring = iteration.getType() == IterationType.MEASUREMENT;
            if (measuring) {
                onMeasurementStart();
            }
            iterationStart = System.nanoTime();
        }

        /** Adds the iteration's wall time when it was measured. */
        @TearDown(Level.Iteration)
        public void endIteration() {
            if (measuring) {
                measuredNs += System.nanoTime() - iterationStart;
            }
            measuring = false;
        }

        /** Counts one operation when in a measurement iteration. */
        void count() {
            if (measuring) {
                measuredOps.increment();
            }
        }

        /** Called at the start of every measurement iteration. */
        void onMeasurementStart() {}

        /** Operations per second over the measurement iterations, or 0 when none ran. */
        double opsPerSecond() {
            return measuredNs == 0 ? 0 : measuredOps.sum() * 1e9 / measuredNs;
        }
    }

    /** lmdbjava: one environment (sync on commit) holding the values under integer keys. */
    @State(Scope.Benchmark)
    public static class LmdbEnv extends Measured {
        Path dir;
        Env<DirectBuffer> env;
        Dbi<DirectBuffer> dbi;

        /** Creates the environment and puts every value. */
        @Setup(Level.Trial)
        public void setUp() {
            dir = KvSupport.newDirectory("commit-lmdb-");
            env = Env.create(DirectBufferProxy.PROXY_DB)
                    .setMapSize(256L << 20)
                    .setMaxDbs(1)
                    .open(dir.toFile(), EnvFlags.MDB_NOTLS);
            dbi = env.openDbi("accounts", DbiFlags.MDB_CREATE, DbiFlags.MDB_INTEGERKEY);
            final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(Integer.BYTES));
            final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_SIZE));
            try (Txn<DirectBuffer> txn = env.txnWrite()) {
                for (int i = 0; i < MAX_THREADS * PER_THREAD; i++) {
                    key.putInt(0, i, ByteOrder.nativeOrder());
                    dbi.put(txn, key, value);
                }
                txn.commit();
            }
        }

        /**
         * Records the throughput, closes and deletes the environment.
         *
         * @param params the running benchmark, for the metrics.
         */
        @TearDown(Level.Trial)
        public void tearDown(final BenchmarkParams params) {
            BenchMetrics.record(params, "commitsPerSec", opsPerSecond(), "ops/s");
            dbi.close();
            env.close();
            StorageBenchmarkSupport.deleteTree(dir);
        }
    }

    /** One lmdbjava committer: its values, buffers and random start. */
    @State(Scope.Thread)
    public static class LmdbCommitter {
        final MutableDirectBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(Integer.BYTES));
        final MutableDirectBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_SIZE));
        int first;
        SplittableRandom random;

        /**
         * Takes this thread's share of the values.
         *
         * @param thread this thread's index.
         */
        @Setup(Level.Trial)
        public void setUp(final ThreadParams thread) {
            first = thread.getThreadIndex() * PER_THREAD;
            random = new SplittableRandom(thread.getThreadIndex());
        }
    }

    /** The raw floor: a directory of one file per thread. */
    @State(Scope.Benchmark)
    public static class RawFiles extends Measured {
        Path dir;

        /** Creates the directory. */
        @Setup(Level.Trial)
        public void setUp() {
            dir = KvSupport.newDirectory("commit-raw-");
        }

        /**
         * Records the throughput, deletes the files.
         *
         * @param params the running benchmark, for the metrics.
         */
        @TearDown(Level.Trial)
        public void tearDown(final BenchmarkParams params) {
            BenchMetrics.record(params, "syncsPerSec", opsPerSecond(), "ops/s");
            StorageBenchmarkSupport.deleteTree(dir);
        }
    }

    /** One raw loop: its own file with one synced page, and a direct page buffer. */
    @State(Scope.Thread)
    public static class RawSyncer {
        final ByteBuffer page = ByteBuffer.allocateDirect(RAW_PAGE);
        FileChannel channel;

        /**
         * Creates this thread's file with one synced page, so that the loop overwrites allocated blocks.
         *
         * @param files the directory.
         * @param thread this thread's index.
         */
        @Setup(Level.Trial)
        public void setUp(final RawFiles files, final ThreadParams thread) {
            try {
                channel = FileChannel.open(
                        files.dir.resolve("raw-" + thread.getThreadIndex()),
                        StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                channel.write(page, 0);
                channel.force(true);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot create a raw sync file: dir=" + files.dir, e);
            }
        }

        /** Closes the file. */
        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                channel.close();
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * lmdbjava: in one write transaction, gets {@code objects} of this thread's values, changes 16 bytes of each and
     * puts it back; commits with lmdb's sync.
     *
     * @return the sum of the new counters.
     */
    @Benchmark
    public long lmdbCommit(final LmdbEnv lmdb, final LmdbCommitter c) {
        long sum = 0;
        final int start = c.random.nextInt(PER_THREAD);
        try (Txn<DirectBuffer> txn = lmdb.env.txnWrite()) {
            for (int i = 0; i < objects; i++) {
                c.key.putInt(0, c.first + (start + i) % PER_THREAD, ByteOrder.nativeOrder());
                final DirectBuffer found = lmdb.dbi.get(txn, c.key);
                final long v = found.getLong(0) + 1;
                c.value.putBytes(0, found, 0, VALUE_SIZE);
                c.value.putLong(0, v);
                c.value.putLong(64, v ^ 0x5555);
                lmdb.dbi.put(txn, c.key, c.value);
                sum += v;
            }
            txn.commit();
        }
        lmdb.count();
        return sum;
    }

    /**
     * The floor: one 4 KiB {@code pwrite} at offset 0 of this thread's file and {@code fdatasync}.
     *
     * @return the bytes written.
     * @throws IOException when the write or the sync fails.
     */
    @Benchmark
    public int rawFdatasync(final RawFiles files, final RawSyncer s) throws IOException {
        s.page.clear();
        final int n = s.channel.write(s.page, 0);
        s.channel.force(false);
        files.count();
        return n;
    }
}
