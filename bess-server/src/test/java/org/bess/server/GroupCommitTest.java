package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.io.PageStore;
import org.bess.server.io.StorageIo;
import org.bess.server.log.LogDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit through the engine, on real files: the log's {@code fdatasync} is held at a gate, so that committers
 * provably arrive while a flush is in flight. Committers that arrive during a flush are all served by the next one; a
 * commit is acknowledged, and its locks released, only after its force returned; a failed group force fails every
 * committer of the group.
 */
@Timeout(120)
class GroupCommitTest {
    /** Objects of 100 bytes allocated per object used: each used object is alone on its page among these. */
    private static final int SPACING = 64;

    private static final int COMMITTERS = 4;

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final GatedIo io = new GatedIo();
    private BessServer server;
    private Database db;
    private final List<Ref> refs = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        io.open();
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        if (server != null) {
            server.close();
        }
    }

    /** The real storage, with every log force first waiting at a gate while the gate is closed. */
    private static final class GatedIo implements StorageIo {
        private volatile CountDownLatch gate = new CountDownLatch(0);
        private volatile CountDownLatch entered = new CountDownLatch(0);
        private volatile boolean failNext;

        /** Closes the gate: the next forces wait at it; returns a latch counted down by the first force to arrive. */
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
            return StorageIo.REAL.createArea(path, pageCount);
        }

        @Override
        public PageStore openArea(final Path path) {
            return StorageIo.REAL.openArea(path);
        }

        @Override
        public LogDevice openLog(final Path logDir) {
            final LogDevice real = StorageIo.REAL.openLog(logDir);
            return new LogDevice() {
                @Override
                public List<Long> segments() {
                    return real.segments();
                }

                @Override
                public void create(final long index, final ByteBuffer header) {
                    real.create(index, header);
                }

                @Override
                public int read(final long index, final long offset, final ByteBuffer dst) {
                    return real.read(index, offset, dst);
                }

                @Override
                public void write(final long index, final long offset, final ByteBuffer src) {
                    real.write(index, offset, src);
                }

                @Override
                public void force(final long index) {
                    entered.countDown();
                    try {
                        if (!gate.await(60, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("the test never opened the log force gate");
                        }
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                    if (failNext) {
                        failNext = false;
                        throw new BessException(ErrorCode.IO, "fdatasync failed: EIO (injected), log segment " + index);
                    }
                    real.force(index);
                }

                @Override
                public void truncate(final long index, final long length) {
                    real.truncate(index, length);
                }

                @Override
                public void delete(final long index) {
                    real.delete(index);
                }

                @Override
                public long size(final long index) {
                    return real.size(index);
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        }
    }

    /** Starts the engine and commits {@code COMMITTERS + 1} objects, each alone among objects nobody changes. */
    private void start() {
        server = BessServer.start(new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(16L << 20)
                .storageIo(io));
        try (Session loader = server.openSession()) {
            db = loader.createDatabase(dir.resolve("db.root"), 1L << 20);
            final TypeId type = db.defineType("Counter", 100, new int[0]);
            try (Transaction tx = loader.begin()) {
                final BessFile file = tx.createFile(db, "counters");
                for (int i = 0; i < (COMMITTERS + 1) * SPACING; i++) {
                    final ObjectRef o = tx.allocate(file, type);
                    if (i % SPACING == 0) {
                        refs.add(o.ref());
                    }
                }
                tx.commit();
            }
        }
    }

    /** A committer on its own session: sets object {@code index} to {@code value} and commits. */
    private Future<Long> commitAsync(final int index, final long value) {
        return pool.submit(() -> {
            try (Session s = server.openSession();
                    Transaction tx = s.begin()) {
                tx.open(refs.get(index)).putLong(0, value);
                tx.commit();
                return value;
            }
        });
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        long sleepMs = 1;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(sleepMs);
            sleepMs = Math.min(sleepMs * 2, 50);
        }
    }

    @Test
    void shouldServeEveryCommitterThatArrivesDuringAFlushWithOneMoreForce() throws Exception {
        start();
        final EngineCounters before = EngineCounters.of(server);
        final CountDownLatch leaderInForce = io.close();
        final Future<Long> leader = commitAsync(0, 100);
        assertThat(leaderInForce.await(30, TimeUnit.SECONDS)).isTrue();
        final List<Future<Long>> followers = new ArrayList<>();
        for (int i = 1; i < COMMITTERS; i++) {
            followers.add(commitAsync(i, 100 + i));
        }
        // every follower has logged its COMMIT behind the flush in flight
        await("all commits are appended", () -> EngineCounters.of(server).commits() - before.commits() == COMMITTERS);
        assertThat(leader).isNotDone();
        assertThat(followers).noneMatch(Future::isDone);

        io.open();
        assertThat(leader.get(30, TimeUnit.SECONDS)).isEqualTo(100);
        for (int i = 0; i < followers.size(); i++) {
            assertThat(followers.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(101 + i);
        }
        // the leader's force, then one force for all the committers that arrived during it
        assertThat(EngineCounters.of(server).forces() - before.forces()).isEqualTo(2);
    }

    @Test
    void shouldHoldTheAcknowledgementAndTheLocksUntilTheForceReturnsWhileOtherSessionsRun() throws Exception {
        start();
        final CountDownLatch inForce = io.close();
        final Future<Long> committer = commitAsync(0, 7);
        assertThat(inForce.await(30, TimeUnit.SECONDS)).isTrue();
        // the engine is free meanwhile: another session reads another page and commits (read-only: no force)
        try (Session other = server.openSession();
                Transaction tx = other.begin()) {
            assertThat(tx.open(refs.get(1)).getLong(0)).isZero();
            tx.commit();
        }
        // but the committed page stays locked until the commit is durable
        final Future<Long> reader = pool.submit(() -> {
            try (Session s = server.openSession();
                    Transaction tx = s.begin()) {
                final long v = tx.open(refs.get(0)).getLong(0);
                tx.commit();
                return v;
            }
        });
        await("the reader waits for the page lock", () -> server.locks().waiterCount() > 0);
        assertThat(committer).isNotDone();
        assertThat(reader).isNotDone();

        io.open();
        assertThat(committer.get(30, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(reader.get(30, TimeUnit.SECONDS)).isEqualTo(7);
    }

    @Test
    void shouldFailEveryCommitterOfAGroupWhoseForceFailed() throws Exception {
        start();
        final CountDownLatch leaderInForce = io.close();
        final Future<Long> leader = commitAsync(0, 1);
        assertThat(leaderInForce.await(30, TimeUnit.SECONDS)).isTrue();
        final EngineCounters appended = EngineCounters.of(server);
        final List<Future<Long>> followers = new ArrayList<>();
        for (int i = 1; i < COMMITTERS; i++) {
            followers.add(commitAsync(i, 1 + i));
        }
        await(
                "all commits are appended",
                () -> EngineCounters.of(server).commits() - appended.commits() == COMMITTERS - 1);
        io.failNext = true;
        io.open();
        final List<Future<Long>> all = new ArrayList<>(followers);
        all.add(leader);
        for (final Future<Long> f : all) {
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("EIO");
        }
        assertThat(server.log().failed()).isTrue();
    }
}
