package org.bess.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.bess.client.Bess;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.remote.RemoteSession;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.remote.SessionEndpoint;
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
 * A shared-memory client's first write to a page it has cached and mapped, in a transaction that holds the page's S by
 * the lock fast path (ns per write): {@code fastPath=true} is the write without a request (X by an upgrade CAS in the
 * shared lock table, the page copied into a client slot of the recovery buffer and sealed, {@code mprotect}); {@code
 * fastPath=false} is the {@code BEFORE_FIRST_WRITE} request it replaces (the server takes X and the before-image, the
 * client then {@code mprotect}s). Only the write is measured: each invocation begins a transaction, opens the object
 * and reads the page (S by the fast path) first, and aborts afterwards (the server restores the page from the image,
 * adopting the client's own on the fast path). The written long lies on the object's second page, which the server
 * never locks for the open.
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
public class ClientFirstWriteBenchmark {
    private static final int AT = 8000;

    /** An engine, its endpoint and one shared-memory client with a two-page object whose pages it has mapped. */
    @State(Scope.Thread)
    public static class Store {
        /** Whether the first write goes without a request (else it is the {@code BEFORE_FIRST_WRITE} request). */
        @Param({"true", "false"})
        public boolean fastPath;

        Path dir;
        BessServer server;
        SessionEndpoint endpoint;
        RemoteSession session;
        Ref ref;
        Transaction tx;
        ObjectRef object;
        long value;

        /** Loads the object, connects, and maps its pages in a first transaction. */
        @Setup(Level.Trial)
        public void setUp() {
            System.setProperty("bess.client.fastWrite", Boolean.toString(fastPath));
            dir = StorageBenchmarkSupport.newDirectory("bess-firstwrite-");
            server = BessServer.start(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(64L << 20));
            endpoint = SessionEndpoint.start(server, dir.resolve("node").resolve(SessionEndpoint.SOCKET_NAME));
            session = (RemoteSession) Bess.connect(dir.resolve("node"), Bess.Mode.SHARED_MEMORY);
            final Database db = session.createDatabase(dir.resolve("w.root"), 1L << 20);
            final TypeId big = db.defineType("Big", 9000, new int[0]);
            try (Transaction t = session.begin()) {
                final ObjectRef o = t.allocate(t.createFile(db, "big"), big);
                o.putLong(AT, 1);
                ref = o.ref();
                t.commit();
            }
            try (Transaction t = session.begin()) {
                t.open(ref).getLong(AT); // maps the page: later transactions re-lock it by the fast path
                t.commit();
            }
        }

        /** A transaction with the object open and its second page read (S by the fast path), not written yet. */
        @Setup(Level.Invocation)
        public void begin() {
            tx = session.begin();
            object = tx.open(ref);
            value = object.getLong(AT);
        }

        /** Rolls the write back (the server restores the page from its before-image). */
        @TearDown(Level.Invocation)
        public void abort() {
            tx.abort();
        }

        /** Checks that the path measured was the one asked for, then stops everything. */
        @TearDown(Level.Trial)
        public void tearDown() {
            final long fast = session.fastPathWrites();
            try {
                session.close();
            } finally {
                endpoint.close();
                server.close();
                StorageBenchmarkSupport.deleteTree(dir);
            }
            if (fastPath != (fast > 0)) {
                throw new IllegalStateException("fastPath=" + fastPath + " but " + fast + " writes took it");
            }
        }
    }

    /**
     * The first write of the transaction to the page.
     *
     * @return the value written.
     */
    @Benchmark
    public long firstWrite(final Store s) {
        final long v = s.value + 1;
        s.object.putLong(AT, v);
        return v;
    }
}
