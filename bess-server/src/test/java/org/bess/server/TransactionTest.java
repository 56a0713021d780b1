package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(180)
class TransactionTest {
    @TempDir
    Path dir;

    private Session session(final TestSessions.Way way, final int bufferPages) {
        return TestSessions.open(
                way,
                new Context()
                        .nodeDir(dir.resolve("node"))
                        .cacheSizeBytes(2L << 20)
                        .recoveryBufferPages(bufferPages));
    }

    private void assertHealthy(final Path root) {
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).problems())
                .isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRollBackEveryKindOfChangeOnAbortEvenAfterEarlyLogging(final TestSessions.Way way) {
        final Path root = dir.resolve("abort.root");
        final List<Ref> refs = new ArrayList<>();
        try (Session s = session(way, 8)) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId t = db.defineType("Rec", 600, new int[] {8});
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "recs");
                for (int i = 0; i < 200; i++) {
                    final ObjectRef o = tx.allocate(f, t);
                    o.putLong(0, i);
                    refs.add(o.ref());
                }
                tx.setRoot(db, "first", refs.get(0));
                tx.commit();
            }
            final List<Ref> created = new ArrayList<>();
            try (Transaction tx = s.begin()) {
                for (final Ref r : refs) {
                    tx.open(r).putLong(0, -1);
                }
                final BessFile f = tx.file(db, "recs");
                for (int i = 0; i < 300; i++) {
                    created.add(tx.allocate(f, t, 100 + i).ref());
                }
                tx.free(tx.open(refs.get(5)));
                tx.resize(tx.open(refs.get(6)), 1000);
                tx.createFile(db, "scratch");
                tx.setRoot(db, "first", refs.get(1));
                tx.abort();
            }
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < refs.size(); i++) {
                    assertThat(tx.open(refs.get(i)).getLong(0)).isEqualTo(i);
                }
                assertThat(tx.open(refs.get(6)).size()).isEqualTo(600);
                assertThat(tx.root(db, "first").word()).isEqualTo(refs.get(0).word());
                assertThatThrownBy(() -> tx.file(db, "scratch")).isInstanceOf(BessException.class);
                for (final Ref r : created) {
                    assertThatThrownBy(() -> tx.open(r))
                            .isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                                    .isEqualTo(ErrorCode.INVALID_REFERENCE));
                }
                tx.commit();
            }
            assertThat(TestSessions.serverOf(s).transactionCounters()[1]).isEqualTo(1);
        }
        assertHealthy(root);
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldAbortWhenClosedWithoutCommit(final TestSessions.Way way) {
        try (Session s = session(way, 64)) {
            final Database db = s.createDatabase(dir.resolve("close.root"), 1L << 20);
            final TypeId t = db.defineType("Rec", 16, new int[0]);
            final Ref ref;
            try (Transaction tx = s.begin()) {
                final ObjectRef o = tx.allocate(tx.createFile(db, "f"), t);
                o.putLong(0, 7);
                ref = o.ref();
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                tx.open(ref).putLong(0, 8);
            }
            try (Transaction tx = s.begin()) {
                assertThat(tx.open(ref).getLong(0)).isEqualTo(7);
                tx.commit();
            }
        }
    }

    @Test
    void shouldKeepEveryAcknowledgedTransferAndNoUncommittedChangeAfterAHalt() throws Exception {
        final Path node = dir.resolve("node");
        final Path root = dir.resolve("bank.root");
        final int accounts = 64;
        final List<long[]> acks = new ArrayList<>();
        final Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--add-opens",
                        "java.base/jdk.internal.misc=ALL-UNNAMED",
                        "-XX:-CreateCoredumpOnCrash",
                        "-cp",
                        System.getProperty("java.class.path"),
                        BankWorkload.class.getName(),
                        node.toString(),
                        root.toString(),
                        Integer.toString(accounts),
                        "42",
                        "150")
                .redirectErrorStream(true)
                .start();
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("ack ")) {
                    final String[] p = line.split(" ", -1);
                    acks.add(new long[] {Long.parseLong(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4])});
                }
            }
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(acks).hasSize(150);
        final long[] expected = new long[accounts];
        java.util.Arrays.fill(expected, BankWorkload.INITIAL);
        for (final long[] a : acks) {
            expected[(int) a[0]] -= a[2];
            expected[(int) a[1]] += a[2];
        }
        try (Session other = BessServer.embedded(
                new Context().nodeDir(dir.resolve("other-node")).cacheSizeBytes(2L << 20))) {
            assertThatThrownBy(() -> other.openDatabase(root))
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("left open by another node")
                    .hasMessageContaining("bank.root");
        }
        try (Session s = BessServer.embedded(new Context().nodeDir(node).cacheSizeBytes(2L << 20))) {
            assertThat(((EmbeddedSession) s).recovery())
                    .as("recovery ran")
                    .isNotNull()
                    .contains("losers rolled back 1");
            final Database db = s.openDatabase(root);
            assertThat(BankWorkload.balances(s, db, accounts)).isEqualTo(expected);
        }
        assertHealthy(root);
        try (Session s = BessServer.embedded(new Context().nodeDir(node).cacheSizeBytes(2L << 20))) {
            assertThat(((EmbeddedSession) s).recovery())
                    .as("a clean restart needs no recovery")
                    .isNull();
            assertThat(BankWorkload.balances(s, s.openDatabase(root), accounts)).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRestoreASegmentWhoseFreedBlockTheSameTransactionWouldReuse(final TestSessions.Way way) {
        try (Session s = session(way, 64)) {
            final Database db = s.createDatabase(dir.resolve("reuse.root"), 1L << 20);
            final TypeId t = db.defineType("Rec", 3000, new int[0]);
            final List<Ref> kept = new ArrayList<>();
            final List<Ref> doomed = new ArrayList<>();
            try (Transaction tx = s.begin()) {
                final BessFile a = tx.createFile(db, "a");
                final BessFile b = tx.createFile(db, "b");
                for (int i = 0; i < 10; i++) {
                    final ObjectRef o = tx.allocate(a, t);
                    o.putLong(0, 100 + i);
                    doomed.add(o.ref());
                    final ObjectRef k = tx.allocate(b, t);
                    k.putLong(0, 200 + i);
                    kept.add(k.ref());
                }
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                // empty file a's segment: its data block is released; new allocations must not reuse it here
                for (final Ref r : doomed) {
                    tx.free(tx.open(r));
                }
                final BessFile c = tx.createFile(db, "c");
                for (int i = 0; i < 40; i++) {
                    tx.allocate(c, t).putLong(0, -1);
                }
                tx.abort();
            }
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < doomed.size(); i++) {
                    assertThat(tx.open(doomed.get(i)).getLong(0)).isEqualTo(100 + i);
                    assertThat(tx.open(kept.get(i)).getLong(0)).isEqualTo(200 + i);
                }
                tx.commit();
            }
        }
        assertHealthy(dir.resolve("reuse.root"));
    }
}
