package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.server.log.FileLogDevice;
import org.bess.server.log.LogRecord;
import org.bess.server.log.LogScanner;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * WAL tail defects through the whole engine (TESTING.md row 5): acknowledged transfers that live only in the log (the
 * engine stops dead before any page is written back), then the log's tail is cut or damaged, and restart recovery
 * runs. Recovery must stop at the last valid record: every transfer whose {@code COMMIT} record lies wholly before the
 * damage is present, every later one absent (its changes rolled back), and the check is clean.
 */
@Timeout(900)
class LogTailRecoveryTest {
    private static final int ACCOUNTS = 16;
    private static final int TRANSFERS = 12;
    /** The default segment length (the recovering engine uses the default context). */
    private static final long SEGMENT = 64L << 20;

    @TempDir
    Path dir;

    private final List<long[]> transfers = new ArrayList<>();
    /** Records after the last checkpoint: {lsn, end, type}. */
    private final List<long[]> records = new ArrayList<>();
    /** End LSN of each transfer's COMMIT record, in transfer order. */
    private final List<Long> commitEnds = new ArrayList<>();

    private Path work() {
        return dir.resolve("work");
    }

    private Path node() {
        return work().resolve("node");
    }

    private Path root() {
        return work().resolve("db").resolve("bank.root");
    }

    private Context context() {
        return new Context().nodeDir(node()).cacheSizeBytes(8L << 20).checkpointLogBytes(1L << 30);
    }

