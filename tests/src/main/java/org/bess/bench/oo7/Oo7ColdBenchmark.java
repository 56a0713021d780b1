package org.bess.bench.oo7;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
 * Cold OO7: one operation on a store that was closed, had its files dropped from the kernel's page cache and was
 * opened again just before, so the pages it touches come from disk. Before every iteration (not timed): the store is
 * closed (bess: the session, whose cache file in {@code /dev/shm} goes with it; lmdb: the environment and its
 * mapping), every file of the store's directory gets {@code fdatasync} and {@code posix_fadvise(DONTNEED)} ({@link
 * Oo7Files#dropPageCache}: only these files, the shared machine keeps the rest of its cache; {@code
 * /proc/sys/vm/drop_caches} would drop everyone's), the store is opened again, and its files are dropped once more:
 * opening reads (bess scans its log and reads its id tables; lmdb's first page faults make the kernel read ahead
 * through its whole data file, 5.3 MiB in small), and what that left in the page cache would make the timed operation
 * warm. What a store keeps in its own memory from the open (bess's engine cache, lmdb's mapped pages) stays. Each
 * iteration is one operation ({@code SingleShotTime}); each fork is a fresh JVM, whose first iteration also runs with
 * cold code. Heap objects have no cold state and are not a peer here. {@code op} defaults to T1 and T6, to keep {@code
 * ./bess bench --quick} short; any other operation runs with {@code -p op=...} (e.g. Q1).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
public class Oo7ColdBenchmark {
    /** The bess side. */
    @State(Scope.Thread)
    public static class BessState {
        /** The OO7 configuration. */
        @Param("small")
        public String config;

        /** The operation. */
        @Param({"T1", "T6"})
        public String op;

        Oo7Data data;
        Path dir;
        BessOo7 store;
        Oo7Operation operation;
        BessSessionFactory sessions;

        /** Generates the module and loads it into a new database, then closes it. */
        @Setup(Level.Trial)
        public void setUp() {
            operation = Oo7Operation.parse(op);
            data = Oo7Generator.generate(Oo7Config.parse(config), Oo7Generator.DEFAULT_SEED);
            dir = Oo7Files.newDirectory("oo7-bess-cold-");
            sessions = BessSessionFactory.fromProperty();
            BessOo7.create(data, dir, sessions).close();
        }

        /** Drops the database's files from the page cache, opens it in a new session, and drops them again. */
        @Setup(Level.Iteration)
        public void open() {
            Oo7Files.dropPageCache(dir);
            store = BessOo7.open(data, dir, sessions);
            Oo7Files.dropPageCache(dir);
        }

        /** Closes the session. */
        @TearDown(Level.Iteration)
        public void close() {
            store.close();
            store = null;
        }

        /** Deletes the database. */
        @TearDown(Level.Trial)
        public void tearDown() {
            Oo7Files.closeAndDelete(store, dir);
        }
    }

    /** The lmdbjava side. */
    @State(Scope.Thread)
    public static class LmdbState {
        /** The OO7 configuration. */
        @Param("small")
        public String config;

        /** The operation. */
        @Param({"T1", "T6"})
        public String op;

        Oo7Data data;
        Path dir;
        LmdbOo7 store;
        Oo7Operation operation;

        /** Generates the module and loads it into a new environment, then closes it. */
        @Setup(Level.Trial)
        public void setUp() {
            operation = Oo7Operation.parse(op);
            data = Oo7Generator.generate(Oo7Config.parse(config), Oo7Generator.DEFAULT_SEED);
            dir = Oo7Files.newDirectory("oo7-lmdb-cold-");
            LmdbOo7.create(data, dir).close();
        }

        /** Drops the environment's files from the page cache, opens it again, and drops them again. */
        @Setup(Level.Iteration)
        public void open() {
            Oo7Files.dropPageCache(dir);
            store = LmdbOo7.open(data, dir);
            Oo7Files.dropPageCache(dir);
        }

        /** Closes the environment. */
        @TearDown(Level.Iteration)
        public void close() {
            store.close();
            store = null;
        }

        /** Deletes the environment. */
        @TearDown(Level.Trial)
        public void tearDown() {
            Oo7Files.closeAndDelete(store, dir);
        }
    }

    /**
     * Runs the operation on a cold bess database.
     *
     * @return its result.
     */
    @Benchmark
    public long bess(final BessState s) {
        return s.store.run(s.operation);
    }

    /**
     * Runs the operation on a cold lmdb environment.
     *
     * @return its result.
     */
    @Benchmark
    public long lmdb(final LmdbState s) {
        return s.store.run(s.operation);
    }
}
