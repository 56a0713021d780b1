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
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.remote.RemoteSession;
import org.bess.client.remote.Wire;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Copy-on-access batches: a transaction that repeats its predecessor's pages and segments re-locks them with a few
 * {@code FETCH_PAGES} and {@code SEGMENT_SLOTS_MANY} requests instead of one per page and segment; a copy another
 * transaction changed meanwhile is sent again (digest), a page or segment another transaction holds exclusively is
 * skipped and read later only after that transaction ends; the batch's S locks hold until the transaction ends (commit or
 * abort); a cursor's batches of references grow from 256 to {@link Wire#CURSOR_BATCH_MAX}; malformed batch frames close
 * only their connection.
 */
@Timeout(120)
class ClientBatchFetchTest {
    private static final int COUNT = 400;
    private static final int SIZE = 900;

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

    private RemoteSession copyClient() {
        final RemoteSession s = (RemoteSession) Bess.connect(dir.resolve("node"), Bess.Mode.COPY_ON_ACCESS);
        node.track(s);
        return s;
    }

    /** {@link #COUNT} objects of {@link #SIZE} bytes: about 90 data pages and 3 slotted segments. */
    private static List<Ref> objects(final Session s, final Database db) {
        final List<Ref> refs = TestNode.numbered(s, db, "Big", SIZE, "big", COUNT);
        return refs;
    }

    /** Reads every object in one transaction; the sum of their numbers. */
    private static long readAll(final Session s, final List<Ref> refs) {
        long sum = 0;
        try (Transaction tx = s.begin()) {
            for (final Ref r : refs) {
                sum += tx.open(r).getLong(0);
            }
            tx.commit();
        }
        return sum;
    }

    private static final long SUM = (long) COUNT * (COUNT - 1) / 2;

    @Test
    void shouldRelockARepeatedTraversalWithAFewRequests() {
        final RemoteSession s = copyClient();
        final Database db = s.createDatabase(dir.resolve("hot.root"), 4L << 20);
        final List<Ref> refs = objects(s, db);
        assertThat(refs.stream()
                        .map(r -> RefDescriptor.segmentPage(r.word()))
                        .distinct()
                        .count())
                .as("several segments")
                .isGreaterThan(1);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        final long first = s.requestCount();
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        final long batched = s.batchedFetches();
        final long before = s.requestCount();
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        final long requests = s.requestCount() - before;
        assertThat(requests)
                .as("begin, one FETCH_PAGES, one SEGMENT_SLOTS_MANY, commit (was %d)", before - first)
                .isLessThanOrEqualTo(6);
        assertThat(s.batchedFetches()).isGreaterThan(batched + 80);
    }

    @Test
    void shouldLockThePredictedPagesInTheSegmentsRoundTrip() {
        final RemoteSession s = copyClient();
        final Database db = s.createDatabase(dir.resolve("one-trip.root"), 4L << 20);
        final List<Ref> refs = objects(s, db);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        final long batched = s.batchedFetches();
        final long before = s.requestCount();
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        assertThat(s.requestCount() - before)
                .as("begin, one SEGMENT_SLOTS_MANY that re-locks the predicted pages too, commit: no FETCH_PAGES")
                .isEqualTo(3);
        assertThat(s.batchedFetches()).isGreaterThan(batched + 80);
    }

