package org.bess.bench;

import java.util.concurrent.TimeUnit;
import org.bess.client.ObjectRef;
import org.bess.client.Transaction;
import org.bess.client.remote.RemoteSession;
import org.bess.server.SessionAccess;
import org.bess.server.lock.LockManager;
import org.bess.server.lock.LockResource;
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
 *       round trip plus three others in the client modes (the shared-memory fast path takes that lock without
 *       a request when the page has a word in the shared lock table);
 *   <li>{@code uncontendedLock}: one uncontended page S lock and its release, as a client process takes it:
 *       {@code FAST_PATH} is the shared-memory fast path (log append, one CAS, then the client's own CAS release),
 *       {@code REQUEST} the {@code LOCK_FOR_READ} round trip over the socket it replaces, {@code EMBEDDED} the
 *       engine's in-process lock manager ({@code tryLock} then {@code releaseAll}, as an embedded session pays).
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

    /** One open object of a session, for the uncontended lock. */
    @State(Scope.Thread)
    public static class Relock {
        /** How the lock is taken. */
        @Param({"EMBEDDED", "REQUEST", "FAST_PATH"})
        public String path;

        ClientModeSupport support;
        RemoteSession client;
        LockManager locks;
        long resource;
        long txnId = 1L << 40; // far above the engine's own transaction ids

        /** Loads a small store and opens its objects in a transaction that stays open. */
        @Setup(Level.Trial)
        public void setUp() {
            final boolean embedded = path.equals("EMBEDDED");
            support = new ClientModeSupport(
                    embedded ? ClientModeSupport.Way.EMBEDDED : ClientModeSupport.Way.SHARED_MEMORY,
                    64,
                    64,
                    4096,
                    true);
            locks = SessionAccess.lockManager(support.server);
            resource = LockResource.page(0, 0, 7);
            if (!embedded) {
                client = (RemoteSession) support.session;
                final boolean fast = client.relockForBenchmark(support.objects[0], path.equals("FAST_PATH"));
                if (fast != path.equals("FAST_PATH")) {
                    throw new IllegalStateException("the fast path " + (fast ? "took" : "declined") + " the lock");
                }
            }
        }

        /** Stops everything. */
        @TearDown(Level.Trial)
        public void tearDown() {
            support.close();
        }
    }

    /**
     * One uncontended page S lock and its release.
     *
     * @return whether the fast path took it (consumed by JMH).
     */
    @Benchmark
    public boolean uncontendedLock(final Relock s) {
        if (s.client == null) {
            final long txn = s.txnId++;
            final boolean taken = s.locks.tryLock(txn, s.resource, org.bess.server.lock.LockMode.S);
            s.locks.releaseAll(txn);
            return taken;
        }
        return s.client.relockForBenchmark(s.support.objects[0], s.path.equals("FAST_PATH"));
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