    @BeforeEach
    void makeCrashedNode() throws IOException {
        java.nio.file.Files.createDirectories(root().getParent());
        try (Session s = BessServer.embedded(context())) {
            final Database db = s.createDatabase(root(), 1L << 20);
            final TypeId account = db.defineType("Account", 512, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "accounts");
                for (int i = 0; i < ACCOUNTS; i++) {
                    final ObjectRef a = tx.allocate(f, account);
                    a.putLong(0, BankWorkload.INITIAL);
                    a.putLong(8, i);
                }
                tx.commit();
            }
        }
        final Random random = new Random(5);
        final Session s = BessServer.embedded(context());
        final Ref[] refs = BankWorkload.accounts(s, s.openDatabase(root()), ACCOUNTS);
        for (int n = 0; n < TRANSFERS; n++) {
            final int from = random.nextInt(ACCOUNTS);
            final int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            final long amount = 1 + random.nextInt(100);
            BankWorkload.transfer(s, refs[from], refs[to], amount);
            transfers.add(new long[] {from, to, amount});
        }
        // the power goes: no write-back, no checkpoint; the transfers exist only in the log
        ((EmbeddedSession) s).crash();
        try (FileLogDevice device = new FileLogDevice(node().resolve("log"))) {
            final List<Long> segments = device.segments();
            final LogScanner scanner = new LogScanner(
                    device, SEGMENT, segments.get(0) * SEGMENT + LogSegmentHeaderDescriptor.HEADER_LENGTH);
            for (LogRecord r = scanner.next(); r != null; r = scanner.next()) {
                if (r.type() == LogRecordDescriptor.TYPE_CHECKPOINT) {
                    records.clear();
                    commitEnds.clear();
                }
                records.add(new long[] {r.lsn(), r.endLsn(), r.type()});
                if (r.type() == LogRecordDescriptor.TYPE_COMMIT) {
                    commitEnds.add(r.endLsn());
                }
            }
        }
        assertThat(commitEnds)
                .as("one commit per transfer after the last checkpoint")
                .hasSize(TRANSFERS);
        CrashHarness.copyTree(work(), dir.resolve("pristine"));
    }

    /** The balances with the transfers whose commit record ends at or before {@code validEnd}. */
    private long[] expected(final long validEnd) {
        final long[] b = new long[ACCOUNTS];
        Arrays.fill(b, BankWorkload.INITIAL);
        for (int i = 0; i < TRANSFERS; i++) {
            if (commitEnds.get(i) <= validEnd) {
                final long[] t = transfers.get(i);
                b[(int) t[0]] -= t[2];
                b[(int) t[1]] += t[2];
            }
        }
        return b;
    }

    private Path segmentFile(final long lsn) {
        return node().resolve("log").resolve(LogSegmentHeaderDescriptor.fileName(lsn / SEGMENT));
    }

    /** Restores the crashed node, lets {@code damage} change the log, recovers and checks against the valid end. */
    private void recoverAndVerify(final String what, final long validEnd, final boolean check, final Damage damage)
            throws IOException {
        CrashHarness.copyTree(dir.resolve("pristine"), work());
        damage.apply();
        final CrashHarness.Recovered r = CrashHarness.recover(node(), root(), ACCOUNTS);
        assertThat(r.balances())
                .as("%s: recovery must stop at lsn %d (%s)", what, validEnd, r.summary())
                .isEqualTo(expected(validEnd));
        if (check) {
            assertThat(CrashHarness.check(root(), dir.resolve("check")))
                    .as(what)
                    .isEmpty();
        }
    }

    @FunctionalInterface
    private interface Damage {
        void apply() throws IOException;
    }

    private void cutEveryByteOfTheLastRecords(final int lastRecords, final int checkEvery) throws IOException {
        final long end = records.get(records.size() - 1)[1];
        final long from = records.get(records.size() - lastRecords)[0];
        assertThat(from / SEGMENT).as("the tail is in one segment").isEqualTo(end / SEGMENT);
        int cases = 0;
        for (long cut = from; cut <= end; cut++) {
            long validEnd = from;
            for (final long[] rec : records) {
                if (rec[1] <= cut) {
                    validEnd = rec[1];
                }
            }
            final long at = cut;
            final boolean boundary = validEnd == cut;
            recoverAndVerify("log cut at byte " + cut, validEnd, boundary || cases % checkEvery == 0, () -> {
                try (RandomAccessFile f = new RandomAccessFile(segmentFile(at).toFile(), "rw")) {
                    f.setLength(at % SEGMENT);
                }
            });
            cases++;
        }
        System.out.printf(
                "log tail: cut at every byte of the last %d records: %d offsets recovered%n", lastRecords, cases);
    }

    @Test
    void shouldStopAtTheLastValidRecordWhenTheLogIsCutAtAnyByteOfItsLastTwoRecords() throws IOException {
        cutEveryByteOfTheLastRecords(2, 8);
    }

    @Test
    @Tag("slow")
    void shouldStopAtTheLastValidRecordWhenTheLogIsCutAtAnyByteOfItsLastSixRecords() throws IOException {
        cutEveryByteOfTheLastRecords(6, 1);
    }

    @Test
    void shouldStopBeforeADamagedRecordAmongTheLastOnes() throws IOException {
        int cases = 0;
        final int victims = Math.min(8, records.size() - 1);
        for (int v = records.size() - victims; v < records.size(); v++) {
            final long victim = records.get(v)[0];
            final long victimEnd = records.get(v)[1];
            final long logEnd = records.get(records.size() - 1)[1];
            final String type = LogRecordDescriptor.typeName((short) records.get(v)[2]);
            recoverAndVerify(type + " at " + victim + ": zero length", victim, true, () -> putInt(victim, 0));
            recoverAndVerify(type + " at " + victim + ": short length", victim, true, () -> putInt(victim, 16));
            recoverAndVerify(
                    type + " at " + victim + ": length past the log end",
                    victim,
                    true,
                    () -> putInt(victim, (int) (logEnd - victim + 64)));
            recoverAndVerify(
                    type + " at " + victim + ": crc byte changed",
                    victim,
                    true,
                    () -> flip(victim + LogRecordDescriptor.CHECKSUM_OFFSET, 0x01));
            recoverAndVerify(
                    type + " at " + victim + ": last byte changed", victim, true, () -> flip(victimEnd - 1, 0x80));
            recoverAndVerify(type + " at " + victim + ": garbage to the end", victim, true, () -> {
                final byte[] junk = new byte[(int) (logEnd - victim)];
                new Random(victim).nextBytes(junk);
                write(victim, junk);
            });
            recoverAndVerify(
                    type + " at " + victim + ": zeros to the end",
                    victim,
                    true,
                    () -> write(victim, new byte[(int) (logEnd - victim)]));
            cases += 7;
        }
        System.out.printf("log tail: %d damaged-record variants over the last %d records recovered%n", cases, victims);
    }

    private void putInt(final long lsn, final int value) throws IOException {
        write(
                lsn + LogRecordDescriptor.LENGTH_OFFSET,
                ByteBuffer.allocate(4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(0, value)
                        .array());
    }

    private void flip(final long lsn, final int mask) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(segmentFile(lsn).toFile(), "rw")) {
            f.seek(lsn % SEGMENT);
            final int b = f.read();
            f.seek(lsn % SEGMENT);
            f.write(b ^ mask);
        }
    }

    private void write(final long lsn, final byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(segmentFile(lsn).toFile(), "rw")) {
            f.seek(lsn % SEGMENT);
            f.write(bytes);
        }
    }
}
