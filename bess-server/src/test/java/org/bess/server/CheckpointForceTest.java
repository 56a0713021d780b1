package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.io.ForwardingPageStore;
import org.bess.server.io.PageStore;
import org.bess.server.io.StorageIo;
import org.bess.server.log.LogDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fuzzy checkpoint forces the storage areas with the engine latch let go: while its {@code fdatasync} of the data
 * files is held at a gate, other sessions read, write and commit; the checkpoint then completes and is logged, and a
 * restart finds every acknowledged commit.
 */
@Timeout(120)
class CheckpointForceTest {
    /** Objects of 100 bytes allocated per object used: each used object is alone on its page. */
    private static final int SPACING = 64;

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final GatedAreas io = new GatedAreas();
    private BessServer server;

    @AfterEach
    void stop() throws InterruptedException {
        io.open();
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        if (server != null) {
            server.close();
        }
    }

    /** The real storage, with every area force first waiting at a gate while the gate is closed. */
    private static final class GatedAreas implements StorageIo {
        private volatile CountDownLatch gate = new CountDownLatch(0);
        private volatile CountDownLatch entered = new CountDownLatch(0);

        CountDownLatch close() {
            entered = new CountDownLatch(1);
            gate = new CountDownLatch(1);
            return entered;
        }

        void open() {
            gate.countDown();
        }

        @Override
        public PageStore createArea(final Path path, final long pageCount) {
            return gated(StorageIo.REAL.createArea(path, pageCount));
        }

        @Override
        public PageStore openArea(final Path path) {
            return gated(StorageIo.REAL.openArea(path));
        }

        @Override
        public LogDevice openLog(final Path logDir) {
            return StorageIo.REAL.openLog(logDir);
        }

        private PageStore gated(final PageStore real) {
            return new ForwardingPageStore(real) {
                @Override
                public void force() {
                    entered.countDown();
                    try {
                        if (!gate.await(60, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("the test never opened the area force gate");
                        }
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                    super.force();
                }
            };
        }
    }

    private BessServer start() {
        return BessServer.start(new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(16L << 20)
                .checkpointLogBytes(64L << 10)
                .checkpointIntervalMs(3_600_000L)
                .storageIo(io));
    }

    @Test
    void shouldLetOtherSessionsCommitWhileACheckpointForcesTheAreas() throws Exception {
        server = start();
        final List<Ref> refs = new ArrayList<>();
        try (Session loader = server.openSession()) {
            final Database db = loader.createDatabase(dir.resolve("db.root"), 1L << 20);
            final TypeId type = db.defineType("Counter", 100, new int[0]);
            try (Transaction tx = loader.begin()) {
                final BessFile file = tx.createFile(db, "counters");
                for (int i = 0; i < 2 * SPACING; i++) {
                    final ObjectRef o = tx.allocate(file, type);
                    if (i % SPACING == 0) {
                        refs.add(o.ref());
                    }
                }
                tx.commit();
            }
        }
        // a full checkpoint stores the changed catalog now (with the latch held throughout): the next one is fuzzy
        server.checkpoint();
        final long checkpointsBefore = server.cacheCounters()[5];
        final CountDownLatch forcing = io.close();
        // session A commits until one of its commits takes the fuzzy checkpoint due by log volume, which then waits
        // in the areas' force
        final Future<Long> a = pool.submit(() -> {
            long value = 0;
            try (Session s = server.openSession()) {
                while (forcing.getCount() > 0) {
                    try (Transaction tx = s.begin()) {
                        tx.open(refs.get(0)).putLong(0, ++value);
                        tx.commit();
                    }
                }
            }
            return value;
        });
        assertThat(forcing.await(60, TimeUnit.SECONDS))
                .as("a commit started a checkpoint that reached the areas' force")
                .isTrue();
        // session B works and commits while that force waits at the gate
        final Future<?> b = pool.submit(() -> {
            try (Session s = server.openSession();
                    Transaction tx = s.begin()) {
                tx.open(refs.get(1)).putLong(0, 4242);
                tx.commit();
            }
            return null;
        });
        b.get(30, TimeUnit.SECONDS);
        assertThat(a.isDone()).as("the checkpoint is still in its force").isFalse();
        io.open();
        final long last = a.get(60, TimeUnit.SECONDS);
        assertThat(server.cacheCounters()[5]).as("checkpoints taken").isGreaterThan(checkpointsBefore);
        server.close();
        server = start();
        try (Session s = server.openSession()) {
            final Database db = s.openDatabase(dir.resolve("db.root"));
            final List<Long> values = new ArrayList<>();
            try (Transaction tx = s.begin();
                    Cursor c = tx.scan(tx.file(db, "counters"))) {
                while (c.next()) {
                    values.add(c.object().getLong(0));
                }
            }
            assertThat(values).hasSize(2 * SPACING);
            assertThat(values.get(0)).as("session A's last acknowledged commit").isEqualTo(last);
            assertThat(values.get(SPACING)).as("session B's commit").isEqualTo(4242L);
        }
    }
}
