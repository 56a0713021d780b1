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
 * Hot OO7 on bess in its three session modes: {@code embedded} (the engine in this process, the peer),
 * {@code bessShared} (a shared-memory client, {@code Bess.connect(nodeDir, SHARED_MEMORY)}) and {@code bessCopy} (a
 * copy-on-access client). The client modes talk to an engine and session endpoint started in this JVM
 * ({@link BessSessionFactory#sharedMemory()}, {@link BessSessionFactory#copyOnAccess()}) over the real socket, with
 * their own virtual frames. One method per mode, all with the same parameters ({@code config}, {@code op}), so the
 * suite pairs {@code bessShared} and {@code bessCopy} each with {@code embedded}: the report shows shared/embedded and
 * copy/embedded per operation (copy/shared is their quotient). {@link Oo7Benchmark} keeps bess against heap and lmdb.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
public class Oo7ModesBenchmark {
    /** The store of one mode, built at trial setup. */
    static final class Trial {
        final Path dir;
        final Oo7Store store;
        final Oo7Operation operation;

        Trial(final String config, final String op, final String mode) {
            operation = Oo7Operation.parse(op);
            dir = Oo7Files.newDirectory("oo7-" + mode + "-");
            try {
                store = BessOo7.create(
                        Oo7Generator.generate(Oo7Config.parse(config), Oo7Generator.DEFAULT_SEED),
                        dir,
                        BessSessionFactory.of(mode));
            } catch (final RuntimeException e) {
                Oo7Files.closeAndDelete(null, dir);
                throw e;
            }
            store.run(operation);
        }

        void close() {
            Oo7Files.closeAndDelete(store, dir);
        }
    }

    /** bess embedded. */
    @State(Scope.Thread)
    public static class EmbeddedState {
        /** The OO7 configuration: tiny, small, medium (optionally -6 or -9 connections). */
        @Param("small")
        public String config;

        /** The operation. */
        @Param({"T1", "T6", "T2a"})
        public String op;

        Trial trial;

        /** Generates the module, loads it and runs the operation once. */
        @Setup(Level.Trial)
        public void setUp() {
            trial = new Trial(config, op, "embedded");
        }

        /** Closes the store and deletes it. */
        @TearDown(Level.Trial)
        public void tearDown() {
            trial.close();
        }
    }

    /** bess as a shared-memory client. */
    @State(Scope.Thread)
    public static class SharedState {
        /** The OO7 configuration. */
        @Param("small")
        public String config;

        /** The operation. */
        @Param({"T1", "T6", "T2a"})
        public String op;

        Trial trial;

        /** Starts engine and endpoint, connects, loads the module and runs the operation once. */
        @Setup(Level.Trial)
        public void setUp() {
            trial = new Trial(config, op, "shared-memory");
        }

        /** Closes the session, the endpoint and the engine, and deletes the store. */
        @TearDown(Level.Trial)
        public void tearDown() {
            trial.close();
        }
    }

    /** bess as a copy-on-access client. */
    @State(Scope.Thread)
    public static class CopyState {
        /** The OO7 configuration. */
        @Param("small")
        public String config;

        /** The operation. */
        @Param({"T1", "T6", "T2a"})
        public String op;

        Trial trial;

        /** Starts engine and endpoint, connects, loads the module and runs the operation once. */
        @Setup(Level.Trial)
        public void setUp() {
            trial = new Trial(config, op, "copy-on-access");
        }

        /** Closes the session, the endpoint and the engine, and deletes the store. */
        @TearDown(Level.Trial)
        public void tearDown() {
            trial.close();
        }
    }

    /**
     * Runs the operation on an embedded session.
     *
     * @return its result.
     */
    @Benchmark
    public long embedded(final EmbeddedState s) {
        return s.trial.store.run(s.trial.operation);
    }

    /**
     * Runs the operation on a shared-memory client session.
     *
     * @return its result.
     */
    @Benchmark
    public long bessShared(final SharedState s) {
        return s.trial.store.run(s.trial.operation);
    }

    /**
     * Runs the operation on a copy-on-access client session.
     *
     * @return its result.
     */
    @Benchmark
    public long bessCopy(final CopyState s) {
        return s.trial.store.run(s.trial.operation);
    }
}
