package org.bess.server.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client's own scan (the client walks the file's segment chain: {@code SCAN} names the first segment, the slot
 * replies or the segment headers in place the next ones): it visits what the server's cursor visits, in the same
 * order (segments in chain order, live slots in slot order, freed ones skipped, large objects too); a shared-memory
 * client's repeated scan makes no request per segment or batch, a copy-on-access client's one batch; an object its
 * own transaction frees mid-scan is skipped; the scan's shared locks on the segments hold until the transaction ends
 * (a writer of a scanned segment waits); a scan after the transaction ended is refused.
 */
@Timeout(120)
class ClientScanTest {
    /** Objects in the file: several slotted segments' worth. */
    private static final int COUNT = 1_500;

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

    /** {@link #COUNT} objects numbered in allocation order, every seventh freed again, and one large object. */
    private static List<Ref> fill(final Session s, final Database db) {
        final TypeId t = db.defineType("Rec", 40, new int[0]);
        final List<Ref> live = new ArrayList<>();
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "recs");
            final List<ObjectRef> all = new ArrayList<>();
            for (int i = 0; i < COUNT; i++) {
                final ObjectRef o = tx.allocate(f, t);
                o.putLong(0, i);
                all.add(o);
            }
            tx.createLarge(f).write(0, new byte[] {1, 2, 3}, 0, 3);
            for (int i = 0; i < COUNT; i++) {
                if (i % 7 == 3) {
                    tx.free(all.get(i));
                } else {
                    live.add(all.get(i).ref());
                }
            }
            tx.commit();
        }
        return live;
    }

    /** The scan's visits: an object's word and number, a large object's word negated. */
    private static List<Long> scan(final Transaction tx, final Database db) {
        final List<Long> seen = new ArrayList<>();
        try (Cursor c = tx.scan(tx.file(db, "recs"))) {
            while (c.next()) {
                if (c.isLarge()) {
                    seen.add(-c.ref().word());
                    assertThat(c.largeObject().length()).isEqualTo(3);
                } else {
                    seen.add(c.object().ref().word());
                    seen.add(c.object().getLong(0));
                }
            }
        }
        return seen;
    }

    private static List<Long> scanWithServerCursor(final Session s, final Database db) {
        System.setProperty("bess.client.localScan", "false");
        try (Transaction tx = s.begin()) {
            return scan(tx, db);
        } finally {
            System.clearProperty("bess.client.localScan");
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Bess.Mode.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldVisitWhatTheServersCursorVisitsInItsOrder(final Bess.Mode mode) {
        final Session s = node.connect(mode);
        final Database db = s.createDatabase(dir.resolve("scan.root"), 8L << 20);
        final List<Ref> live = fill(s, db);
        final List<Long> expected;
        try (Session e = node.server().openSession();
                Transaction tx = e.begin()) {
            expected = scan(tx, e.openDatabase(dir.resolve("scan.root")));
        }
        assertThat(expected).as("the embedded cursor's visits").hasSize(2 * live.size() + 1);
        assertThat(scanWithServerCursor(s, db)).isEqualTo(expected);
        long requests = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            try (Transaction tx = s.begin()) {
                final Cursor c = tx.scan(tx.file(db, "recs"));
                final long before = node.endpoint().requestsServed();
                final List<Long> seen = new ArrayList<>();
                while (c.next()) {
                    if (c.isLarge()) {
                        seen.add(-c.ref().word());
                        assertThat(c.largeObject().length()).isEqualTo(3);
                    } else {
                        seen.add(c.object().ref().word());
                        seen.add(c.object().getLong(0));
                    }
                }
                c.close();
                requests = node.endpoint().requestsServed() - before;
                assertThat(seen).as("round %d", round).isEqualTo(expected);
                tx.commit();
            }
        }
        // the large object's open and length are two requests in either mode
        assertThat(requests)
                .as("a repeated scan: no request per segment in shared memory, one batch of segments and one of"
                        + " pages in copy-on-access")
                .isLessThanOrEqualTo(mode == Bess.Mode.SHARED_MEMORY ? 2 : 4);
    }

    @ParameterizedTest
    @EnumSource(
            value = Bess.Mode.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldSkipAnObjectItsOwnTransactionFreesMidScan(final Bess.Mode mode) {
        final Session s = node.connect(mode);
        final Database db = s.createDatabase(dir.resolve("free.root"), 8L << 20);
        final List<Ref> live = fill(s, db);
        final Ref last = live.get(live.size() - 1);
        try (Transaction tx = s.begin()) {
            scan(tx, db); // the segments' slots known (in place, or kept) before the free
            try (Cursor c = tx.scan(tx.file(db, "recs"))) {
                assertThat(c.next()).isTrue();
                tx.free(tx.open(last));
                int objects = 1;
                while (c.next()) {
                    if (!c.isLarge()) {
                        assertThat(c.object().ref()).isNotEqualTo(last);
                        objects++;
                    }
                }
                assertThat(objects).isEqualTo(live.size() - 1);
            }
            tx.abort();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Bess.Mode.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldHoldTheSegmentsSharedUntilTheTransactionEnds(final Bess.Mode mode) throws Exception {
        final Session s = node.connect(mode);
        final Database db = s.createDatabase(dir.resolve("lock.root"), 8L << 20);
        final List<Ref> live = fill(s, db);
        final Session writer = node.connect(Bess.Mode.SHARED_MEMORY);
        final Database wdb = writer.openDatabase(dir.resolve("lock.root"));
        final Ref victim = new Ref(wdb, live.get(live.size() - 1).word());
        final Transaction tx = s.begin();
        assertThat(scan(tx, db)).hasSize(2 * live.size() + 1);
        final Future<?> free = node.pool().submit(() -> {
            try (Transaction w = writer.begin()) {
                w.free(w.open(victim));
                w.commit();
            }
        });
        assertThatThrownBy(() -> free.get(500, TimeUnit.MILLISECONDS))
                .as("freeing a slot of a segment the scan read waits for the scanner's S")
                .isInstanceOf(TimeoutException.class);
        assertThat(scan(tx, db)).as("repeatable: the same visits").hasSize(2 * live.size() + 1);
        tx.commit();
        free.get(30, TimeUnit.SECONDS);
        try (Transaction t = s.begin()) {
            assertThat(scan(t, db)).hasSize(2 * (live.size() - 1) + 1);
        }
        final Transaction ended = s.begin();
        final Cursor c = ended.scan(ended.file(db, "recs"));
        assertThat(c.next()).isTrue();
        ended.commit();
        assertThatThrownBy(c::next).isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                .isEqualTo(ErrorCode.ILLEGAL_STATE));
    }
}
