package org.bess.server.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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
import org.bess.format.LockWordDescriptor;
import org.bess.server.SessionAccess;
import org.bess.server.lock.LockManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared-memory clients over the real socket take the S lock of a page whose frame they have mapped without a request
 * (the shared lock table), and those locks still conflict with other clients' writes, end with their transaction and
 * go when their client vanishes.
 */
@Timeout(120)
class SharedLockFastPathTest {
    @TempDir
    Path dir;

    private TestNode node;
    private Ref ref;

    @BeforeEach
    void start() {
        node = TestNode.start(dir);
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private RemoteSession connect() {
        return (RemoteSession) Bess.connect(dir.resolve("node"), Bess.Mode.SHARED_MEMORY);
    }

    private Database setUp(final Session s) {
        final Database db = s.createDatabase(dir.resolve("fast.root"), 1L << 20);
        final TypeId cell = db.defineType("Cell", 64, new int[0]);
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "cells");
            final ObjectRef o = tx.allocate(f, cell);
            o.putLong(0, 1);
            tx.setRoot(db, "cell", o.ref());
            ref = o.ref();
            tx.commit();
        }
        return db;
    }

    @Test
    void shouldRelockACachedPageWithoutARequestAndStillMakeAnotherClientsWriterWait() throws Exception {
        try (RemoteSession reader = connect();
                RemoteSession writer = connect()) {
            final Database db = setUp(reader);
            assertThat(Files.exists(SessionAccess.cacheFile(node.server()).resolveSibling("locks")))
                    .isTrue();
            final Transaction tx = reader.begin();
            final ObjectRef o = tx.open(ref);
            final long requests = reader.requestCount();
            final long fast = reader.fastPathLocks();
            assertThat(o.getLong(0)).isEqualTo(1); // the UNLOCKED frame of the first transaction: S re-taken
            assertThat(reader.requestCount()).as("requests for the re-lock").isEqualTo(requests);
            assertThat(reader.fastPathLocks()).isEqualTo(fast + 1);

            final Database wdb = writer.openDatabase(db.path());
            final CompletableFuture<Long> write = CompletableFuture.supplyAsync(() -> {
                try (Transaction w = writer.begin()) {
                    final ObjectRef wo = w.open(w.root(wdb, "cell"));
                    wo.putLong(0, 2); // X: waits for the reader
                    w.commit();
                    return 2L;
                }
            });
            TestNode.await("the writer to wait", () -> node.server().lockCounters()[1] == 1);
            Thread.sleep(100);
            assertThat(write).isNotDone();
            assertThat(o.getLong(0)).isEqualTo(1);
            tx.commit();
            assertThat(write.get(20, TimeUnit.SECONDS)).isEqualTo(2);
            try (Transaction t2 = reader.begin()) {
                assertThat(t2.open(ref).getLong(0)).isEqualTo(2);
            }
        }
        TestNode.await("both clients cleaned up", () -> node.endpoint().connectionCount() == 0);
        assertThat(node.server().lockCounters()[0]).isZero();
    }

    @Test
    void shouldMakeAWriterWaitForALockHeldOnlyByTheFastPathUntilItsHolderCommits() throws Exception {
        try (RemoteSession reader = connect();
                RemoteSession writer = connect()) {
            final Database db = reader.createDatabase(dir.resolve("big.root"), 1L << 20);
            final TypeId big = db.defineType("Big", 9000, new int[0]);
            try (Transaction tx = reader.begin()) {
                final ObjectRef o = tx.allocate(tx.createFile(db, "big"), big);
                o.putLong(0, 1);
                o.putLong(8000, 1);
                tx.setRoot(db, "big", o.ref());
                ref = o.ref();
                tx.commit();
            }
            // the page of byte 8000 (not the object's first page), as the engine names it
            final long key;
            final long firstKey;
            try (Session e = node.server().openSession();
                    Transaction t = e.begin()) {
                final ObjectRef eo = t.open(new Ref(e.openDatabase(db.path()), ref.word()));
                final long[] p = SessionAccess.placement(e, eo);
                firstKey = SessionAccess.pageResource(e, (int) p[0], p[1]);
                key = SessionAccess.pageResource(e, (int) p[0], p[1] + (p[2] + 8000) / 4096);
                t.commit();
            }
            assertThat(key).isNotEqualTo(firstKey);
            final LockManager locks = SessionAccess.lockManager(node.server());

            final Transaction tx = reader.begin();
            final ObjectRef o = tx.open(ref);
            final long requests = reader.requestCount();
            assertThat(o.getLong(8000)).isEqualTo(1);
            assertThat(reader.requestCount()).as("requests for the re-lock").isEqualTo(requests);
            assertThat(LockWordDescriptor.count(locks.sharedWord(key), LockWordDescriptor.MODE_S))
                    .as("the reader's S on that page: its fast-path lock only")
                    .isEqualTo(1);
            final long serverHeld = node.server().lockCounters()[0];

            final Database wdb = writer.openDatabase(db.path());
            final CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
                try (Transaction w = writer.begin()) {
                    w.open(w.root(wdb, "big")).putLong(8000, 2);
                    w.commit();
                }
            });
            TestNode.await("the writer to wait", () -> node.server().lockCounters()[1] == 1);
            assertThat(LockWordDescriptor.hasWaiters(locks.sharedWord(key)))
                    .as("W set on that page")
                    .isTrue();
            assertThat(LockWordDescriptor.hasWaiters(locks.sharedWord(firstKey)))
                    .isFalse();
            assertThat(write).isNotDone();
            assertThat(serverHeld)
                    .as("the server's own holders do not include that page")
                    .isPositive();
            tx.commit(); // the server releases the fast-path S with W set and grants the writer
            write.get(20, TimeUnit.SECONDS);
            try (Transaction t = reader.begin()) {
                assertThat(t.open(ref).getLong(8000)).isEqualTo(2);
            }
        }
    }

    @Test
    void shouldReleaseTheFastPathLocksOfAClientThatVanishes() throws Exception {
        final RemoteSession reader = connect();
        final Database db = setUp(reader);
        final Transaction tx = reader.begin();
        tx.open(ref).getLong(0);
        assertThat(reader.fastPathLocks()).isPositive();
        reader.abandon(); // the socket closes as when the process dies
        TestNode.await("the server to clean up", () -> node.endpoint().connectionCount() == 0);
        try (Session s = node.server().openSession()) {
            final Database edb = s.openDatabase(db.path());
            try (Transaction t = s.begin()) {
                t.open(t.root(edb, "cell")).putLong(0, 4);
                t.commit();
            }
        }
        assertThat(node.server().lockCounters()[0]).isZero();
    }
}
