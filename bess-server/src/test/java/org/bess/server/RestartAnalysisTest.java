package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.server.log.FileLogDevice;
import org.bess.server.log.LogScanner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restart's analysis runs inside the log's open scan (one pass finds the end, the transactions and the next
 * transaction id): recovery from it brings back every commit, hands out transaction ids above every id in the log, and
 * falls back to analysing the whole log when the master record names something that is not a checkpoint record.
 */
class RestartAnalysisTest {
    private static final int OBJECTS = 8;
    private static final int COMMITS = 10;
    private static final long SEGMENT = 64L << 20;

    @TempDir
    Path dir;

    private Context context() {
        return new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(8L << 20)
                .checkpointLogBytes(1L << 30);
    }

    private Path root() {
        return dir.resolve("db").resolve("a.root");
    }

    /** The counters of a session, by number (kept at offset 8). */
    private static Ref[] counters(final Session s, final Database db) {
        final Ref[] refs = new Ref[OBJECTS];
        try (Transaction tx = s.begin();
                Cursor c = tx.scan(tx.file(db, "counters"))) {
            while (c.next()) {
                refs[(int) c.object().getLong(8)] = c.object().ref();
            }
            tx.commit();
        }
        return refs;
    }

    /** A node whose last {@link #COMMITS} commits live only in the log. */
    private void crashedNode() throws IOException {
        Files.createDirectories(root().getParent());
        try (Session s = BessServer.embedded(context())) {
            final Database db = s.createDatabase(root(), 1L << 20);
            final TypeId type = db.defineType("Counter", 64, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "counters");
                for (int i = 0; i < OBJECTS; i++) {
                    final ObjectRef o = tx.allocate(f, type);
                    o.putLong(0, 0);
                    o.putLong(8, i);
                }
                tx.commit();
            }
        }
        final Session s = BessServer.embedded(context());
        final Ref[] refs = counters(s, s.openDatabase(root()));
        for (int n = 1; n <= COMMITS; n++) {
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < OBJECTS; i++) {
                    final ObjectRef o = tx.open(refs[i]);
                    o.putLong(0, o.getLong(0) + n);
                }
                tx.commit();
            }
        }
        ((EmbeddedSession) s).crash();
    }

    /** {highest transaction id, LSN of the last COMMIT record} in the log. */
    private long[] scanLog() {
        long highest = 0;
        long lastCommit = -1;
        try (FileLogDevice device = new FileLogDevice(dir.resolve("node").resolve("log"))) {
            final long first = device.segments().get(0) * SEGMENT + LogSegmentHeaderDescriptor.HEADER_LENGTH;
            try (LogScanner s = LogScanner.sequential(device, SEGMENT, first)) {
                while (s.advance()) {
                    highest = Math.max(highest, s.txnId());
                    if (s.type() == LogRecordDescriptor.TYPE_COMMIT) {
                        lastCommit = s.lsn();
                    }
                }
            }
        }
        return new long[] {highest, lastCommit};
    }

    private void assertEveryCommit(final Session s) {
        final Ref[] refs = counters(s, s.openDatabase(root()));
        final long expected = (long) COMMITS * (COMMITS + 1) / 2;
        try (Transaction tx = s.begin()) {
            for (final Ref r : refs) {
                assertThat(tx.open(r).getLong(0)).isEqualTo(expected);
            }
            tx.commit();
        }
    }

    @Test
    void shouldRecoverEveryCommitAndHandOutTransactionIdsAboveTheLog() throws IOException {
        crashedNode();
        final long highest = scanLog()[0];
        try (Session s = BessServer.embedded(context())) {
            assertThat(BessServer.recoverySummary(s))
                    .contains("recovered: log bytes")
                    .contains("log scan and analysis");
            assertThat(((EmbeddedSession) s).server().txns().nextTxnId()).isGreaterThan(highest);
            assertEveryCommit(s);
        }
    }

    @Test
    void shouldAnalyseTheWholeLogWhenTheMasterRecordNamesNoCheckpoint() throws IOException {
        crashedNode();
        final long[] log = scanLog();
        // the master record names a valid record that is not a checkpoint: the open scan's analysis never starts
        MasterRecord.write(dir.resolve("node").resolve("log"), log[1]);
        try (Session s = BessServer.embedded(context())) {
            assertThat(BessServer.recoverySummary(s)).contains("recovered: log bytes");
            assertThat(((EmbeddedSession) s).server().txns().nextTxnId()).isGreaterThan(log[0]);
            assertEveryCommit(s);
        }
    }
}
