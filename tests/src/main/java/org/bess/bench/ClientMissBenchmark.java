package org.bess.bench;

import java.util.concurrent.TimeUnit;
import org.bess.client.ObjectRef;
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
 * Miss service latency (ns per miss): objects of 4000 bytes, one or two pages each, read in a cycle over many more
 * pages than the mapped-frame budget of 16, so every read finds its frame unmapped (the level-one clock took it) and
 * takes the whole miss path: the clock's {@code mprotect}/{@code munmap}, then the cache frame from the engine
 * (embedded: a call; shared memory: a request; copy-on-access: a request carrying the page's 4 KiB, copied into a
 * private frame) and the {@code mmap} of the frame. The pages are in the engine's cache (no disk read).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
public class ClientMissBenchmark {
    /** A session with its objects open and a frame budget far below their pages. */
    @State(Scope.Thread)
    public static class Store {
        /** How the session reaches the engine. */
        @Param({"EMBEDDED", "SHARED_MEMORY", "COPY_ON_ACCESS"})
        public String mode;

        /** Objects (about one page each). */
        @Param("512")
        public int count;

        ClientModeSupport support;
        ObjectRef[] objects;
        int at;

        /** Loads the store and opens every object. */
        @Setup(Level.Trial)
        public void setUp() {
            support = new ClientModeSupport(ClientModeSupport.Way.valueOf(mode), count, 4000, 16, true);
            objects = support.objects;
        }

        /** Stops everything. */
        @TearDown(Level.Trial)
        public void tearDown() {
            support.close();
        }
    }

    /**
     * Reads the next object of the cycle: a miss.
     *
     * @return the value read.
     */
    @Benchmark
    public long bessMiss(final Store s) {
        final int i = s.at;
        s.at = i + 1 == s.count ? 0 : i + 1;
        return s.objects[i].getLong(0);
    }
}
