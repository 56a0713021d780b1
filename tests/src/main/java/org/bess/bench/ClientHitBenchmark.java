package org.bess.bench;

import java.util.concurrent.TimeUnit;
import org.bess.client.ObjectRef;
import org.bess.client.remote.RemoteSession;
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
 * A shared-memory client's read of a page the server has cached but the client has not mapped (ns per read): objects
 * of 4000 bytes read in a cycle over many more pages than the client's mapped-frame budget of 16, so every read finds
 * its frame unmapped (the level-one clock took it) and maps the page again, either by a cache hit without a request
 * ({@code hitPath=true}: the server's page table, the client's bit in the client-map file, S by the lock fast path,
 * {@code mmap}; the unmap clears the bit) or by the {@code ACQUIRE_FRAME} request ({@code hitPath=false}; the unmap is
 * a {@code RELEASE_FRAME} request). Each read is in the trial's one open transaction, so S is held after the first
 * lap on both paths. The pages stay cached (the cache is 128 MiB): no disk read.
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
public class ClientHitBenchmark {
    /** A shared-memory session with its objects open and a frame budget far below their pages. */
    @State(Scope.Thread)
    public static class Store {
        /** Whether the client maps cached pages by itself (else every mapping is a request). */
        @Param({"true", "false"})
        public boolean hitPath;

        /** Objects (about one page each). */
        @Param("512")
        public int count;

        ClientModeSupport support;
        ObjectRef[] objects;
        int at;

        /** Loads the store, connects and opens every object. */
        @Setup(Level.Trial)
        public void setUp() {
            System.setProperty("bess.client.cacheHits", Boolean.toString(hitPath));
            support = new ClientModeSupport(ClientModeSupport.Way.SHARED_MEMORY, count, 4000, 16, true);
            objects = support.objects;
            // a lap, so that the pages have lock-table entries and the window's page keys are known
            for (int i = 0; i < count; i++) {
                objects[i].getLong(0);
            }
        }

        /** Checks that the path measured was the one asked for, then stops everything. */
        @TearDown(Level.Trial)
        public void tearDown() {
            final long hits = ((RemoteSession) support.session).cacheHits();
            support.close();
            if (hitPath != (hits > 0)) {
                throw new IllegalStateException("hitPath=" + hitPath + " but the client mapped " + hits + " by hits");
            }
        }
    }

    /**
     * Reads the next object of the cycle: its page is cached by the server, unmapped in the client.
     *
     * @return the value read.
     */
    @Benchmark
    public long unmappedCachedRead(final Store s) {
        final int i = s.at;
        s.at = i + 1 == s.count ? 0 : i + 1;
        return s.objects[i].getLong(0);
    }
}