    @Test
    void shouldSendAgainACopyThatAnotherTransactionChanged() {
        final RemoteSession s = copyClient();
        final Database db = s.createDatabase(dir.resolve("changed.root"), 4L << 20);
        final List<Ref> refs = objects(s, db);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        try (Session e = node.server().openSession()) {
            final Database edb = e.openDatabase(db.path());
            try (Transaction tx = e.begin()) {
                for (final int i : new int[] {3, 200, 399}) {
                    tx.open(new Ref(edb, refs.get(i).word())).putLong(0, 1_000_000L + i);
                }
                tx.commit();
            }
        }
        assertThat(readAll(s, refs))
                .as("the changed objects' new values, each page revalidated by its digest")
                .isEqualTo(SUM + 3_000_000L);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void shouldSkipPagesHeldExclusivelyAndReadThemAfterTheWriterEnds(final boolean writerCommits) throws Exception {
        final RemoteSession s = copyClient();
        final Database db = s.createDatabase(dir.resolve("skip.root"), 4L << 20);
        final List<Ref> refs = objects(s, db);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        final Session e = node.server().openSession();
        node.track(e);
        final Database edb = e.openDatabase(db.path());
        final Transaction writing = e.begin();
        // X on a data page late in the traversal, and on a later segment (a free changes its slots)
        writing.open(new Ref(edb, refs.get(350).word())).putLong(0, 7_000_000L);
        writing.free(writing.open(new Ref(edb, refs.get(COUNT - 1).word())));
        final Transaction reading = s.begin();
        assertThat(reading.open(refs.get(0)).getLong(0)).isZero();
        final Future<Long> late =
                node.pool().submit(() -> reading.open(refs.get(350)).getLong(0));
        assertThatThrownBy(() -> late.get(300, TimeUnit.MILLISECONDS))
                .as("the batch skipped the page the writer holds: reading it waits")
                .isInstanceOf(TimeoutException.class);
        if (writerCommits) {
            writing.commit();
        } else {
            writing.abort();
        }
        assertThat(late.get(20, TimeUnit.SECONDS)).isEqualTo(writerCommits ? 7_000_000L : 350L);
        if (writerCommits) {
            assertThatThrownBy(() -> reading.open(refs.get(COUNT - 1)))
                    .isInstanceOfSatisfying(
                            BessException.class, x -> assertThat(x.errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE));
        } else {
            assertThat(reading.open(refs.get(COUNT - 1)).getLong(0)).isEqualTo(COUNT - 1);
        }
        reading.commit();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void shouldHoldTheBatchsLocksUntilTheTransactionEnds(final boolean commit) throws Exception {
        final RemoteSession s = copyClient();
        final Database db = s.createDatabase(dir.resolve("held.root"), 4L << 20);
        final List<Ref> refs = objects(s, db);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        final long batched = s.batchedFetches();
        final Transaction reading = s.begin();
        assertThat(reading.open(refs.get(0)).getLong(0)).isZero();
        assertThat(s.batchedFetches()).as("the rest came in the batch").isGreaterThan(batched);
        final Future<?> writing = node.pool().submit(() -> {
            try (Session e = node.server().openSession()) {
                final Database edb = e.openDatabase(db.path());
                try (Transaction tx = e.begin()) {
                    tx.open(new Ref(edb, refs.get(350).word())).putLong(0, 9L);
                    tx.commit();
                }
            }
            return null;
        });
        assertThatThrownBy(() -> writing.get(300, TimeUnit.MILLISECONDS))
                .as("the reader holds S on the predicted page")
                .isInstanceOf(TimeoutException.class);
        if (commit) {
            reading.commit();
        } else {
            reading.abort();
        }
        writing.get(20, TimeUnit.SECONDS);
        try (Transaction tx = s.begin()) {
            assertThat(tx.open(refs.get(350)).getLong(0)).isEqualTo(9L);
        }
    }

    @Test
    void shouldRollBackWrittenCopiesOnAbortAndRevalidateThem() {
        final RemoteSession s = copyClient();
        final Database db = s.createDatabase(dir.resolve("abort.root"), 4L << 20);
        final List<Ref> refs = objects(s, db);
        assertThat(readAll(s, refs)).isEqualTo(SUM);
        try (Transaction tx = s.begin()) {
            for (final Ref r : refs) {
                tx.open(r).putLong(0, -1);
            }
            tx.abort();
        }
        assertThat(readAll(s, refs)).as("the values before the aborted writes").isEqualTo(SUM);
    }

    @Test
    void shouldReuseKeptSlotArraysOnlyWhileTheyAreCurrent() {
        final RemoteSession s = copyClient();
        final Database db = s.createDatabase(dir.resolve("kept.root"), 4L << 20);
        final List<Ref> refs = objects(s, db);
        assertThat(readAll(s, refs)).isEqualTo((long) COUNT * (COUNT - 1) / 2);
        assertThat(readAll(s, refs)).isEqualTo((long) COUNT * (COUNT - 1) / 2);
        final long reused = s.keptSlotArraysReused();
        assertThat(readAll(s, refs)).isEqualTo((long) COUNT * (COUNT - 1) / 2);
        assertThat(s.keptSlotArraysReused())
                .as("a repeated traversal's batch: the kept slot arrays named current, their bytes not sent")
                .isGreaterThan(reused);
        // another session frees the last object: its segment's slots change, the kept copy is stale
        try (Session e = node.server().openSession();
                Transaction tx = e.begin()) {
            final Database edb = e.openDatabase(dir.resolve("kept.root"));
            tx.free(tx.open(new Ref(edb, refs.get(COUNT - 1).word())));
            tx.commit();
        }
        try (Transaction tx = s.begin()) {
            for (int i = 0; i < COUNT - 1; i++) {
                assertThat(tx.open(refs.get(i)).getLong(0)).isEqualTo(i);
            }
            assertThatThrownBy(() -> tx.open(refs.get(COUNT - 1)))
                    .as("resolved from the segment's slots now, not from the stale kept copy")
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE));
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Bess.Mode.class)
    void shouldScanWithGrowingBatchesOfReferences(final Bess.Mode mode) {
        // the server's cursor (the client's own walk of the segments, the default, is ClientScanTest's)
        System.setProperty("bess.client.localScan", "false");
        try {
            scanWithGrowingBatches(mode);
        } finally {
            System.clearProperty("bess.client.localScan");
        }
    }

    private void scanWithGrowingBatches(final Bess.Mode mode) {
        final Session s = Bess.connect(dir.resolve("node"), mode);
        node.track(s);
        final Database db = s.createDatabase(dir.resolve("scan.root"), 4L << 20);
        final TypeId t = db.defineType("Tiny", 16, new int[0]);
        final int count = 2_000;
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "tiny");
            for (int i = 0; i < count; i++) {
                tx.allocate(f, t).putLong(0, i);
            }
            tx.commit();
        }
        long requests = 0;
        for (int round = 0; round < 2; round++) {
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.file(db, "tiny");
                final org.bess.client.Cursor c = tx.scan(f);
                final long before = node.endpoint().requestsServed();
                long sum = 0;
                int seen = 0;
                while (c.next()) {
                    sum += c.object().getLong(0);
                    seen++;
                }
                requests = node.endpoint().requestsServed() - before;
                assertThat(seen).isEqualTo(count);
                assertThat(sum).isEqualTo((long) count * (count - 1) / 2);
                c.close();
                tx.commit();
            }
        }
        assertThat(requests)
                .as("a repeated scan: 256 + 512 + 1,024 + 2,048 references in 4 requests (8 in batches of 256), plus"
                        + " none for segments and pages in shared memory, one batch of each in copy-on-access")
                .isLessThanOrEqualTo(7);
    }

    @Test
    void shouldCloseOnlyTheConnectionThatSentAMalformedBatch() throws Exception {
        final RemoteSession good = copyClient();
        final Database db = good.createDatabase(dir.resolve("bad.root"), 4L << 20);
        final List<Ref> refs = objects(good, db);
        final List<ByteBuffer> frames = new ArrayList<>();
        // FETCH_PAGES: no page, too many pages, fewer pages than counted
        frames.add(frame(Wire.FETCH_PAGES, b -> b.putInt(0)));
        frames.add(frame(Wire.FETCH_PAGES, b -> b.putInt(Wire.BATCH_MAX + 1)));
        frames.add(frame(Wire.FETCH_PAGES, b -> b.putInt(3).putInt(0).putLong(1).putLong(0)));
        frames.add(frame(Wire.FETCH_PAGES, b -> b.putInt(-7)));
        // SEGMENT_SLOTS_MANY: a lying count, a truncated list
        frames.add(frame(Wire.SEGMENT_SLOTS_MANY, b -> b.putInt(0).putInt(-1)));
        frames.add(frame(Wire.SEGMENT_SLOTS_MANY, b -> b.putInt(0).putInt(0)));
        frames.add(frame(Wire.SEGMENT_SLOTS_MANY, b -> b.putInt(0).putInt(4).putLong(1)));
        frames.add(frame(Wire.SEGMENT_SLOTS_MANY, b -> b.putInt(0)));
        // SEGMENT_SLOTS_MANY with appended pages: no page, too many, a negative count, fewer pages than counted
        for (final int count : new int[] {0, Wire.BATCH_MAX + 1, -3}) {
            frames.add(frame(
                    Wire.SEGMENT_SLOTS_MANY,
                    b -> b.putInt(0).putInt(1).putLong(1).putLong(0).putInt(count)));
        }
        frames.add(frame(Wire.SEGMENT_SLOTS_MANY, b -> b.putInt(0)
                .putInt(1)
                .putLong(1)
                .putLong(0)
                .putInt(2)
                .putInt(0)
                .putLong(1)
                .putLong(0)));
        // CURSOR_NEXT_REFS past the maximum
        frames.add(frame(Wire.CURSOR_NEXT_REFS, b -> b.putInt(0).putInt(Wire.CURSOR_BATCH_MAX + 1)));
        for (final ByteBuffer f : frames) {
            try (SocketChannel bad = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                bad.connect(UnixDomainSocketAddress.of(node.endpoint().socket()));
                bad.write(f);
                assertThat(TestNode.closedByServer(bad)).isTrue();
            }
        }
        assertThat(readAll(good, refs)).isEqualTo(SUM);
    }

    private static ByteBuffer frame(final int op, final java.util.function.Consumer<ByteBuffer> payload) {
        final ByteBuffer p = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        payload.accept(p);
        p.flip();
        final ByteBuffer b = ByteBuffer.allocate(16 + p.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(12 + p.remaining()).putLong(1).putInt(op).put(p).flip();
        return b;
    }
}
