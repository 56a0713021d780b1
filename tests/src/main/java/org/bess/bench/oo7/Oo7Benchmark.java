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
 * Hot OO7 (repeated in one process, everything cached): one operation per invocation on bess ({@code bess}), the
 * same module as plain heap objects ({@code heap}, the upper bound) and on lmdbjava ({@code lmdb}). The suite pairs
 * {@code bess} with each peer per parameter set, so the report shows bess/heap and bess/lmdb for each operation. The
 * project's goal: hot T1 at most 2x heap and at most 0.2x lmdb.
 *
 * <p>Each system builds its store at trial setup from the same generated module ({@link Oo7Generator#DEFAULT_SEED})
 * and runs the operation once before measuring. {@code op} defaults to T1, T6, T2a, T8, Q1, Q7 for raw JMH; the suite's
 * plan ({@code SuitePlan}) runs every operation in a full run and T1, T6, T2a, Q1, Q7 with {@code --quick}; any other
 * run takes {@code -p op=...}. {@code config}
 * is {@code small} ({@code -p config=medium} for medium, {@code small-9} for 9 connections). bess runs embedded unless
 * {@code -jvmArgs -Dbess.oo7.session=shared-memory} (or {@code copy-on-access}) names a client mode.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
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
public class Oo7Benchmark {
    /** The bess side: an embedded engine (or the client mode of {@value BessSessionFactory#MODE_PROP_NAME}). */
    @State(Scope.Thread)
    public static class BessState {
        /** The OO7 configuration: tiny, small, medium (optionally -6 or -9 connections). */
        @Param("small")
        public String config;

        /** The operation. */
        @Param({"T1", "T6", "T2a", "T8", "Q1", "Q7"})
        public String op;

        Path dir;
        Oo7Store store;
        Oo7Operation operation;

        /** Generates the module, loads it into a new database and runs the operation once. */
        @Setup(Level.Trial)
        public void setUp() {
            operation = Oo7Operation.parse(op);
            dir = Oo7Files.newDirectory("oo7-bess-");
            store = BessOo7.create(
                    Oo7Generator.generate(Oo7Config.parse(config), Oo7Generator.DEFAULT_SEED),
                    dir,
                    BessSessionFactory.fromProperty());
            store.run(operation);
        }

        /** Closes the store and deletes it. */
        @TearDown(Level.Trial)
        public void tearDown() {
            Oo7Files.closeAndDelete(store, dir);
        }
    }

    /** The upper bound: the module as plain Java heap objects. */
    @State(Scope.Thread)
    public static class HeapState {
        /** The OO7 configuration. */
        @Param("small")
        public String config;

        /** The operation. */
        @Param({"T1", "T6", "T2a", "T8", "Q1", "Q7"})
        public String op;

        Oo7Store store;
        Oo7Operation operation;

        /** Generates the module, builds its objects and runs the operation once. */
        @Setup(Level.Trial)
        public void setUp() {
            operation = Oo7Operation.parse(op);
            store = HeapOo7.create(Oo7Generator.generate(Oo7Config.parse(config), Oo7Generator.DEFAULT_SEED));
            store.run(operation);
        }
    }

    /** The lmdbjava peer: objects serialized under their OIDs. */
    @State(Scope.Thread)
    public static class LmdbState {
        /** The OO7 configuration. */
        @Param("small")
        public String config;

        /** The operation. */
        @Param({"T1", "T6", "T2a", "T8", "Q1", "Q7"})
        public String op;

        Path dir;
        Oo7Store store;
        Oo7Operation operation;

        /** Generates the module, loads it into a new environment and runs the operation once. */
        @Setup(Level.Trial)
        public void setUp() {
            operation = Oo7Operation.parse(op);
            dir = Oo7Files.newDirectory("oo7-lmdb-");
            store = LmdbOo7.create(Oo7Generator.generate(Oo7Config.parse(config), Oo7Generator.DEFAULT_SEED), dir);
            store.run(operation);
        }

        /** Closes the environment and deletes it. */
        @TearDown(Level.Trial)
        public void tearDown() {
            Oo7Files.closeAndDelete(store, dir);
        }
    }

    /**
     * Runs the operation on bess.
     *
     * @return its result.
     */
    @Benchmark
    public long bess(final BessState s) {
        return s.store.run(s.operation);
    }

    /**
     * Runs the operation on heap objects.
     *
     * @return its result.
     */
    @Benchmark
    public long heap(final HeapState s) {
        return s.store.run(s.operation);
    }

    /**
     * Runs the operation on lmdbjava.
     *
     * @return its result.
     */
    @Benchmark
    public long lmdb(final LmdbState s) {
        return s.store.run(s.operation);
    }
}
