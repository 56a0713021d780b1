package org.bess.bench;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.Context;
import org.bess.server.EngineCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Durable commits, bess beside the peers of {@link DurableCommitPeers}: every committer thread, in its own session of
 * one engine (see {@link BessCommitters}), opens {@code objects} of its objects of 100 bytes by reference, changes 16
 * bytes of each, and commits; the commit returns once its commit record is durable (write-ahead log, group commit).
 *
 * <p>The objects are 100-byte objects allocated one after another, of which every {@value #SPACING}th is used, so that
 * each used object is on its own page and shares it with objects nobody changes. Besides the times, the run records the
 * engine's counters over the measurement iterations: commits per log {@code fdatasync} ({@code groupSize}), log bytes
 * per commit, page-diff record bytes per commit and the bytes those diffs changed per commit.
 */
public abstract class DurableCommitWithBess extends DurableCommitPeers {
    /** Objects allocated per object used: 64 x 100 bytes is more than a page. */
    static final int SPACING = 64;

    /** bess: one engine, the committers' sessions and the used objects' references. */
    @State(Scope.Benchmark)
    public static class BessEngine extends Measured {
        Path dir;
        BessCommitters committers;
        Ref[] refs;
        EngineCounters atMeasurementStart;

        /**
         * Whether a clean page's first change logs its full image (off: the log holds only changed bytes, for the
         * log-bytes goal): {@code -jvmArgsAppend -Dbess.txn.full.page.images=false}. Not a JMH parameter, so that the
         * suite still pairs {@code bessCommit} with its peers.
         */
        final boolean fullPageImages =
                Boolean.parseBoolean(System.getProperty(Context.FULL_PAGE_IMAGES_PROP_NAME, "true"));

        /** Starts the engine and allocates the objects. */
        @Setup(Level.Trial)
        public void setUp() {
            dir = KvSupport.newDirectory("commit-bess-");
            committers = BessCommitters.start(new Context()
                    .nodeDir(dir.resolve("node"))
                    .cacheSizeBytes(64L << 20)
                    .fullPageImages(fullPageImages));
            final Session session = committers.loader();
            final Database db = session.createDatabase(dir.resolve("bench.root"), 1L << 20);
            final TypeId type = db.defineType("Account", VALUE_SIZE, new int[0]);
            refs = new Ref[MAX_THREADS * PER_THREAD];
            try (Transaction tx = session.begin()) {
                final BessFile file = tx.createFile(db, "accounts");
                for (int i = 0; i < refs.length * SPACING; i++) {
                    final ObjectRef object = tx.allocate(file, type);
                    if (i % SPACING == 0) {
                        refs[i / SPACING] = object.ref();
                    }
                }
                tx.commit();
            }
        }

        @Override
        void onMeasurementStart() {
            if (atMeasurementStart == null) {
                atMeasurementStart = committers.counters();
            }
        }

        /**
         * Records the throughput and the engine's counters over the measurement, stops the engine, deletes the files.
         *
         * @param params the running benchmark, for the metrics.
         */
        @TearDown(Level.Trial)
        public void tearDown(final BenchmarkParams params) {
            try {
                BenchMetrics.record(params, "commitsPerSec", opsPerSecond(), "ops/s");
                if (atMeasurementStart != null) {
                    final EngineCounters c = committers.counters().minus(atMeasurementStart);
                    final double commits = Math.max(1, c.commits());
                    BenchMetrics.record(
                            params,
                            "groupSize",
                            c.forces() == 0 ? 0 : c.commits() / (double) c.forces(),
                            "commits/fdatasync");
                    BenchMetrics.record(params, "logBytesPerCommit", c.logBytes() / commits, "B");
                    BenchMetrics.record(params, "diffRecordBytesPerCommit", c.diffRecordBytes() / commits, "B");
                    BenchMetrics.record(params, "changedBytesPerCommit", c.changedBytes() / commits, "B");
                    final double flushes = Math.max(1, c.flushes());
                    BenchMetrics.record(params, "flushMicros", c.flushNanos() / flushes / 1e3, "us/flush");
                    BenchMetrics.record(params, "gatherMicros", c.gatherNanos() / flushes / 1e3, "us/flush");
                }
            } finally {
                committers.close();
                StorageBenchmarkSupport.deleteTree(dir);
            }
        }
    }

    /** One bess committer: its session, its share of the objects and its random start. */
    @State(Scope.Thread)
    public static class BessCommitter {
        Session session;
        int first;
        SplittableRandom random;

        /**
         * Takes this thread's session and share of the objects.
         *
         * @param engine the engine.
         * @param thread this thread's index.
         */
        @Setup(Level.Trial)
        public void setUp(final BessEngine engine, final ThreadParams thread) {
            session = engine.committers.session(thread.getThreadIndex());
            first = thread.getThreadIndex() * PER_THREAD;
            random = new SplittableRandom(thread.getThreadIndex());
        }
    }

    /**
     * bess: opens {@code objects} of this thread's objects by reference, changes 16 bytes of each, commits durably.
     *
     * @return the sum of the new counters.
     */
    @Benchmark
    public long bessCommit(final BessEngine engine, final BessCommitter c) {
        long sum = 0;
        final int start = c.random.nextInt(PER_THREAD);
        try (Transaction tx = c.session.begin()) {
            for (int i = 0; i < objects; i++) {
                final ObjectRef o = tx.open(engine.refs[c.first + (start + i) % PER_THREAD]);
                final long v = o.getLong(0) + 1;
                o.putLong(0, v);
                o.putLong(64, v ^ 0x5555);
                sum += v;
            }
            tx.commit();
        }
        engine.count();
        return sum;
    }
}
