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
import java.util.concurrent.TimeUnit;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.remote.RemoteSession;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.LockTimeoutException;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.SessionAccess;
import org.bess.server.check.DatabaseChecker;
import org.bess.server.lock.LockContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine's functional scenarios run the three ways a session reaches the engine: embedded, shared-memory and
 * copy-on-access (the client modes through a {@link SessionEndpoint} in this JVM, over the real socket, with their own
 * virtual frames). Also: cleanup after a client that vanishes mid-transaction, lock errors rethrown with their class,
 * a malformed frame closing only its connection, and a lost server.
 */
@Timeout(120)
class ClientModesTest {
    /** How a test session reaches the engine. */
    enum Way {
        EMBEDDED,
        SHARED_MEMORY,
        COPY_ON_ACCESS
    }

    @TempDir
    Path dir;

    private TestNode node;

    @BeforeEach
    void start() {
        node = TestNode.start(TestNode.context(dir.resolve("node"))
                .frameBudget(64)
                .lockContext(new LockContext().lockTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300))));
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private Session open(final Way way) {
        return switch (way) {
            case EMBEDDED -> node.embedded();
            case SHARED_MEMORY -> node.connect(Bess.Mode.SHARED_MEMORY);
            case COPY_ON_ACCESS -> node.connect(Bess.Mode.COPY_ON_ACCESS);
        };
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void shouldAllocateWriteReadResizeAndFreeObjects(final Way way) {
        final Session s = open(way);
        final Database db = s.createDatabase(dir.resolve("objects.root"), 1L << 20);
        final TypeId node = db.defineType("Node", 48, new int[] {8});
        final List<Ref> refs = new ArrayList<>();
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "nodes");
            ObjectRef prev = null;
            for (int i = 0; i < 300; i++) {
                final ObjectRef o = tx.allocate(f, node);
                o.putLong(0, i);
                o.putDouble(16, i * 0.5);
                o.putInt(24, -i);
                if (prev != null) {
                    o.putRef(8, prev.ref());
                }
                prev = o;
                refs.add(o.ref());
            }
            tx.setRoot(db, "last", prev.ref());
            tx.commit();
        }
        try (Transaction tx = s.begin()) {
            Ref r = tx.root(db, "last");
            int count = 0;
            long sum = 0;
            while (r != null) {
                final ObjectRef o = tx.open(r);
                assertThat(o.type()).isEqualTo(node);
                assertThat(o.size()).isEqualTo(48);
                assertThat(o.getDouble(16)).isEqualTo(o.getLong(0) * 0.5);
                assertThat(o.getInt(24)).isEqualTo((int) -o.getLong(0));
                sum += o.getLong(0);
                count++;
                r = o.getRef(8);
            }
            assertThat(count).isEqualTo(300);
            assertThat(sum).isEqualTo(299L * 300 / 2);
            final ObjectRef grown = tx.open(refs.get(10));
            tx.resize(grown, 5000);
            assertThat(grown.size()).isEqualTo(5000);
            assertThat(grown.getLong(0)).isEqualTo(10);
            final byte[] bytes = new byte[4000];
            new Random(1).nextBytes(bytes);
            grown.putBytes(900, bytes, 0, bytes.length);
            tx.free(tx.open(refs.get(20)));
            tx.commit();
        }
        try (Transaction tx = s.begin()) {
            final ObjectRef grown = tx.open(refs.get(10));
            final byte[] back = new byte[4000];
            grown.getBytes(900, back, 0, back.length);
            final byte[] bytes = new byte[4000];
            new Random(1).nextBytes(bytes);
            assertThat(back).isEqualTo(bytes);
            assertThatThrownBy(() -> tx.open(refs.get(20)))
                    .isInstanceOf(BessException.class)
                    .extracting(e -> ((BessException) e).errorCode())
                    .isEqualTo(ErrorCode.INVALID_REFERENCE);
            assertThat(tx.open(refs.get(21)).getLong(0)).isEqualTo(21);
        }
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void shouldRollBackOnAbortAndOnCloseWithoutCommit(final Way way) {
        final Session s = open(way);
        final Database db = s.createDatabase(dir.resolve("abort.root"), 1L << 20);
        final List<Ref> refs = TestNode.numbered(s, db, "Rec", 600, "recs", 100);
        try (Transaction tx = s.begin()) {
            for (final Ref r : refs) {
                tx.open(r).putLong(0, -1);
            }
            tx.allocate(tx.file(db, "recs"), db.type("Rec")).putLong(0, 77);
            tx.setRoot(db, "r", refs.get(3));
            tx.abort();
            assertThat(tx.isActive()).isFalse();
        }
        try (Transaction tx = s.begin()) {
            for (final Ref r : refs) {
                tx.open(r).putLong(8, 5);
            }
            // closed without commit
        }
        try (Transaction tx = s.begin()) {
            for (int i = 0; i < refs.size(); i++) {
                assertThat(tx.open(refs.get(i)).getLong(0)).isEqualTo(i);
                assertThat(tx.open(refs.get(i)).getLong(8)).isZero();
            }
            assertThat(tx.root(db, "r")).isNull();
            int count = 0;
            try (Cursor c = tx.scan(tx.file(db, "recs"))) {
                while (c.next()) {
                    count++;
                }
            }
            assertThat(count).isEqualTo(100);
        }
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void shouldScanFilesAndReachOtherDatabases(final Way way) {
        final Session s = open(way);
        final Database a = s.createDatabase(dir.resolve("a.root"), 1L << 20);
        final Database b = s.createDatabase(dir.resolve("b.root"), 1L << 20);
        final TypeId ta = a.defineType("A", 32, new int[] {0});
        final TypeId tb = b.defineType("B", 16, new int[0]);
        try (Transaction tx = s.begin()) {
            final BessFile fa = tx.createFile(a, "as");
            final BessFile fb = tx.createFile(b, "bs");
            for (int i = 0; i < 40; i++) {
                final ObjectRef target = tx.allocate(fb, tb);
                target.putLong(0, 1000 + i);
                final ObjectRef holder = tx.allocate(fa, ta);
                holder.putRef(0, target.ref());
                holder.putLong(8, i);
            }
            tx.commit();
        }
        assertThat(a.files()).extracting(fi -> fi.name()).contains("as");
        assertThat(a.types()).contains(ta);
        try (Transaction tx = s.begin()) {
            long sum = 0;
            int count = 0;
            try (Cursor c = tx.scan(tx.file(a, "as"))) {
                while (c.next()) {
                    assertThat(c.isLarge()).isFalse();
                    final ObjectRef holder = c.object();
                    final Ref far = holder.getRef(0);
                    final ObjectRef target = tx.open(far);
                    assertThat(target.database().path()).isEqualTo(b.path());
                    assertThat(target.getLong(0)).isEqualTo(1000 + holder.getLong(8));
                    sum += holder.getLong(8);
                    count++;
                }
            }
            assertThat(count).isEqualTo(40);
            assertThat(sum).isEqualTo(39L * 40 / 2);
        }
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void shouldScanInBatchesSkippingObjectsFreedAheadOfTheCursor(final Way way) {
        final Session s = open(way);
        final Database db = s.createDatabase(dir.resolve("scan.root"), 4L << 20);
        final TypeId rec = db.defineType("Rec", 24, new int[0]);
        final int n = 1_000; // about four batches of references
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "recs");
            for (int i = 0; i < n; i++) {
                tx.allocate(f, rec).putLong(0, i);
                if (i == 600) {
                    tx.createLarge(f).append(new byte[] {1, 2, 3});
                }
            }
            tx.commit();
        }
        try (Transaction tx = s.begin()) {
            final long before = s instanceof RemoteSession r ? r.requestCount() : 0;
            long sum = 0;
            int seen = 0;
            int larges = 0;
            final List<Ref> refs = new ArrayList<>();
            try (Cursor c = tx.scan(tx.file(db, "recs"))) {
                while (c.next()) {
                    if (c.isLarge()) {
                        assertThat(c.largeObject().length()).isEqualTo(3);
                        larges++;
                        continue;
                    }
                    sum += c.object().getLong(0);
                    refs.add(c.ref());
                    seen++;
                }
            }
            assertThat(seen).isEqualTo(n);
            assertThat(larges).isEqualTo(1);
            assertThat(sum).isEqualTo((long) n * (n - 1) / 2);
            if (s instanceof RemoteSession r) {
                // one request per batch of references, plus the slots of each segment once: far fewer than one per
                // object
                assertThat(r.requestCount() - before)
                        .as("requests for a scan of %d objects", n)
                        .isLessThan(n / 10);
            }
            // objects freed after the cursor fetched their batch are skipped, not returned or failed on
            long rest = 0;
            int restSeen = 0;
            try (Cursor c = tx.scan(tx.file(db, "recs"))) {
                assertThat(c.next()).isTrue();
                for (int i = 1; i < n; i += 2) {
                    tx.free(tx.open(refs.get(i)));
                }
                do {
                    if (!c.isLarge()) {
                        rest += c.object().getLong(0);
                        restSeen++;
                    }
                } while (c.next());
            }
            assertThat(restSeen).isEqualTo(n / 2);
            assertThat(rest).isEqualTo((long) (n / 2) * (n / 2 - 1));
        }
    }

    @ParameterizedTest
    @EnumSource(Way.class)
    void shouldReadAndWriteLargeObjects(final Way way) {
        final Session s = open(way);
        final Database db = s.createDatabase(dir.resolve("large.root"), 1L << 20);
        final byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        final Ref ref;
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "blobs");
            final LargeObject lo = tx.createLarge(f);
            assertThat(lo.append(data)).isZero();
            lo.insert(10, new byte[] {1, 2, 3});
            lo.delete(10, 3);
            ref = lo.ref();
            tx.commit();
        }
        try (Transaction tx = s.begin()) {
            final LargeObject lo = tx.openLarge(ref);
            assertThat(lo.length()).isEqualTo(data.length);
            final byte[] back = new byte[data.length];
            lo.read(0, back);
            assertThat(back).isEqualTo(data);
            assertThat(lo.compare(1000, java.util.Arrays.copyOfRange(data, 1000, 1100)))
                    .isZero();
            lo.write(5, new byte[] {9, 9});
            lo.truncate(200_000);
            assertThat(lo.info().length()).isEqualTo(200_000);
            tx.commit();
        }
        try (Transaction tx = s.begin()) {
            final LargeObject lo = tx.openLarge(ref);
            assertThat(lo.length()).isEqualTo(200_000);
            final byte[] head = new byte[8];
            lo.read(0, head);
            assertThat(head[5]).isEqualTo((byte) 9);
            assertThat(head[7]).isEqualTo(data[7]);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Way.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldIsolateClientsFromEachOtherAndRethrowLockErrors(final Way way) {
        final Session writer = open(way);
        final Session reader = open(Way.EMBEDDED);
        final Database db = writer.createDatabase(dir.resolve("iso.root"), 1L << 20);
        final TypeId t = db.defineType("Acct", 64, new int[0]);
        final Ref ref;
        try (Transaction tx = writer.begin()) {
            final ObjectRef o = tx.allocate(tx.createFile(db, "accts"), t);
            o.putLong(0, 100);
            ref = o.ref();
            tx.commit();
        }
        final Database readerDb = reader.openDatabase(dir.resolve("iso.root"));
        try (Transaction tx = writer.begin()) {
            tx.open(ref).putLong(0, 55);
            try (Transaction other = reader.begin()) {
                assertThatThrownBy(
                                () -> other.open(new Ref(readerDb, ref.word())).getLong(0))
                        .isInstanceOf(LockTimeoutException.class);
            }
            tx.commit();
        }
        try (Transaction other = reader.begin()) {
            final ObjectRef o = other.open(new Ref(readerDb, ref.word()));
            assertThat(o.getLong(0)).isEqualTo(55);
            // the reader holds S; the client's write must wait, time out, and see its transaction rolled back
            try (Transaction tx = writer.begin()) {
                final ObjectRef mine = tx.open(ref);
                assertThat(mine.getLong(0)).isEqualTo(55);
                assertThatThrownBy(() -> mine.putLong(0, 1)).isInstanceOf(LockTimeoutException.class);
                assertThat(tx.isActive()).isFalse();
            }
        }
        try (Transaction tx = writer.begin()) {
            assertThat(tx.open(ref).getLong(0)).isEqualTo(55);
            tx.commit();
        }
        assertThat(node.server().lockCounters()[0]).isZero();
    }

    @ParameterizedTest
    @EnumSource(
            value = Way.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldCleanUpAfterAClientThatVanishesMidTransaction(final Way way) throws Exception {
        final Session s = open(way);
        final Database db = s.createDatabase(dir.resolve("gone.root"), 1L << 20);
        final List<Ref> refs = TestNode.numbered(s, db, "Rec", 200, "recs", 200);
        final Transaction tx = s.begin();
        for (final Ref r : refs) {
            tx.open(r).putLong(0, -7);
        }
        assertThat(node.server().lockCounters()[0]).isPositive();
        if (way == Way.SHARED_MEMORY) {
            assertThat(node.endpoint().clientMappedFrames()).isPositive();
            assertThat(SessionAccess.mappedFrames(node.server())).isPositive();
        }
        ((RemoteSession) s).abandon();
        TestNode.await(
                "the server to clean up the vanished client",
                () -> node.endpoint().connectionCount() == 0);
        assertThat(node.server().lockCounters()[0]).isZero();
        assertThat(node.endpoint().clientMappedFrames()).isZero();
        assertThat(SessionAccess.mappedFrames(node.server())).isZero();
        final Session other = open(Way.EMBEDDED);
        final Database otherDb = other.openDatabase(dir.resolve("gone.root"));
        try (Transaction check = other.begin()) {
            for (int i = 0; i < refs.size(); i++) {
                assertThat(check.open(new Ref(otherDb, refs.get(i).word())).getLong(0))
                        .isEqualTo(i);
            }
        }
        node.close();
        assertThat(new DatabaseChecker(dir.resolve("gone.root"), dir.resolve("check"))
                        .run(l -> {})
                        .problems())
                .isEmpty();
    }

    @Test
    void shouldCloseOnlyTheConnectionThatSentAMalformedFrame() throws Exception {
        final Session good = open(Way.SHARED_MEMORY);
        final Database db = good.createDatabase(dir.resolve("mal.root"), 1L << 20);
        for (final int length : new int[] {-5, Integer.MAX_VALUE, 3}) {
            try (SocketChannel bad = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                bad.connect(UnixDomainSocketAddress.of(node.endpoint().socket()));
                final ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
                b.putInt(length).putLong(1).putInt(99).flip();
                bad.write(b);
                assertThat(TestNode.closedByServer(bad)).isTrue();
            }
        }
        try (SocketChannel truncated = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            truncated.connect(UnixDomainSocketAddress.of(node.endpoint().socket()));
            final ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(100).putLong(1).flip();
            truncated.write(b);
            truncated.shutdownOutput();
            assertThat(TestNode.closedByServer(truncated)).isTrue();
        }
        try (Transaction tx = good.begin()) {
            final ObjectRef o = tx.allocate(tx.createFile(db, "f"), db.defineType("T", 8, new int[0]));
            o.putLong(0, 5);
            tx.commit();
        }
        TestNode.await("the bad connections to be closed", () -> node.endpoint().connectionCount() == 1);
    }

    @ParameterizedTest
    @EnumSource(
            value = Way.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldReadAndWriteHotObjectsWithoutAnyFaultOrRequest(final Way way) {
        final Session s = open(way);
        final Database db = s.createDatabase(dir.resolve("hot.root"), 1L << 20);
        final TypeId t = db.defineType("Hot", 100, new int[0]);
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "hot");
            final List<ObjectRef> objects = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                objects.add(tx.allocate(f, t));
            }
            for (final ObjectRef o : objects) {
                o.putLong(0, 1);
            }
            final RemoteSession remote = (RemoteSession) s;
            final long faults = remote.frameFaults();
            long sum = 0;
            for (int round = 0; round < 100; round++) {
                for (final ObjectRef o : objects) {
                    o.putLong(8, o.getLong(8) + o.getLong(0));
                    sum += o.getLong(8);
                }
            }
            // every frame was already writable: no fault, hence no request, mmap or mprotect
            assertThat(remote.frameFaults()).isEqualTo(faults);
            assertThat(sum).isEqualTo(40L * 100 * 101 / 2);
            tx.commit();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Way.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldLetOtherClientsWorkWhenOneExhaustsItsLockQuota(final Way way) {
        node.close();
        final Path quotaNode = dir.resolve("quota-node");
        final Path root = dir.resolve("quota.root");
        final List<Ref> refs = new ArrayList<>();
        try (Session loader =
                BessServer.embedded(new Context().nodeDir(quotaNode).cacheSizeBytes(8L << 20))) {
            final Database db = loader.createDatabase(root, 1L << 20);
            final TypeId t = db.defineType("Big", 3000, new int[0]);
            try (Transaction tx = loader.begin()) {
                final BessFile f = tx.createFile(db, "big");
                for (int i = 0; i < 64; i++) {
                    final ObjectRef o = tx.allocate(f, t);
                    o.putLong(0, i);
                    refs.add(o.ref());
                }
                tx.commit();
            }
        }
        node = TestNode.start(new Context()
                .nodeDir(quotaNode)
                .cacheSizeBytes(8L << 20)
                .frameBudget(64)
                .lockContext(new LockContext().maxLocksPerTransaction(24)));
        final Session greedy = node.connect(Bess.Mode.valueOf(way.name()));
        final Session modest = node.connect(Bess.Mode.valueOf(way.name()));
        final Database greedyDb = greedy.openDatabase(root);
        final Database modestDb = modest.openDatabase(root);
        try (Transaction tx = greedy.begin()) {
            assertThatThrownBy(() -> {
                        for (final Ref r : refs) {
                            tx.open(new Ref(greedyDb, r.word())).getLong(0);
                        }
                    })
                    .isInstanceOf(BessException.class)
                    .extracting(e -> ((BessException) e).errorCode())
                    .isEqualTo(ErrorCode.QUOTA);
            try (Transaction other = modest.begin()) {
                final ObjectRef o = other.open(new Ref(modestDb, refs.get(5).word()));
                assertThat(o.getLong(0)).isEqualTo(5);
                other.commit();
            }
        }
        try (Transaction tx = greedy.begin()) {
            assertThat(tx.open(new Ref(greedyDb, refs.get(1).word())).getLong(0))
                    .isEqualTo(1);
        }
    }

    @Test
    void shouldRefuseAPeerTheAllowListDoesNotName() throws Exception {
        final java.util.concurrent.atomic.AtomicReference<String> seen =
                new java.util.concurrent.atomic.AtomicReference<>();
        final Path socket = dir.resolve("node").resolve("refusing.sock");
        try (SessionEndpoint refusing = SessionEndpoint.start(node.server(), socket, peer -> {
            seen.set(peer.user().getName());
            return false;
        })) {
            assertThatThrownBy(() -> RemoteSession.connect(socket, Bess.Mode.SHARED_MEMORY))
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("not authorised");
            assertThat(seen.get()).isEqualTo(System.getProperty("user.name"));
            assertThat(refusing.refusedCount()).isEqualTo(1);
            TestNode.await("the refused connection to close", () -> refusing.connectionCount() == 0);
        }
        // the default allow-list (this process's user) lets us in
        final Session s = open(Way.SHARED_MEMORY);
        assertThat(s.databases()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(
            value = Way.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldReportAServerLostWhenTheServerGoesAway(final Way way) {
        final Session s = open(way);
        final Database db = s.createDatabase(dir.resolve("lost.root"), 1L << 20);
        final Transaction tx = s.begin();
        tx.createFile(db, "f");
        node.endpoint().close();
        assertThatThrownBy(() -> tx.file(db, "f"))
                .isInstanceOf(BessException.class)
                .hasMessageContaining("server lost");
        assertThat(tx.isActive()).isFalse();
        assertThatThrownBy(s::begin).hasMessageContaining("server lost");
    }
}
