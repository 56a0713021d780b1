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
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.bess.client.Bess;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.remote.RemoteSession;
import org.bess.client.remote.Wire;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;
import org.bess.server.SessionAccess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A client resolves references itself from the slots of segments it already asked for in the transaction: one request
 * per segment, none per further open; the server's shared lock on the segment holds for the transaction; freed,
 * reused and bad references still get the server's precise error; objects resolved by the client get a server handle
 * when an operation needs one; and a truncated {@code SEGMENT_SLOTS} frame closes only its connection. A shared-memory
 * client reads the slots of a segment the server cached in place in later transactions, without a request, under the
 * page's S lock taken by the fast path: a writer waits for it, the transaction's end or the client's death releases it
 * and the frame's pin.
 */
@Timeout(120)
class ClientResolutionTest {
    private static final int COUNT = 100;

    @TempDir
    Path dir;

    private TestNode node;

    @BeforeEach
    void start() {
        node = TestNode.start(dir);
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private static List<Ref> objects(final Session s, final Database db) {
        final List<Ref> refs = TestNode.numbered(s, db, "Small", 32, "small", COUNT);
        return refs;
    }

    @ParameterizedTest
    @EnumSource(Bess.Mode.class)
    void shouldOpenTheObjectsOfASegmentWithOneRequest(final Bess.Mode mode) {
        final Session s = node.connect(mode);
        final Database db = s.createDatabase(dir.resolve("one.root"), 1L << 20);
        final List<Ref> refs = objects(s, db);
        assertThat(refs.stream().map(r -> RefDescriptor.segmentPage(r.word())).distinct())
                .as("the objects share one slotted segment")
                .hasSize(1);
        try (Transaction tx = s.begin()) {
            final List<ObjectRef> opened = new ArrayList<>();
            opened.add(tx.open(refs.get(0)));
            final long before = node.endpoint().requestsServed();
            for (int i = 1; i < COUNT; i++) {
                opened.add(tx.open(refs.get(i)));
            }
            assertThat(node.endpoint().requestsServed())
                    .as("no request for the other objects of the segment")
                    .isEqualTo(before);
            long sum = 0;
            for (final ObjectRef o : opened) {
                sum += o.getLong(0);
            }
            assertThat(sum).isEqualTo((long) COUNT * (COUNT - 1) / 2);
            assertThat(opened.get(3).size()).isEqualTo(32);
            assertThat(opened.get(3).type().name()).isEqualTo("Small");
            tx.commit();
        }
    }

    @ParameterizedTest
    @EnumSource(Bess.Mode.class)
    void shouldGiveTheServersErrorsAndHandlesForObjectsTheClientResolved(final Bess.Mode mode) {
        final Session s = node.connect(mode);
        final Database db = s.createDatabase(dir.resolve("errors.root"), 1L << 20);
        final List<Ref> refs = objects(s, db);
        try (Transaction tx = s.begin()) {
            tx.open(refs.get(0));
            // resolved by the client, then freed and resized: the server handle is fetched when needed
            tx.free(tx.open(refs.get(5)));
            final ObjectRef grown = tx.open(refs.get(6));
            tx.resize(grown, 200);
            grown.putLong(192, 77);
            assertThat(grown.getLong(0)).isEqualTo(6);
            tx.commit();
        }
        try (Transaction tx = s.begin()) {
            tx.open(refs.get(0));
            assertThatThrownBy(() -> tx.open(refs.get(5)))
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE))
                    .hasMessageContaining("freed");
            final long w = refs.get(7).word();
            final Ref reused = new Ref(
                    db,
                    RefDescriptor.pack(
                            RefDescriptor.segmentPage(w), RefDescriptor.slotIndex(w), RefDescriptor.generation(w) + 1));
            assertThatThrownBy(() -> tx.open(reused)).isInstanceOf(BessException.class);
            assertThatThrownBy(() -> tx.open(new Ref(db, RefDescriptor.pack(1_000_000, 0, 0))))
                    .isInstanceOf(BessException.class);
            final ObjectRef o = tx.open(refs.get(6));
            assertThat(o.size()).isEqualTo(200);
            assertThat(o.getLong(192)).isEqualTo(77);
            tx.commit();
        }
    }

    @ParameterizedTest
    @EnumSource(Bess.Mode.class)
    void shouldHoldTheSegmentsSharedLockUntilTheTransactionEnds(final Bess.Mode mode) throws Exception {
        final Session a = node.connect(mode);
        final Database db = a.createDatabase(dir.resolve("lock.root"), 1L << 20);
        final List<Ref> refs = objects(a, db);
        final Session b = node.connect(mode);
        final Database dbB = b.openDatabase(dir.resolve("lock.root"));
        final Transaction reading = a.begin();
        assertThat(reading.open(refs.get(1)).getLong(0)).isEqualTo(1);
        final Future<?> freeing = node.pool().submit(() -> {
            try (Transaction tx = b.begin()) {
                tx.free(tx.open(new Ref(dbB, refs.get(2).word())));
                tx.commit();
            }
            return null;
        });
        assertThatThrownBy(() -> freeing.get(300, TimeUnit.MILLISECONDS))
                .as("the free waits for the reader's shared lock on the segment")
                .isInstanceOf(TimeoutException.class);
        assertThat(reading.open(refs.get(2)).getLong(0)).isEqualTo(2);
        reading.commit();
        reading.close();
        freeing.get(20, TimeUnit.SECONDS);
        try (Transaction tx = a.begin()) {
            assertThatThrownBy(() -> tx.open(refs.get(2))).isInstanceOf(BessException.class);
            assertThat(tx.open(refs.get(3)).getLong(0)).isEqualTo(3);
        }
    }

    /** Opens and reads every object in transactions of its own, so that the segment and data pages are shared. */
    private static void warm(final Session s, final List<Ref> refs) {
        for (int round = 0; round < 2; round++) {
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < refs.size(); i++) {
                    assertThat(tx.open(refs.get(i)).getLong(0)).isEqualTo(i);
                }
                tx.commit();
            }
        }
    }

    @Test
    void shouldReadTheSlotsInPlaceWithoutARequestInLaterTransactions() {
        final RemoteSession s = (RemoteSession) node.connect(Bess.Mode.SHARED_MEMORY);
        final Database db = s.createDatabase(dir.resolve("local.root"), 1L << 20);
        final List<Ref> refs = objects(s, db);
        warm(s, refs);
        try (Transaction tx = s.begin()) {
            final long requests = s.requestCount();
            final long local = s.localSlotSnapshots();
            long sum = 0;
            for (final Ref r : refs) {
                sum += tx.open(r).getLong(0);
            }
            assertThat(sum).isEqualTo((long) COUNT * (COUNT - 1) / 2);
            assertThat(s.requestCount())
                    .as("no request: the slots read in place, the pages locked by the fast path")
                    .isEqualTo(requests);
            assertThat(s.localSlotSnapshots()).isEqualTo(local + 1);
            assertThat(s.slotFramesPinned()).isEqualTo(1);
            tx.commit();
        }
        assertThat(s.slotFramesPinned()).as("the pin goes with the transaction").isZero();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void shouldMakeAWriterWaitForSlotsReadInPlaceUntilTheReaderEnds(final boolean commit) throws Exception {
        final RemoteSession reader = (RemoteSession) node.connect(Bess.Mode.SHARED_MEMORY);
        final Database db = reader.createDatabase(dir.resolve("wait.root"), 1L << 20);
        final List<Ref> refs = objects(reader, db);
        warm(reader, refs);
        final Transaction reading = reader.begin();
        final long requests = reader.requestCount();
        final long local = reader.localSlotSnapshots();
        assertThat(reading.open(refs.get(1)).getLong(0)).isEqualTo(1);
        assertThat(reader.requestCount()).isEqualTo(requests);
        assertThat(reader.localSlotSnapshots()).as("read in place").isEqualTo(local + 1);
        final Future<?> freeing = node.pool().submit(() -> freeInEmbeddedSession(db.path(), refs.get(2)));
        assertThatThrownBy(() -> freeing.get(300, TimeUnit.MILLISECONDS))
                .as("the free waits for the reader's fast-path S lock on the segment")
                .isInstanceOf(TimeoutException.class);
        assertThat(reading.open(refs.get(2)).getLong(0))
                .as("the slot is unchanged for the reader")
                .isEqualTo(2);
        if (commit) {
            reading.commit();
        } else {
            reading.abort();
        }
        freeing.get(20, TimeUnit.SECONDS);
        assertThat(reader.slotFramesPinned()).isZero();
        try (Transaction tx = reader.begin()) {
            assertThatThrownBy(() -> tx.open(refs.get(2)))
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE));
            assertThat(tx.open(refs.get(3)).getLong(0)).isEqualTo(3);
            tx.commit();
        }
    }

    @Test
    void shouldReleaseTheSlotLockAndPinOfAClientThatVanishes() throws Exception {
        final RemoteSession reader = (RemoteSession) node.connect(Bess.Mode.SHARED_MEMORY);
        final Database db = reader.createDatabase(dir.resolve("gone.root"), 1L << 20);
        final List<Ref> refs = objects(reader, db);
        warm(reader, refs);
        final Transaction reading = reader.begin();
        final long local = reader.localSlotSnapshots();
        assertThat(reading.open(refs.get(1)).getLong(0)).isEqualTo(1);
        assertThat(reader.localSlotSnapshots()).isEqualTo(local + 1);
        assertThat(reader.slotFramesPinned()).isEqualTo(1);
        assertThat(SessionAccess.clientHitMaps(node.server())).isPositive();
        final Future<?> freeing = node.pool().submit(() -> freeInEmbeddedSession(db.path(), refs.get(2)));
        assertThatThrownBy(() -> freeing.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        reader.abandon(); // the socket closes as when the process dies
        freeing.get(20, TimeUnit.SECONDS);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (node.endpoint().connectionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(node.endpoint().connectionCount()).isZero();
        assertThat(SessionAccess.clientHitMaps(node.server()))
                .as("the marks of the vanished client, the segment's frame pin included")
                .isZero();
        assertThat(node.server().lockCounters()[0]).isZero();
    }

    private Object freeInEmbeddedSession(final Path root, final Ref ref) {
        try (Session e = node.server().openSession()) {
            final Database edb = e.openDatabase(root);
            try (Transaction tx = e.begin()) {
                tx.free(tx.open(new Ref(edb, ref.word())));
                tx.commit();
            }
        }
        return null;
    }

    @Test
    void shouldCloseOnlyTheConnectionThatSentATruncatedSegmentSlotsFrame() throws Exception {
        final Session good = node.connect(Bess.Mode.SHARED_MEMORY);
        final Database db = good.createDatabase(dir.resolve("bad.root"), 1L << 20);
        final List<Ref> refs = objects(good, db);
        try (SocketChannel bad = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            bad.connect(UnixDomainSocketAddress.of(node.endpoint().socket()));
            // a SEGMENT_SLOTS request whose payload stops after the database handle
            final ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(16).putLong(1).putInt(Wire.SEGMENT_SLOTS).putInt(0).flip();
            bad.write(b);
            assertThat(TestNode.closedByServer(bad)).isTrue();
        }
        try (Transaction tx = good.begin()) {
            assertThat(tx.open(refs.get(4)).getLong(0)).isEqualTo(4);
        }
    }
}
