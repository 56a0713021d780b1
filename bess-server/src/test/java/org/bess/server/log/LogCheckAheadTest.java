package org.bess.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scan whose checksums a second thread verifies ahead ({@link LogScanner#checkAhead()}) sees the same records as one
 * that checks every record itself and stops at the same first invalid record, for the same reason, wherever it is (a
 * flipped payload byte only the checksum shows, a zero or garbage length, a run of garbage), whether that thread
 * reached the defect before the scan or not; it computes no checksum of a record the thread verified; and a device
 * that does not map leaves the scan to check everything.
 */
class LogCheckAheadTest {
    private static final long SEGMENT = 1L << 20;
    private static final long FIRST = LogSegmentHeaderDescriptor.HEADER_LENGTH;

    @TempDir
    Path dir;

    /** A record as seen by a scan: its LSN, type, transaction and payload. */
    private record Seen(long lsn, short type, long txnId, List<Byte> payload) {
        static Seen of(final LogScanner r) {
            final byte[] p = new byte[r.payloadLength()];
            r.buffer().getBytes(r.payloadOffset(), p);
            final List<Byte> bytes = new ArrayList<>(p.length);
            for (final byte b : p) {
                bytes.add(b);
            }
            return new Seen(r.lsn(), r.type(), r.txnId(), bytes);
        }
    }

    /** What a scan saw, and where and why it stopped. */
    private record Scan(List<Seen> records, String stop, long position) {}

    /** Writes records of random sizes over several segments; returns their LSNs in order. */
    private static List<Long> writeLog(final Path log, final int records) {
        final List<Long> lsns = new ArrayList<>();
        final Random random = new Random(17);
        try (LogWriter w = new LogWriter(new FileLogDevice(log), SEGMENT)) {
            for (int i = 0; i < records; i++) {
                final byte[] payload = new byte[8 + random.nextInt(i % 40 == 0 ? 30_000 : 400)];
                random.nextBytes(payload);
                lsns.add(w.append((short) (1 + random.nextInt(12)), (short) 0, i % 30, 0, ByteBuffer.wrap(payload)));
            }
            w.forceAll();
        }
        return lsns;
    }

    /** Scans from the first record; with {@code waitForChecker}, lets the checking thread finish before the scan. */
    private static Scan scan(final LogScanner s, final boolean waitForChecker) {
        final List<Seen> seen = new ArrayList<>();
        try (s) {
            if (waitForChecker) {
                s.ahead().awaitEnd();
            }
            while (s.advance()) {
                seen.add(Seen.of(s));
            }
            return new Scan(seen, s.stopReason(), s.position());
        }
    }

    @Test
    void shouldSeeTheSameRecordsAsAScanThatChecksEverything() {
        final Path log = dir.resolve("log");
        final List<Long> lsns = writeLog(log, 4000);
        try (FileLogDevice device = new FileLogDevice(log)) {
            assertThat(device.segments()).as("the log spans several segments").hasSizeGreaterThan(2);
            final Scan plain = scan(LogScanner.sequential(device, SEGMENT, FIRST), false);
            assertThat(plain.records()).hasSize(lsns.size());
            assertThat(scan(LogScanner.sequential(device, SEGMENT, FIRST).checkAhead(), false))
                    .isEqualTo(plain);
            assertThat(scan(LogScanner.sequential(device, SEGMENT, FIRST).checkAhead(), true))
                    .isEqualTo(plain);
            try (LogScanner s = LogScanner.sequential(device, SEGMENT, FIRST).checkAhead()) {
                s.ahead().awaitEnd();
                assertThat(s.ahead().verified())
                        .as("the thread verified every record")
                        .isEqualTo(plain.position());
                assertThat(s.ahead().stopReason()).isEqualTo("end of log");
            }
        }
    }

    @Test
    void shouldStopAtTheFirstInvalidRecordInTheMiddleOfTheLog() throws IOException {
        final Path pristine = dir.resolve("pristine");
        final List<Long> lsns = writeLog(pristine, 2000);
        final Random random = new Random(5);
        for (int variant = 0; variant < 16; variant++) {
            final Path log = dir.resolve("damaged-" + variant);
            LogDamage.copyTree(pristine, log);
            final int index = 200 + random.nextInt(lsns.size() - 400);
            final long victim = lsns.get(index);
            try (RandomAccessFile f = LogDamage.segmentOf(log, victim, SEGMENT)) {
                final long offset = victim % SEGMENT;
                // case 0: a payload byte, only the checksum tells
                LogDamage.damage(f, offset, variant, random, 48, 8, 0x40, 2048);
            }
            try (FileLogDevice device = new FileLogDevice(log)) {
                final Scan plain = scan(LogScanner.sequential(device, SEGMENT, FIRST), false);
                // a zero length says the rest of the segment is unused: the log goes on in the next one
                assertThat(plain.records())
                        .as("variant %d: the damaged record is not read", variant)
                        .noneMatch(r -> r.lsn() == victim)
                        .hasSizeGreaterThanOrEqualTo(index);
                if (variant % 4 != 1) {
                    assertThat(plain.records())
                            .as("variant %d: it ends the log", variant)
                            .hasSize(index);
                }
                assertThat(scan(LogScanner.sequential(device, SEGMENT, FIRST).checkAhead(), true))
                        .as("variant %d, the thread at the defect first", variant)
                        .isEqualTo(plain);
                assertThat(scan(LogScanner.sequential(device, SEGMENT, FIRST).checkAhead(), false))
                        .as("variant %d, both at once", variant)
                        .isEqualTo(plain);
                try (LogScanner s =
                        LogScanner.sequential(device, SEGMENT, FIRST).checkAhead()) {
                    s.ahead().awaitEnd();
                    assertThat(s.ahead().verified())
                            .as("variant %d: the thread stops where the scan does", variant)
                            .isEqualTo(plain.position());
                }
            }
        }
    }

    @Test
    void shouldComputeNoChecksumOfARecordTheThreadVerified() throws IOException {
        final Path log = dir.resolve("log");
        final List<Long> lsns = writeLog(log, 1000);
        final long victim = lsns.get(700);
        try (FileLogDevice device = new FileLogDevice(log);
                LogScanner s = LogScanner.sequential(device, SEGMENT, FIRST).checkAhead()) {
            s.ahead().awaitEnd();
            assertThat(s.ahead().verified()).isGreaterThan(victim);
            // changed after the thread verified it (nothing does that to a real log while it is scanned): the scan
            // takes the thread's word for the checksum, so it reads the changed record
            try (RandomAccessFile f = LogDamage.segmentOf(log, victim, SEGMENT)) {
                final long at = victim % SEGMENT + 48;
                f.seek(at);
                final int b = f.read();
                f.seek(at);
                f.write(b ^ 1);
            }
            int records = 0;
            while (s.advance()) {
                records++;
            }
            assertThat(records).isEqualTo(lsns.size());
        }
        try (FileLogDevice device = new FileLogDevice(log)) {
            final Scan plain = scan(LogScanner.sequential(device, SEGMENT, FIRST), false);
            assertThat(plain.records()).as("a scan that checks it stops there").hasSize(700);
            assertThat(plain.stop()).startsWith("record checksum mismatch at lsn " + victim);
        }
    }

    @Test
    void shouldLeaveEveryCheckToTheScanOnADeviceThatDoesNotMap() throws IOException {
        final Path log = dir.resolve("log");
        final List<Long> lsns = writeLog(log, 1500);
        final long victim = lsns.get(900);
        try (RandomAccessFile f = LogDamage.segmentOf(log, victim, SEGMENT)) {
            final long at = victim % SEGMENT + 50;
            f.seek(at);
            final int b = f.read();
            f.seek(at);
            f.write(b ^ 4);
        }
        try (FileLogDevice device = new FileLogDevice(log)) {
            final LogDevice unmapped = new FaultyLogDevice(device);
            final Scan plain = scan(LogScanner.sequential(unmapped, SEGMENT, FIRST), false);
            assertThat(plain.records()).hasSize(900);
            assertThat(plain.stop()).startsWith("record checksum mismatch at lsn " + victim);
            try (LogScanner s = LogScanner.sequential(unmapped, SEGMENT, FIRST).checkAhead()) {
                s.ahead().awaitEnd();
                assertThat(s.ahead().verified()).as("nothing verified").isEqualTo(FIRST);
            }
            assertThat(scan(LogScanner.sequential(unmapped, SEGMENT, FIRST).checkAhead(), false))
                    .isEqualTo(plain);
        }
    }

    @Test
    void shouldCheckAheadInTheOpenScanOnlyWhenAsked() {
        final Path log = dir.resolve("log");
        writeLog(log, 12_000);
        final String before = System.getProperty("bess.log.check.ahead");
        try (FileLogDevice device = new FileLogDevice(log)) {
            final List<Long> segments = device.segments();
            long bytes = 0;
            for (final long s : segments) {
                bytes += device.size(s);
            }
            assertThat(bytes).isGreaterThanOrEqualTo(LogWriter.CHECK_AHEAD_MIN_BYTES);
            System.clearProperty("bess.log.check.ahead");
            assertThat(LogWriter.checkAhead(device, segments))
                    .as("off by default")
                    .isFalse();
            System.setProperty("bess.log.check.ahead", "true");
            assertThat(LogWriter.checkAhead(device, segments)).isTrue();
            System.setProperty("bess.log.check.ahead", "auto");
            assertThat(LogWriter.checkAhead(device, segments))
                    .as("auto: a long log on a machine with more than one processor")
                    .isEqualTo(Runtime.getRuntime().availableProcessors() > 1);
            assertThat(LogWriter.checkAhead(device, segments.subList(0, 1)))
                    .as("auto: not for a short log")
                    .isFalse();
        } finally {
            if (before == null) {
                System.clearProperty("bess.log.check.ahead");
            } else {
                System.setProperty("bess.log.check.ahead", before);
            }
        }
    }

    @Test
    void shouldFindTheSameEndInTheLogsOpenScan() throws IOException {
        final Path log = dir.resolve("log");
        final List<Long> lsns = writeLog(log, 1200);
        final long victim = lsns.get(1100);
        try (RandomAccessFile f = LogDamage.segmentOf(log, victim, SEGMENT)) {
            f.seek(victim % SEGMENT + 60);
            f.write(new byte[] {1, 2, 3});
        }
        final List<Long> visited = new ArrayList<>();
        final String before = System.getProperty("bess.log.check.ahead");
        System.setProperty("bess.log.check.ahead", "true");
        try (LogWriter w = new LogWriter(new FileLogDevice(log), SEGMENT, r -> visited.add(r.lsn()))) {
            assertThat(visited).isEqualTo(lsns.subList(0, 1100));
            assertThat(w.endLsn()).isEqualTo(victim);
        } finally {
            if (before == null) {
                System.clearProperty("bess.log.check.ahead");
            } else {
                System.setProperty("bess.log.check.ahead", before);
            }
        }
    }
}
