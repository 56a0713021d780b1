package org.bess.server.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.remote.RemoteSession;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.LockTimeoutException;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.SessionAccess;
import org.bess.server.lock.LockContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cache hits under churn: a cache smaller than the data and a mapped-frame budget of 16, so that shared-memory clients
 * unmap and map again all the time (by hits when the server still has the page, by request when not) while the server
 * replaces frames for their misses and a writer client changes objects. Every object carries its own number, so a
 * client that mapped a frame the server had given to another page reads the wrong number.
 */
@Timeout(180)
class CacheHitChurnTest {
    private static final int OBJECTS = 800;
    private static final int WRITES = 150;
    private static final int READ_LAPS = 6;

    @TempDir
    Path dir;

    private BessServer server;
    private SessionEndpoint endpoint;
    private final Ref[] refs = new Ref[OBJECTS];

    @BeforeEach
    void start() {
        server = BessServer.start(new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(2L << 20)
                .frameBudget(16)
                .lockContext(new LockContext().lockTimeoutNs(TimeUnit.SECONDS.toNanos(30))));
        endpoint = SessionEndpoint.start(server, dir.resolve("node").resolve(SessionEndpoint.SOCKET_NAME));
        try (Session s = server.openSession()) {
            final Database db = s.createDatabase(dir.resolve("churn.root"), 1L << 20);
            final TypeId t = db.defineType("Page", 4000, new int[0]);
            for (int batch = 0; batch < OBJECTS / 100; batch++) {
                try (Transaction tx = s.begin()) {
                    final BessFile f = batch == 0 ? tx.createFile(db, "pages") : tx.file(db, "pages");
                    for (int i = batch * 100; i < (batch + 1) * 100; i++) {
                        final ObjectRef o = tx.allocate(f, t);
                        o.putLong(8, i);
                        o.putLong(3992, i);
                        refs[i] = o.ref();
                    }
                    tx.commit();
                }
            }
        }
    }

    @AfterEach
    void stop() {
        endpoint.close();
        server.close();
    }

    private RemoteSession connect() {
        return (RemoteSession) Bess.connect(dir.resolve("node"), Bess.Mode.SHARED_MEMORY);
    }

    @Test
    void shouldReadEveryPageRightWhileFramesAreMappedByHitsAndReplaced() throws Exception {
        final long[] lastSeen = new long[OBJECTS];
        try (RemoteSession reader = connect();
                RemoteSession writer = connect()) {
            final Database rdb = reader.openDatabase(dir.resolve("churn.root"));
            final Database wdb = writer.openDatabase(dir.resolve("churn.root"));
            final CompletableFuture<Integer> writes = CompletableFuture.supplyAsync(() -> {
                final Random random = new Random(3);
                int commits = 0;
                while (commits < WRITES) {
                    try (Transaction tx = writer.begin()) {
                        final int i = random.nextInt(OBJECTS);
                        final ObjectRef o = tx.open(new Ref(wdb, refs[i].word()));
                        assertThat(o.getLong(8)).isEqualTo(i);
                        o.putLong(0, o.getLong(0) + 1);
                        tx.commit();
                        commits++;
                    } catch (final LockTimeoutException | DeadlockException e) {
                        // try again
                    }
                }
                return commits;
            });
            final Random random = new Random(5);
            for (int lap = 0; lap < READ_LAPS; lap++) {
                try (Transaction tx = reader.begin()) {
                    for (int k = 0; k < OBJECTS; k++) {
                        final int i = (k * 7 + lap * 13 + random.nextInt(3)) % OBJECTS;
                        final ObjectRef o = tx.open(new Ref(rdb, refs[i].word()));
                        assertThat(o.getLong(8)).as("object %d's own number", i).isEqualTo(i);
                        assertThat(o.getLong(3992))
                                .as("object %d's number at its end", i)
                                .isEqualTo(i);
                        final long v = o.getLong(0);
                        assertThat(v)
                                .as("object %d's counter never goes back", i)
                                .isGreaterThanOrEqualTo(lastSeen[i]);
                        lastSeen[i] = v;
                    }
                    tx.commit();
                }
            }
            assertThat(writes.get(120, TimeUnit.SECONDS)).isEqualTo(WRITES);
            assertThat(reader.cacheHits()).as("pages the reader mapped by hits").isPositive();
            assertThat(server.cacheCounters()[2])
                    .as("frames the server replaced")
                    .isGreaterThan(OBJECTS);
        }
        long total = 0;
        try (Session s = server.openSession()) {
            final Database db = s.openDatabase(dir.resolve("churn.root"));
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < OBJECTS; i++) {
                    final ObjectRef o = tx.open(new Ref(db, refs[i].word()));
                    assertThat(o.getLong(8)).isEqualTo(i);
                    total += o.getLong(0);
                }
            }
        }
        assertThat(total).as("every committed increment, once").isEqualTo(WRITES);
        assertThat(SessionAccess.clientHitMaps(server)).isZero();
    }
}
