package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.check.CheckReport;
import org.bess.server.check.DatabaseChecker;
import org.bess.server.lock.LockContext;
import org.bess.server.remote.SessionEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Segments appended to a file are redo-only nested top actions: they stay in the file when the transaction that
 * appended them aborts or is lost in a crash, they do not take the catalog lock (other transactions keep looking up
 * files and roots and creating files), and files take intention locks, so that dropping a file waits for the
 * transactions adding to it, and an addition after a committed drop is refused.
 */
@Timeout(120)
class SegmentAppendTest {
    /** Objects of this size: 32 fill the largest data segment, so 100 take several segments. */
    private static final int SIZE = 2000;

    private static final Pattern SEGMENTS = Pattern.compile("segments=(\\d+)");

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private BessServer server;
    private SessionEndpoint endpoint;

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        closeServer();
    }

    private void closeServer() {
        if (endpoint != null) {
            endpoint.close();
            endpoint = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }

    private void start() {
        server = BessServer.start(new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(16L << 20)
                .lockContext(new LockContext()
                        .lockTimeoutNs(TimeUnit.SECONDS.toNanos(20))
                        .deadlockRecheckNs(TimeUnit.MILLISECONDS.toNanos(20))));
    }

    private Session open(final TestSessions.Way way) {
        if (way == TestSessions.Way.EMBEDDED) {
            return server.openSession();
        }
        if (endpoint == null) {
            endpoint = SessionEndpoint.start(server, dir.resolve("node").resolve(SessionEndpoint.SOCKET_NAME));
        }
        return Bess.connect(dir.resolve("node"), Bess.Mode.valueOf(way.name()));
    }

    private CheckReport check(final Path root) {
        return new DatabaseChecker(root, dir.resolve("check-" + System.nanoTime())).run(l -> {});
    }

    private static long segments(final CheckReport report) {
        final Matcher m = SEGMENTS.matcher(report.summary());
        assertThat(m.find()).as(report.summary()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static int count(final Transaction tx, final BessFile file) {
        int n = 0;
        try (Cursor c = tx.scan(file)) {
            while (c.next()) {
                n++;
            }
        }
        return n;
    }

    private static void fill(final Transaction tx, final BessFile file, final TypeId type, final int n) {
        for (int i = 0; i < n; i++) {
            tx.allocate(file, type, SIZE).putInt(0, i);
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldKeepSegmentsAnAbortedTransactionAppendedAndReuseThem(final TestSessions.Way way) {
        start();
        final Path root = dir.resolve("abort.root");
        final Session s = open(way);
        final Database db = s.createDatabase(root, 1L << 20);
        final TypeId type = db.defineType("Blob", SIZE, new int[0]);
        final Ref first;
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "items");
            first = tx.allocate(f, type, SIZE).ref();
            tx.commit();
        }
        try (Transaction tx = s.begin()) {
            fill(tx, tx.file(db, "items"), type, 100);
            tx.abort();
        }
        try (Transaction tx = s.begin()) {
            assertThat(count(tx, tx.file(db, "items")))
                    .as("the aborted objects are gone")
                    .isEqualTo(1);
            assertThat(tx.open(first)).isNotNull();
        }
        s.close();
        closeServer();
        final CheckReport afterAbort = check(root);
        assertThat(afterAbort.problems()).isEmpty();
        assertThat(segments(afterAbort))
                .as("the segments the aborted transaction appended stay in the file")
                .isGreaterThanOrEqualTo(4);
        start();
        final Session again = open(way);
        final Database db2 = again.openDatabase(root);
        try (Transaction tx = again.begin()) {
            fill(tx, tx.file(db2, "items"), db2.type("Blob"), 100);
            tx.commit();
        }
        try (Transaction tx = again.begin()) {
            assertThat(count(tx, tx.file(db2, "items"))).isEqualTo(101);
        }
        again.close();
        closeServer();
        final CheckReport reused = check(root);
        assertThat(reused.problems()).isEmpty();
        assertThat(segments(reused))
                .as("the kept segments are filled before new ones are appended")
                .isEqualTo(segments(afterAbort));
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldNotBlockCatalogReadersWhileAppendingSegments(final TestSessions.Way way) throws Exception {
        start();
        final Path root = dir.resolve("readers.root");
        final Session a = open(way);
        final Database db = a.createDatabase(root, 1L << 20);
        final TypeId type = db.defineType("Blob", SIZE, new int[0]);
        try (Transaction tx = a.begin()) {
            tx.allocate(tx.createFile(db, "items"), type, SIZE);
            tx.createFile(db, "other");
            tx.setRoot(db, "top", null);
            tx.commit();
        }
        final Transaction appending = a.begin();
        fill(appending, appending.file(db, "items"), type, 100);
        final Session b = open(way);
        final Database dbB = b.openDatabase(root);
        final Future<Integer> reader = pool.submit(() -> {
            try (Transaction tx = b.begin()) {
                tx.file(dbB, "other");
                tx.root(dbB, "top");
                final int n = count(tx, tx.file(dbB, "other"));
                tx.commit();
                return n;
            }
        });
        assertThat(reader.get(10, TimeUnit.SECONDS))
                .as("file and root lookups and scans of other files go ahead while segments are appended")
                .isZero();
        appending.commit();
        appending.close();
        b.close();
        a.close();
        closeServer();
        assertThat(check(root).problems()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldMakeADropWaitForTransactionsAddingToTheFile(final TestSessions.Way way) throws Exception {
        start();
        final Path root = dir.resolve("drop.root");
        final Session a = open(way);
        final Database db = a.createDatabase(root, 1L << 20);
        final TypeId type = db.defineType("Blob", SIZE, new int[0]);
        try (Transaction tx = a.begin()) {
            tx.allocate(tx.createFile(db, "items"), type, SIZE);
            tx.commit();
        }
        final Transaction adding = a.begin();
        final BessFile held = adding.file(db, "items");
        fill(adding, held, type, 40);
        final Session b = open(way);
        final Database dbB = b.openDatabase(root);
        final Future<?> drop = pool.submit(() -> {
            try (Transaction tx = b.begin()) {
                tx.dropFile(tx.file(dbB, "items"));
                tx.commit();
            }
            return null;
        });
        assertThatThrownBy(() -> drop.get(300, TimeUnit.MILLISECONDS))
                .as("the drop waits for the transaction adding to the file")
                .isInstanceOf(TimeoutException.class);
        adding.commit();
        adding.close();
        drop.get(20, TimeUnit.SECONDS);
        // a handle from before the drop cannot add to the dropped file
        try (Transaction tx = a.begin()) {
            assertThatThrownBy(() -> tx.allocate(held, type, SIZE))
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.NAME));
        }
        b.close();
        a.close();
        closeServer();
        assertThat(check(root).problems()).isEmpty();
    }

    @Test
    void shouldMakeAnAdditionWaitForAnUncommittedDropAndThenRefuseIt() throws Exception {
        start();
        final Path root = dir.resolve("drop-first.root");
        final Session a = server.openSession();
        final Database db = a.createDatabase(root, 1L << 20);
        final TypeId type = db.defineType("Blob", SIZE, new int[0]);
        final BessFile handle;
        try (Transaction tx = a.begin()) {
            handle = tx.createFile(db, "items");
            tx.allocate(handle, type, SIZE);
            tx.commit();
        }
        final Transaction dropping = a.begin();
        dropping.dropFile(dropping.file(db, "items"));
        final Session b = server.openSession();
        final Future<?> add = pool.submit(() -> {
            try (Transaction tx = b.begin()) {
                tx.allocate(handle, type, SIZE);
                tx.commit();
            }
            return null;
        });
        assertThatThrownBy(() -> add.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        dropping.commit();
        dropping.close();
        assertThatThrownBy(() -> add.get(20, TimeUnit.SECONDS))
                .hasCauseInstanceOf(BessException.class)
                .hasMessageContaining("dropped");
        b.close();
        a.close();
        closeServer();
        assertThat(check(root).problems()).isEmpty();
    }

    @Test
    void shouldKeepAppendedSegmentsOfALoserAcrossACrash() {
        start();
        final Path root = dir.resolve("crash.root");
        final Session a = server.openSession();
        final Database db = a.createDatabase(root, 1L << 20);
        final TypeId type = db.defineType("Blob", SIZE, new int[0]);
        try (Transaction tx = a.begin()) {
            tx.allocate(tx.createFile(db, "items"), type, SIZE);
            tx.allocate(tx.createFile(db, "marks"), type, SIZE);
            tx.commit();
        }
        final Transaction loser = a.begin();
        fill(loser, loser.file(db, "items"), type, 100);
        // a commit by another session forces the log, the loser's appended segments with it
        final Session b = server.openSession();
        final Database dbB = b.openDatabase(root);
        try (Transaction tx = b.begin()) {
            tx.allocate(tx.file(dbB, "marks"), type, SIZE);
            tx.commit();
        }
        ((EmbeddedSession) a).crash();
        server = null;
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(16L << 20))) {
            assertThat(BessServer.recoverySummary(s)).contains("losers rolled back 1");
            final Database again = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                assertThat(count(tx, tx.file(again, "items"))).isEqualTo(1);
                assertThat(count(tx, tx.file(again, "marks"))).isEqualTo(2);
                fill(tx, tx.file(again, "items"), again.type("Blob"), 100);
                tx.commit();
            }
        }
        final CheckReport report = check(root);
        assertThat(report.problems()).isEmpty();
        assertThat(segments(report)).isGreaterThanOrEqualTo(5);
    }
}
