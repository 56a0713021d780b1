package org.bess.server.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.remote.RemoteSession;
import org.bess.client.remote.Wire;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.lock.LockContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Heartbeats, expiry of hung clients, per-client quotas, client listings and the session protocol's new frames fed
 * garbage, with client sessions in this JVM over the real socket (the process-level versions, with SIGSTOPped client
 * JVMs and a real daemon, are in the tests module's {@code DaemonClientsIT}).
 */
@Timeout(120)
class ClientLivenessTest {
    @TempDir
    Path dir;

    private TestNode node;

    private void start(final SessionSettings settings) {
        final Context context = TestNode.context(dir.resolve("node"))
                .frameBudget(64)
                .lockContext(new LockContext().lockTimeoutNs(TimeUnit.SECONDS.toNanos(30)));
        node = TestNode.start(
                context,
                server -> SessionEndpoint.start(
                        server,
                        TestNode.socket(context.nodeDir()),
                        peer -> peer.user().getName().equals(System.getProperty("user.name")),
                        settings));
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    /** A database with one counter object under the root "counter". */
    private Ref counter(final Session s, final Path root) {
        final Database db = s.createDatabase(root, 1L << 20);
        final TypeId t = db.defineType("Counter", 16, new int[0]);
        try (Transaction tx = s.begin()) {
            final ObjectRef o = tx.allocate(tx.createFile(db, "c"), t);
            o.putLong(0, 1);
            tx.setRoot(db, "counter", o.ref());
            tx.commit();
            return o.ref();
        }
    }

    @Test
    void shouldKeepAnIdleClientWithHeartbeatsPastTheExpiryTimeout() throws Exception {
        start(new SessionSettings().heartbeat(20, 200));
        final Session s = node.connect(Bess.Mode.SHARED_MEMORY);
        assertThat(((RemoteSession) s).heartbeatMs()).isEqualTo(20);
        assertThat(((RemoteSession) s).expiryMs()).isEqualTo(200);
        final Ref ref = counter(s, dir.resolve("idle.root"));
        Thread.sleep(1000); // five expiry timeouts of silence but for the heartbeats
        try (Transaction tx = s.begin()) {
            assertThat(tx.open(ref).getLong(0)).isEqualTo(1);
        }
        assertThat(node.endpoint().expiredCount()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Bess.Mode.class)
    void shouldExpireAHungClientReleaseItsLocksAndTellItWhenItComesBack(final Bess.Mode mode) throws Exception {
        start(new SessionSettings().heartbeat(20, 300));
        final Session hung = node.connect(mode);
        final Session other = node.connect(Bess.Mode.SHARED_MEMORY);
        final Path root = dir.resolve("hung.root");
        final Ref ref = counter(hung, root);
        final Database otherDb = other.openDatabase(root);
        final Transaction tx = hung.begin();
        tx.open(ref).putLong(0, 666); // X lock, before-image, written in place or in a private frame
        ((RemoteSession) hung).stopHeartbeats();
        final Future<Long> waiter = node.pool().submit(() -> {
            try (Transaction t = other.begin()) {
                final ObjectRef o = t.open(new Ref(otherDb, ref.word()));
                o.putLong(0, o.getLong(0) + 1); // waits for the hung client's X lock
                final long v = o.getLong(0);
                t.commit();
                return v;
            }
        });
        assertThat(waiter.get(20, TimeUnit.SECONDS))
                .as("the other client's lock wait ends once the hung one expires; its write is rolled back")
                .isEqualTo(2);
        assertThat(node.endpoint().expiredCount()).isEqualTo(1);
        // the next request says so (opening an object opened before in the transaction needs none)
        assertThatThrownBy(tx::commit)
                .isInstanceOf(BessException.class)
                .hasMessageContaining("server lost")
                .hasMessageContaining("session expired")
                .extracting(e -> ((BessException) e).errorCode())
                .isEqualTo(ErrorCode.SERVER_LOST);
        assertThat(tx.isActive()).isFalse();
        assertThatThrownBy(hung::databases).hasMessageContaining("session expired");
        assertThat(node.server().lockCounters()[0]).as("locks held").isZero();
        TestNode.await(
                "the hung client's connection to go", 30, () -> node.endpoint().connectionCount() == 1);
    }

    @Test
    void shouldListClientsWithTheirModeTransactionsAndLocksAndDisconnectOneById() throws Exception {
        start(new SessionSettings());
        final Session a = node.connect(Bess.Mode.SHARED_MEMORY);
        final Session b = node.connect(Bess.Mode.COPY_ON_ACCESS);
        final Ref ref = counter(a, dir.resolve("list.root"));
        final Transaction tx = a.begin();
        tx.open(ref).putLong(0, 9);
        final long aId = ((RemoteSession) a).connectionId();
        final long bId = ((RemoteSession) b).connectionId();
        final List<SessionEndpoint.ClientView> clients = node.endpoint().clients();
        assertThat(clients).hasSize(2);
        final SessionEndpoint.ClientView va =
                clients.stream().filter(c -> c.id() == aId).findFirst().orElseThrow();
        final SessionEndpoint.ClientView vb =
                clients.stream().filter(c -> c.id() == bId).findFirst().orElseThrow();
        assertThat(va.mode()).isZero();
        assertThat(va.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(va.transactions()).isEqualTo(1);
        assertThat(va.locks()).as("database, file and page locks").isGreaterThanOrEqualTo(1);
        assertThat(vb.mode()).isEqualTo(1);
        assertThat(vb.transactions()).isZero();
        assertThat(vb.locks()).isZero();
        assertThat(node.endpoint().disconnect(aId)).isTrue();
        assertThat(node.endpoint().disconnect(12345)).isFalse();
        TestNode.await(
                "the disconnected client's locks to go", 30, () -> node.server().lockCounters()[0] == 0);
        assertThatThrownBy(tx::commit).hasMessageContaining("server lost");
        final Database bDb = b.openDatabase(dir.resolve("list.root"));
        try (Transaction t = b.begin()) {
            assertThat(t.open(new Ref(bDb, ref.word())).getLong(0))
                    .as("the disconnected client's write was rolled back")
                    .isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Bess.Mode.class)
    void shouldRefuseAFrameOverTheQuotaWithQuotaAndKeepServingThatClientAndOthers(final Bess.Mode mode) {
        start(new SessionSettings().maxFrameBytes(64 << 10));
        final Session big = node.connect(mode);
        final Session small = node.connect(Bess.Mode.SHARED_MEMORY);
        final Database db = big.createDatabase(dir.resolve("frame.root"), 1L << 20);
        try (Transaction tx = big.begin()) {
            final BessFile f = tx.createFile(db, "lo");
            final LargeObject lo = tx.createLarge(f);
            lo.append(new byte[1000], 0, 1000);
            assertThatThrownBy(() -> lo.append(new byte[100 << 10], 0, 100 << 10))
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("frame quota")
                    .extracting(e -> ((BessException) e).errorCode())
                    .isEqualTo(ErrorCode.QUOTA);
            assertThat(lo.length()).as("the same client goes on").isEqualTo(1000);
            tx.commit();
        }
        assertThat(small.openDatabase(dir.resolve("frame.root")).files()).hasSize(1);
    }

    @Test
    void shouldRefuseATransactionOverTheProcessQuotaAndLetItBeginOnceOneEnds() {
        start(new SessionSettings().maxTransactionsPerProcess(1));
        final Session first = node.connect(Bess.Mode.SHARED_MEMORY);
        final Session second = node.connect(Bess.Mode.COPY_ON_ACCESS);
        final Transaction tx = first.begin();
        assertThatThrownBy(second::begin)
                .isInstanceOf(BessException.class)
                .hasMessageContaining("transaction quota")
                .extracting(e -> ((BessException) e).errorCode())
                .isEqualTo(ErrorCode.QUOTA);
        tx.commit();
        try (Transaction t = second.begin()) {
            assertThat(t.isActive()).isTrue();
        }
        // a session that vanishes with its transaction open gives its count back too
        final Transaction abandoned = first.begin();
        assertThat(abandoned.isActive()).isTrue();
        ((RemoteSession) first).abandon();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Transaction t = second.begin()) {
                assertThat(t.isActive()).isTrue();
                break;
            } catch (final BessException e) {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.QUOTA);
                assertThat(System.nanoTime())
                        .as("the abandoned session's count goes")
                        .isLessThan(deadline);
                try {
                    Thread.sleep(20);
                } catch (final InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(ie);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Bess.Mode.class)
    void shouldRefuseTheFirstWriteOverTheWrittenPageQuotaAndLeaveOtherClientsWorking(final Bess.Mode mode) {
        start(new SessionSettings().maxWrittenPages(3));
        final Session greedy = node.connect(mode);
        final Session modest = node.connect(Bess.Mode.SHARED_MEMORY);
        final Path root = dir.resolve("pages.root");
        final Database db = greedy.createDatabase(root, 1L << 20);
        final TypeId big = db.defineType("Big", 3000, new int[0]);
        final List<Ref> refs = new ArrayList<>();
        try (Transaction tx = greedy.begin()) {
            final BessFile f = tx.createFile(db, "big");
            for (int i = 0; i < 8; i++) {
                refs.add(tx.allocate(f, big).ref()); // one object a page
            }
            tx.commit();
        }
        try (Transaction tx = greedy.begin()) {
            assertThatThrownBy(() -> {
                        for (final Ref r : refs) {
                            tx.open(r).putLong(0, 7);
                        }
                    })
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("recovery-buffer quota")
                    .extracting(e -> ((BessException) e).errorCode())
                    .isEqualTo(ErrorCode.QUOTA);
            tx.abort();
        }
        final Database other = modest.openDatabase(root);
        try (Transaction tx = modest.begin()) {
            final ObjectRef o = tx.open(new Ref(other, refs.get(7).word()));
            o.putLong(0, 8);
            tx.commit();
        }
        try (Transaction tx = greedy.begin()) {
            tx.open(refs.get(0)).putLong(0, 1); // the quota is per transaction: a new one may write again
            tx.commit();
        }
    }

    /**
     * TESTING.md row 14, a slow frame: bytes that keep arriving do not keep a connection alive while its frame never
     * completes. Only a whole header counts as being heard from, so a peer that dribbles a frame one byte at a time
     * (here every 50 ms, six times within the 300 ms expiry) is cut off after the expiry timeout like a silent one,
     * its connection thread ends, and the other clients keep working.
     */
    @Test
    void shouldCloseAConnectionThatDribblesAFrameOnceTheExpiryTimeoutPasses() throws Exception {
        start(new SessionSettings().heartbeat(20, 300));
        final Session good = node.connect(Bess.Mode.SHARED_MEMORY);
        final Ref ref = counter(good, dir.resolve("slow.root"));
        final long expiredBefore = node.endpoint().expiredCount();
        try (SocketChannel slow = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            slow.connect(UnixDomainSocketAddress.of(node.endpoint().socket()));
            final ByteBuffer head = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            head.putInt(4096).flip();
            slow.write(head);
            final long start = System.nanoTime();
            boolean cut = false;
            for (int i = 0; i < 200 && !cut; i++) { // 200 bytes of a 4,096-byte frame: it never completes
                Thread.sleep(50);
                try {
                    slow.write(ByteBuffer.wrap(new byte[] {(byte) i}));
                } catch (final java.io.IOException e) {
                    cut = true; // the server closed it: the write fails (EPIPE)
                }
            }
            assertThat(cut || TestNode.closedByServer(slow))
                    .as("a dribbled frame is cut off")
                    .isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                    .as("cut off after the 300 ms expiry, well before the 10 s of dribbling ends")
                    .isBetween(250L, 5_000L);
        }
        assertThat(node.endpoint().expiredCount()).isEqualTo(expiredBefore + 1);
        TestNode.await("the slow connection to go", 30, () -> node.endpoint().connectionCount() == 1);
        try (Transaction tx = good.begin()) {
            final ObjectRef o = tx.open(ref);
            o.putLong(0, o.getLong(0) + 1);
            tx.commit();
        }
        try (Transaction tx = good.begin()) {
            assertThat(tx.open(ref).getLong(0)).isEqualTo(2);
        }
    }

    @Test
    void shouldSurviveGarbageHelloHeartbeatAndFaultFrames() throws Exception {
        start(new SessionSettings().heartbeat(20, 2000));
        final Session good = node.connect(Bess.Mode.SHARED_MEMORY);
        final Ref ref = counter(good, dir.resolve("garbage.root"));
        // a HELLO that lies about its uid is refused and closed
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(node.endpoint().socket()));
            final Wire w = new Wire();
            w.reset()
                    .putLong(1)
                    .putInt(Wire.HELLO)
                    .putInt(0)
                    .putInt(Wire.VERSION)
                    .putLong(1)
                    .putInt(4242);
            w.putInt(4242);
            write(ch, w.frame());
            final ByteBuffer reply = readReply(ch);
            assertThat(reply.getLong(0)).isEqualTo(1);
            assertThat(reply.getInt(8)).isEqualTo(ErrorCode.NOT_AUTHORISED.code());
            assertThat(TestNode.closedByServer(ch)).isTrue();
        }
        final int[] ops = {
            Wire.HELLO,
            Wire.HEARTBEAT,
            67,
            68,
            69,
            71,
            Wire.ACQUIRE_FRAME,
            Wire.LOCK_FOR_READ,
            Wire.RELEASE_FRAME,
            Wire.BEFORE_FIRST_WRITE,
            Wire.FETCH_PAGE,
            Wire.SHIP_PAGES,
            Wire.BEGIN,
            Wire.ABORT
        };
        final Random random = new Random(6);
        for (int round = 0; round < 150; round++) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(node.endpoint().socket()));
                for (int f = 0; f < 4; f++) {
                    final byte[] payload = new byte[random.nextInt(40)];
                    random.nextBytes(payload);
                    final ByteBuffer b =
                            ByteBuffer.allocate(16 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
                    b.putInt(12 + payload.length).putLong(round * 10L + f).putInt(ops[random.nextInt(ops.length)]);
                    b.put(payload).flip();
                    try {
                        write(ch, b);
                    } catch (final java.io.IOException e) {
                        break; // the server closed it: fine
                    }
                }
            }
        }
        TestNode.await(
                "every garbage connection to end", 30, () -> node.endpoint().connectionCount() == 1);
        try (Transaction tx = good.begin()) {
            final ObjectRef o = tx.open(ref);
            o.putLong(0, o.getLong(0) + 1);
            tx.commit();
        }
        assertThat(node.server().lockCounters()[0]).isZero();
        assertThat(SessionAccessProbe.mappedFrames(node.server()))
                .as("frames the garbage clients got mapped are released")
                .isEqualTo(node.endpoint().clientMappedFrames());
    }

    private static void write(final SocketChannel ch, final ByteBuffer b) throws java.io.IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static ByteBuffer readReply(final SocketChannel ch) throws java.io.IOException {
        final ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        while (len.hasRemaining()) {
            if (ch.read(len) < 0) {
                throw new java.io.EOFException("no reply");
            }
        }
        final ByteBuffer b = ByteBuffer.allocate(len.getInt(0)).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new java.io.EOFException("short reply");
            }
        }
        return b.flip();
    }

    /** The engine's count of mapped cache frames. */
    private static final class SessionAccessProbe {
        static long mappedFrames(final BessServer server) {
            return org.bess.server.SessionAccess.mappedFrames(server);
        }
    }
}
