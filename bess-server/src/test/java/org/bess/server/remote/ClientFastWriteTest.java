package org.bess.server.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.Bess;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.remote.RemoteSession;
import org.bess.exceptions.BessException;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LockWordDescriptor;
import org.bess.format.RecoveryBufferDescriptor;
import org.bess.server.BessServer;
import org.bess.server.SessionAccess;
import org.bess.server.lock.LockManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first write to a cached, mapped page by a shared-memory client without a request: X by the lock fast path (the
 * upgrade of the transaction's own fast-path S), the before-image in a client slot of its recovery buffer, the frame
 * made writable by the client. The server adopts the image at the next request: the commit logs the page, an abort
 * restores it; other transactions wait for the X and see it in deadlock searches; the write-back gate never writes the
 * page before the commit; a garbage client slot is refused, never restored.
 */
@Timeout(120)
class ClientFastWriteTest {
    /** Bytes of the objects: the long at {@link #AT} lies on the object's second page (not its segment's page). */
    private static final int SIZE = 9000;

    private static final int AT = 8000;

    @TempDir
    Path dir;

    private BessServer server;
    private SessionEndpoint endpoint;
    private Ref[] refs;

    @BeforeEach
    void start() {
        server = BessServer.start(TestNode.context(dir.resolve("node")));
        endpoint = SessionEndpoint.start(server, TestNode.socket(dir.resolve("node")));
    }

    @AfterEach
    void stop() {
        if (endpoint != null) {
            endpoint.close();
        }
        if (server != null) {
            try {
                server.close();
            } catch (final BessException e) {
                // a test that stopped the log closes a failed engine
            }
        }
    }

    private RemoteSession connect() {
        return (RemoteSession) Bess.connect(dir.resolve("node"), Bess.Mode.SHARED_MEMORY);
    }

    /** Two objects of two pages each, value 1 at {@link #AT}, created by {@code s} (whose frames stay mapped). */
    private Database setUp(final Session s) {
        final Database db = s.createDatabase(dir.resolve("w.root"), 1L << 20);
        final TypeId big = db.defineType("Big", SIZE, new int[0]);
        refs = new Ref[2];
        try (Transaction tx = s.begin()) {
            final var f = tx.createFile(db, "big");
            for (int i = 0; i < refs.length; i++) {
                final ObjectRef o = tx.allocate(f, big);
                o.putLong(0, 1);
                o.putLong(AT, 1);
                tx.setRoot(db, "big" + i, o.ref());
                refs[i] = o.ref();
            }
            tx.commit();
        }
        // a reading transaction maps every page of the objects: the next transactions find them mapped
        try (Transaction tx = s.begin()) {
            for (final Ref r : refs) {
                assertThat(tx.open(r).getLong(AT)).isEqualTo(1);
            }
            tx.commit();
        }
        return db;
    }

    /** The lock resource and the disk position {area file offset} of the page holding byte {@link #AT} of object i. */
    private long[] pageOf(final Database db, final int i) {
        try (Session e = server.openSession();
                Transaction t = e.begin()) {
            final ObjectRef eo = t.open(new Ref(e.openDatabase(db.path()), refs[i].word()));
            final long[] p = SessionAccess.placement(e, eo);
            final long page = p[1] + (p[2] + AT) / 4096;
            final long key = SessionAccess.pageResource(e, (int) p[0], page);
            t.commit();
            return new long[] {key, (page << 12) + (p[2] + AT) % 4096};
        }
    }

    private long readEmbedded(final Database db, final int i) {
        try (Session e = server.openSession();
                Transaction t = e.begin()) {
            final long v = t.open(t.root(e.openDatabase(db.path()), "big" + i)).getLong(AT);
            t.commit();
            return v;
        }
    }

    /** Writes {@code value} at {@link #AT} of object i in the open transaction, asserting that no request went out. */
    private static void writeWithoutRequest(final RemoteSession c, final ObjectRef o, final long value) {
        assertThat(o.getLong(AT)).isPositive(); // the page's S, by the fast path (a re-lock of a mapped frame)
        final long requests = c.requestCount();
        final long fast = c.fastPathWrites();
        o.putLong(AT, value);
        assertThat(c.requestCount()).as("requests for the first write").isEqualTo(requests);
        assertThat(c.fastPathWrites()).as("first writes without a request").isEqualTo(fast + 1);
        o.putLong(AT + 8, value); // the frame is writable now: no fault
        assertThat(c.requestCount()).isEqualTo(requests);
    }

    @Test
    void shouldWriteACachedPageWithoutARequestAndMakeItDurableAtCommit() {
        final Database db;
        final long[] page;
        try (RemoteSession c = connect()) {
            db = setUp(c);
            page = pageOf(db, 0);
            final LockManager locks = SessionAccess.lockManager(server);
            final Transaction tx = c.begin();
            final ObjectRef o = tx.open(refs[0]);
            writeWithoutRequest(c, o, 2);
            final long word = locks.sharedWord(page[0]);
            assertThat(word & (1L << LockWordDescriptor.X_SHIFT))
                    .as("X in the page's shared word: %s", LockWordDescriptor.toString(word))
                    .isNotZero();
            assertThat(locks.isFastPathExclusive(page[0])).isTrue();
            assertThat(c.recoveryBuffer().imagesHeld())
                    .as("the client's own before-image")
                    .isEqualTo(1);
            tx.commit();
            assertThat(locks.isFastPathExclusive(page[0])).isFalse();
            assertThat(c.recoveryBuffer().imagesHeld())
                    .as("slots freed at the commit")
                    .isZero();
        }
        assertThat(readEmbedded(db, 0)).isEqualTo(2);
        endpoint.close();
        endpoint = null;
        server.close();
        server = BessServer.start(TestNode.context(dir.resolve("node"))); // restart: the commit was logged
        assertThat(readEmbedded(db, 0)).isEqualTo(2);
    }

    @Test
    void shouldRestoreTheClientsOwnBeforeImageWhenTheTransactionAborts() {
        try (RemoteSession c = connect()) {
            final Database db = setUp(c);
            final Transaction tx = c.begin();
            final ObjectRef o = tx.open(refs[0]);
            writeWithoutRequest(c, o, 5);
            tx.abort();
            try (Transaction t2 = c.begin()) {
                assertThat(t2.open(refs[0]).getLong(AT)).isEqualTo(1);
                assertThat(t2.open(refs[0]).getLong(AT + 8)).isZero();
            }
            assertThat(readEmbedded(db, 0)).isEqualTo(1);
        }
        assertThat(server.lockCounters()[0]).isZero();
    }

    @Test
    void shouldMakeAnotherTransactionWaitForTheFastPathExclusiveLockUntilTheCommit() throws Exception {
        try (RemoteSession c = connect()) {
            final Database db = setUp(c);
            final Transaction tx = c.begin();
            writeWithoutRequest(c, tx.open(refs[0]), 3);
            final CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> readEmbedded(db, 0));
            TestNode.await("the reader to wait", () -> server.lockCounters()[1] == 1);
            Thread.sleep(100);
            assertThat(reader).isNotDone();
            tx.commit();
            assertThat(reader.get(20, TimeUnit.SECONDS)).isEqualTo(3);
        }
    }

    @Test
    void shouldFindADeadlockBetweenAFastPathExclusiveHolderAndAnotherTransaction() throws Exception {
        try (RemoteSession c = connect()) {
            final Database db = setUp(c);
            final Transaction tx = c.begin();
            final ObjectRef o0 = tx.open(refs[0]);
            final ObjectRef o1 = tx.open(refs[1]);
            writeWithoutRequest(c, o0, 7); // X on object 0's page, by the fast path
            final Session e = server.openSession();
            final Database edb = e.openDatabase(db.path());
            final Transaction et = e.begin();
            et.open(et.root(edb, "big1")).putLong(AT, 70); // X on object 1's page, in the server
            final CompletableFuture<String> other = CompletableFuture.supplyAsync(() -> {
                try {
                    et.open(et.root(edb, "big0")).putLong(AT, 71); // waits for the client's fast-path X
                    et.commit();
                    return "committed";
                } catch (final DeadlockException d) {
                    return "victim";
                } finally {
                    e.close();
                }
            });
            TestNode.await("the other transaction to wait", () -> server.lockCounters()[1] == 1);
            String client;
            try {
                o1.putLong(AT, 8); // waits for the other: a cycle through the fast-path X
                tx.commit();
                client = "committed";
            } catch (final DeadlockException d) {
                client = "victim";
            }
            final String outcome = other.get(20, TimeUnit.SECONDS);
            assertThat(server.lockCounters()[2]).as("deadlocks found").isEqualTo(1);
            assertThat(client + "/" + outcome).isIn("committed/victim", "victim/committed");
        }
        assertThat(server.lockCounters()[0]).isZero();
    }

    @Test
    void shouldNeverWriteBackAPageAClientChangedUnderAFastPathExclusiveLock() throws Exception {
        try (RemoteSession c = connect()) {
            final Database db = setUp(c);
            final long[] page = pageOf(db, 0);
            final Path area = db.areas().get(0).path();
            server.checkpoint();
            assertThat(diskLong(area, page[1]))
                    .as("the page on disk after a checkpoint")
                    .isEqualTo(1);
            // a committed change the cache holds dirty (not on disk yet)
            try (Session e = server.openSession();
                    Transaction t = e.begin()) {
                t.open(t.root(e.openDatabase(db.path()), "big0")).putLong(AT, 2);
                t.commit();
            }
            final Transaction tx = c.begin();
            writeWithoutRequest(c, tx.open(refs[0]), 9);
            final long skipped = SessionAccess.clientExclusiveSkips(server);
            // eviction pressure (two caches' worth of other pages) and a full checkpoint while the change is unlogged
            try (Session e = server.openSession()) {
                final Database edb = e.openDatabase(db.path());
                final TypeId filler = edb.defineType("Filler", 4000, new int[0]);
                try (Transaction t = e.begin()) {
                    final var f = t.createFile(edb, "filler");
                    for (int i = 0; i < 4096; i++) {
                        t.allocate(f, filler).putLong(0, i);
                    }
                    t.commit();
                }
            }
            server.checkpoint();
            assertThat(diskLong(area, page[1]))
                    .as("the page on disk: not written back while the client's change is unlogged")
                    .isEqualTo(1);
            assertThat(SessionAccess.clientExclusiveSkips(server))
                    .as("write-backs skipped for the client's page")
                    .isGreaterThan(skipped);
            tx.commit();
            server.checkpoint();
            assertThat(diskLong(area, page[1]))
                    .as("after the commit and a checkpoint")
                    .isEqualTo(9);
        }
    }

    private static long diskLong(final Path file, final long offset) throws Exception {
        try (FileChannel ch = FileChannel.open(file)) {
            final ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, offset);
            return b.getLong(0);
        }
    }

    @Test
    void shouldRefuseAGarbageClientSlotAndLeaveTheRollbackToRestartRecovery() throws Exception {
        final Database db;
        try (RemoteSession c = connect()) {
            db = setUp(c);
            final Transaction tx = c.begin();
            writeWithoutRequest(c, tx.open(refs[0]), 11);
            // damage the client's own image (its slot is the first client slot)
            final Path file = c.recoveryBuffer().file();
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw");
                    FileChannel ch = f.getChannel()) {
                final MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
                final UnsafeBuffer b = new UnsafeBuffer(m);
                final int slots = b.getInt(RecoveryBufferDescriptor.SLOT_COUNT_OFFSET);
                final int clients = b.getInt(RecoveryBufferDescriptor.CLIENT_SLOT_COUNT_OFFSET);
                final int image = (int) RecoveryBufferDescriptor.imageOffset(slots, clients, slots - clients);
                b.putByte(image + 100, (byte) (b.getByte(image + 100) ^ 0x20));
            }
            assertThatThrownBy(tx::commit)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CORRUPT_PAGE))
                    .hasMessageContaining("client-made before-image is garbage");
        }
        assertThat(endpoint.clientImagesRefused()).isEqualTo(1);
        assertThat(endpoint.lastClientImageRefused())
                .contains("client-made before-image is garbage, refused")
                .contains("image checksum");
        assertThatThrownBy(() -> server.openSession().begin())
                .as("the rollback failed and stopped the log")
                .isInstanceOf(BessException.class);
        endpoint.close();
        endpoint = null;
        try {
            server.close();
        } catch (final BessException e) {
            // a stopped log reports itself again
        }
        server = BessServer.start(TestNode.context(dir.resolve("node")));
        assertThat(readEmbedded(db, 0))
                .as("restart recovery: the committed value, never the garbage image")
                .isEqualTo(1);
    }
}
