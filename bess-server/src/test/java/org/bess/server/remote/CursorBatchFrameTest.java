package org.bess.server.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.Bess;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.remote.Wire;
import org.bess.client.remote.WireProbe;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bad {@code CURSOR_NEXT_REFS} requests, sent on a client's own connection after its hello: a batch size out of
 * {@code 1..CURSOR_BATCH_MAX} or a payload cut short closes that connection (its transaction is rolled back and its
 * locks released, other clients go on); a handle that names no cursor gets an error reply that names the handle, and
 * the session stays usable.
 */
@Timeout(120)
class CursorBatchFrameTest {
    private static final int COUNT = 300;

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

    /** Waits (bounded, with backoff) until only the good session's connection is left. */
    private void awaitOneConnection() throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long sleepMs = 1;
        while (node.endpoint().connectionCount() != 1 && System.nanoTime() < deadline) {
            Thread.sleep(sleepMs);
            sleepMs = Math.min(100, sleepMs * 2);
        }
        assertThat(node.endpoint().connectionCount()).as("connections left").isEqualTo(1);
    }

    private static List<Ref> fill(final Session s, final Database db) {
        final List<Ref> refs = TestNode.numbered(s, db, "Rec", 16, "recs", COUNT);
        return refs;
    }

    @ParameterizedTest
    @EnumSource(
            value = Bess.Mode.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldCloseOnlyTheConnectionThatAsksForABatchOutOfBounds(final Bess.Mode mode) throws Exception {
        final Session good = node.connect(mode);
        final Database db = good.createDatabase(dir.resolve("batch.root"), 1L << 20);
        final List<Ref> refs = fill(good, db);
        for (final int max : new int[] {0, -1, Wire.CURSOR_BATCH_MAX + 1, Integer.MAX_VALUE}) {
            final Session bad = node.connect(mode);
            final Database badDb = bad.openDatabase(dir.resolve("batch.root"));
            final Transaction tx = bad.begin();
            final Cursor c = tx.scan(tx.file(badDb, "recs"));
            assertThat(c.next()).as("the cursor reads the first batch").isTrue();
            final int handle = WireProbe.handle(c);
            assertThatThrownBy(() -> WireProbe.call(bad, Wire.CURSOR_NEXT_REFS, handle, max))
                    .as("a batch of %d references", max)
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("server lost");
            // the closed connection's transaction held shared locks on the segment: a writer gets them
            try (Transaction w = good.begin()) {
                w.open(refs.get(1)).putLong(0, 1000 + max % 1000);
                w.commit();
            }
        }
        awaitOneConnection();
        try (Transaction tx = good.begin();
                Cursor c = tx.scan(tx.file(db, "recs"))) {
            int n = 0;
            while (c.next()) {
                n++;
            }
            assertThat(n).isEqualTo(COUNT);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Bess.Mode.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldCloseTheConnectionThatSendsABatchRequestWithoutItsSize(final Bess.Mode mode) throws Exception {
        final Session good = node.connect(mode);
        final Database db = good.createDatabase(dir.resolve("short.root"), 1L << 20);
        final List<Ref> refs = fill(good, db);
        final Session bad = node.connect(mode);
        final Database badDb = bad.openDatabase(dir.resolve("short.root"));
        final Transaction tx = bad.begin();
        final Cursor c = tx.scan(tx.file(badDb, "recs"));
        assertThat(c.next()).isTrue();
        final int handle = WireProbe.handle(c);
        assertThatThrownBy(() -> WireProbe.call(bad, Wire.CURSOR_NEXT_REFS, handle))
                .isInstanceOf(BessException.class)
                .hasMessageContaining("server lost");
        try (Transaction w = good.begin()) {
            assertThat(w.open(refs.get(7)).getLong(0)).isEqualTo(7);
            w.open(refs.get(7)).putLong(0, 77);
            w.commit();
        }
        awaitOneConnection();
    }

    @ParameterizedTest
    @EnumSource(
            value = Bess.Mode.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldAnswerAnErrorNamingAHandleThatIsNoCursor(final Bess.Mode mode) {
        final Session s = node.connect(mode);
        final Database db = s.createDatabase(dir.resolve("handle.root"), 1L << 20);
        fill(s, db);
        try (Transaction tx = s.begin()) {
            assertThatThrownBy(() -> WireProbe.call(s, Wire.CURSOR_NEXT_REFS, 987_654, 16))
                    .isInstanceOfSatisfying(BessException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_ARGUMENT);
                        assertThat(e.getMessage()).contains("Cursor").contains("987654");
                    });
            // the session and its transaction go on
            try (Cursor c = tx.scan(tx.file(db, "recs"))) {
                int n = 0;
                while (c.next()) {
                    n++;
                }
                assertThat(n).isEqualTo(COUNT);
            }
            tx.commit();
        }
    }
}
