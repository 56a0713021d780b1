package org.bess.bench;

import java.util.concurrent.TimeUnit;
import org.bess.client.ObjectRef;
import org.bess.client.Transaction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The client modes against embedded use (ns per operation):
 *
 * <ul>
 *   <li>{@code *Traverse}: a hot traversal, one hop per operation: read the next index stored in the current object and
 *       the value of the object it names, over {@code count} small objects opened in one read transaction, every frame
 *       mapped (no request, no system call: a flag, a stamp compare, a frame-state check and the memory access);
 *   <li>{@code *ReadByRef}: follow a reference ({@code tx.open}) and read the object: a request in the client modes;
 *   <li>{@code *LockedRead}: a whole transaction that reads one object: begin, open, shared lock on the page (the
 *       frame stays mapped from the trial's transaction, so the lock is the only fault), commit: the uncontended lock
 *       round trip plus three others in the client modes.
 * </ul>
 *
 * <p>{@code mode} is {@code EMBEDDED}, {@code SHARED_MEMORY} or {@code COPY_ON_ACCESS}; the client sessions run in this
 * JVM, over the real socket and their own virtual frames. {@link ClientMissBenchmark} measures misses.
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
public class ClientModeBenchmark {
    /** Hops per traversal invocation. */
    static final int HOPS = 1024;

    /** A session in one of the three ways, with its objects open. */
    @State(Scope.Thread)
    public static class Store {
        /** How the session reaches the engine. */
        @Param({"EMBEDDED", "SHARED_MEMORY", "COPY_ON_ACCESS"})
        public String mode;

        /** Objects in the store. */
        @Param("4096")
        public int count;

        ClientModeSupport support;
        ObjectRef[] objects;
        int at;
        int next;

        /** Loads the store and opens every object. */
        @Setup(Level.Trial)
        public void setUp() {
            support = new ClientModeSupport(ClientModeSupport.Way.valueOf(mode), count, 64, 4096, true);
            objects = support.objects;
        }

        /** Stops everything. */
        @TearDown(Level.Trial)
        public void tearDown() {
            support.close();
        }
    }

    /** A session in one of the three ways whose objects were read by a committed transaction (frames still mapped). */
    @State(Scope.Thread)
    public static class Idle {
        /** How the session reaches the engine. */
        @Param({"EMBEDDED", "SHARED_MEMORY", "COPY_ON_ACCESS"})
        public String mode;

        /** Objects in the store. */
        @Param("4096")
        public int count;

        ClientModeSupport support;
        int next;

        /** Loads the store, reads every object once and commits. */
        @Setup(Level.Trial)
        public void setUp() {
            support = new ClientModeSupport(ClientModeSupport.Way.valueOf(mode), count, 64, 4096, false);
        }

        /** Stops everything. */
        @TearDown(Level.Trial)
        public void tearDown() {
            support.close();
        }
    }

    /**
     * One hop of the traversal per operation.
     *
     * @return the sum of the values read (consumed by JMH).
     */
    @Benchmark
    @OperationsPerInvocation(HOPS)
    public long bessTraverse(final Store s) {
        final ObjectRef[] objects = s.objects;
        int i = s.at;
        long sum = 0;
        for (int h = 0; h < HOPS; h++) {
            final ObjectRef o = objects[i];
            sum += o.getLong(0);
            i = o.getInt(8);
        }
        s.at = i;
        return sum;
    }

    /**
     * Follows a reference and reads the object.
     *
     * @return the value read.
     */
    @Benchmark
    public long bessReadByRef(final Store s) {
        final int i = s.next;
        s.next = i + 1 == s.count ? 0 : i + 1;
        return s.support.tx.open(s.support.refs[i]).getLong(0);
    }

    /**
     * A transaction that reads one object (its own, after the trial's; the trial's transaction holds only shared
     * locks, so nothing waits).
     *
     * @return the value read.
     */
    @Benchmark
    public long bessLockedRead(final Idle s) {
        final int i = s.next;
        s.next = i + 1 == s.count ? 0 : i + 1;
        try (Transaction t = s.support.session.begin()) {
            final long v = t.open(s.support.refs[i]).getLong(0);
            t.commit();
            return v;
        }
    }
}
