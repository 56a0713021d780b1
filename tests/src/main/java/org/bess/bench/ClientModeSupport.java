package org.bess.bench;

import java.nio.file.Path;
import java.util.Random;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.remote.SessionEndpoint;

/**
 * One engine with its session endpoint in the benchmark JVM, a store of small objects linked in one random cycle, and a
 * session on it in one of the three ways (embedded, shared-memory client, copy-on-access client), with every object
 * opened in one read transaction kept for the trial. The client sessions talk to the endpoint over the real socket and
 * use their own virtual frames, exactly as in a client process; only the process boundary is missing.
 */
final class ClientModeSupport implements AutoCloseable {
    /** The ways a session reaches the engine. */
    enum Way {
        EMBEDDED,
        SHARED_MEMORY,
        COPY_ON_ACCESS
    }

    final Path dir;
    final BessServer server;
    final SessionEndpoint endpoint;
    final Session session;
    final Database db;
    final Ref[] refs;
    final Transaction tx;
    final ObjectRef[] objects;

    /**
     * Loads {@code count} objects of {@code size} bytes (a long value at 0, the next index of the cycle at 8).
     *
     * @param frameBudget the engine's (and every client's) mapped-frame budget.
     * @param keepOpen whether the read transaction stays open for the trial (else it commits: frames stay mapped).
     */
    ClientModeSupport(final Way way, final int count, final int size, final int frameBudget, final boolean keepOpen) {
        dir = StorageBenchmarkSupport.newDirectory("bess-client-");
        server = BessServer.start(new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(128L << 20)
                .frameBudget(frameBudget));
        endpoint = SessionEndpoint.start(server, dir.resolve("node").resolve(SessionEndpoint.SOCKET_NAME));
        refs = new Ref[count];
        final Path root = dir.resolve("objects.root");
        final int[] next = cycle(count);
        try (Session loader = server.openSession()) {
            final Database d = loader.createDatabase(root, 16L << 20);
            final TypeId t = d.defineType("Node", size, new int[0]);
            try (Transaction w = loader.begin()) {
                final BessFile f = w.createFile(d, "nodes");
                for (int i = 0; i < count; i++) {
                    final ObjectRef o = w.allocate(f, t);
                    o.putLong(0, i);
                    o.putInt(8, next[i]);
                    refs[i] = o.ref();
                }
                w.commit();
            }
        }
        session = switch (way) {
            case EMBEDDED -> server.openSession();
            case SHARED_MEMORY -> Bess.connect(dir.resolve("node"), Bess.Mode.SHARED_MEMORY);
            case COPY_ON_ACCESS -> Bess.connect(dir.resolve("node"), Bess.Mode.COPY_ON_ACCESS);
        };
        db = session.openDatabase(root);
        for (int i = 0; i < count; i++) {
            refs[i] = new Ref(db, refs[i].word());
        }
        tx = session.begin();
        objects = new ObjectRef[count];
        for (int i = 0; i < count; i++) {
            objects[i] = tx.open(refs[i]);
            if (objects[i].getLong(0) != i) {
                throw new IllegalStateException("object " + i + " reads " + objects[i].getLong(0));
            }
        }
        if (!keepOpen) {
            tx.commit();
        }
    }

    static int[] cycle(final int count) {
        final int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        final Random r = new Random(42);
        for (int i = count - 1; i > 0; i--) {
            final int j = r.nextInt(i + 1);
            final int x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        final int[] next = new int[count];
        for (int i = 0; i < count; i++) {
            next[order[i]] = order[(i + 1) % count];
        }
        return next;
    }

    @Override
    public void close() {
        try {
            if (tx.isActive()) {
                tx.close();
            }
            session.close();
        } finally {
            endpoint.close();
            server.close();
            StorageBenchmarkSupport.deleteTree(dir);
        }
    }
}
