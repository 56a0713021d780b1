package org.bess.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scanner's two ways to read (a whole segment mapped, or reads into a buffer) and its two ways to hand records out
 * (objects with a copied payload, or in place) see the same records and stop at the same defect for the same reason;
 * the log's open scan shows every valid record to its visitor.
 */
class LogScannerTest {
    private static final long SEGMENT = 1L << 20;
    private static final long FIRST = LogSegmentHeaderDescriptor.HEADER_LENGTH;

    @TempDir
    Path dir;

    /** One record as read: lsn, length, prev, txn, type, flags, then the payload. */
    private record Seen(long lsn, int length, long prevLsn, long txnId, short type, short flags, byte[] payload) {
        @Override
        public boolean equals(final Object o) {
            return o instanceof Seen s
                    && s.lsn == lsn
                    && s.length == length
                    && s.prevLsn == prevLsn
                    && s.txnId == txnId
                    && s.type == type
                    && s.flags == flags
                    && Arrays.equals(s.payload, payload);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(lsn);
        }

        static Seen of(final LogScanner r) {
            final byte[] p = new byte[r.payloadLength()];
            r.buffer().getBytes(r.payloadOffset(), p);
            return new Seen(r.lsn(), r.length(), r.prevLsn(), r.txnId(), r.type(), r.flags(), p);
        }
    }

    /** Writes records of random sizes over several segments; returns what was appended, in order. */
    private List<Seen> writeLog(final Path log, final int records) {
        final List<Seen> written = new ArrayList<>();
        final Random random = new Random(11);
        try (LogWriter w = new LogWriter(new FileLogDevice(log), SEGMENT)) {
            long prev = 0;
            for (int i = 0; i < records; i++) {
                final byte[] payload = new byte[random.nextInt(i % 50 == 0 ? 60_000 : 300)];
                random.nextBytes(payload);
                final short type = (short) (1 + random.nextInt(12));
                final long txn = random.nextInt(40);
                final long lsn = w.append(type, (short) random.nextInt(4), txn, prev, ByteBuffer.wrap(payload));
                written.add(new Seen(lsn, 0, prev, txn, type, (short) 0, payload));
                prev = lsn;
            }
            w.forceAll();
        }
        return written;
    }

    /** A device that cannot map (the way every wrapped device of the I/O seam reads). */
    private static LogDevice unmapped(final LogDevice d) {
        return new FaultyLogDevice(d);
    }

    private static List<Seen> scanInPlace(final LogScanner s, final String[] stop) {
        final List<Seen> seen = new ArrayList<>();
        try (s) {
            while (s.advance()) {
                seen.add(Seen.of(s));
            }
            stop[0] = s.stopReason() + " @" + s.position();
        }
        return seen;
    }

    private static List<Seen> scanObjects(final LogScanner s, final String[] stop) {
        final List<Seen> seen = new ArrayList<>();
        for (LogRecord r = s.next(); r != null; r = s.next()) {
            final byte[] p = new byte[r.payload().remaining()];
            r.body().get(p);
            seen.add(new Seen(r.lsn(), r.length(), r.prevLsn(), r.txnId(), r.type(), r.flags(), p));
        }
        stop[0] = s.stopReason() + " @" + s.position();
        return seen;
    }

    @Test
    void shouldSeeTheSameRecordsMappedReadAndInTheOpenScan() {
        final Path log = dir.resolve("log");
        final List<Seen> written = writeLog(log, 3000);
        try (FileLogDevice device = new FileLogDevice(log)) {
            assertThat(device.segments()).as("the log spans several segments").hasSizeGreaterThan(2);
            final String[] stopObjects = new String[1];
            final String[] stopMapped = new String[1];
            final String[] stopRead = new String[1];
            final List<Seen> objects = scanObjects(new LogScanner(device, SEGMENT, FIRST), stopObjects);
            final List<Seen> mapped = scanInPlace(LogScanner.sequential(device, SEGMENT, FIRST), stopMapped);
            final List<Seen> read = scanInPlace(LogScanner.sequential(unmapped(device), SEGMENT, FIRST), stopRead);
            assertThat(objects).hasSize(written.size());
            for (int i = 0; i < written.size(); i++) {
                assertThat(objects.get(i).lsn()).isEqualTo(written.get(i).lsn());
                assertThat(objects.get(i).payload()).isEqualTo(written.get(i).payload());
                assertThat(objects.get(i).txnId()).isEqualTo(written.get(i).txnId());
                assertThat(objects.get(i).type()).isEqualTo(written.get(i).type());
            }
            assertThat(mapped).isEqualTo(objects);
            assertThat(read).isEqualTo(objects);
            assertThat(stopMapped[0]).isEqualTo(stopObjects[0]).startsWith("end of log");
            assertThat(stopRead[0]).isEqualTo(stopObjects[0]);
        }
        final List<Seen> visited = new ArrayList<>();
        try (FileLogDevice device = new FileLogDevice(log)) {
            final List<Seen> objects = scanObjects(new LogScanner(device, SEGMENT, FIRST), new String[1]);
            try (LogWriter reopened = new LogWriter(new FileLogDevice(log), SEGMENT, r -> visited.add(Seen.of(r)))) {
                assertThat(visited).isEqualTo(objects);
                assertThat(reopened.endLsn())
                        .isEqualTo(objects.get(objects.size() - 1).lsn()
                                + objects.get(objects.size() - 1).length());
            }
        }
    }

    @Test
    void shouldStopAtTheSameDefectForTheSameReasonMappedAndRead() throws IOException {
        final Path pristine = dir.resolve("pristine");
        final List<Seen> written = writeLog(pristine, 1500);
        final Random random = new Random(3);
        // defects at records spread over the log: a flipped byte (checksum), a zero length, a garbage length, garbage
        for (int variant = 0; variant < 12; variant++) {
            final Path log = dir.resolve("damaged-" + variant);
            LogDamage.copyTree(pristine, log);
            final Seen victim = written.get(100 + random.nextInt(written.size() - 200));
            final long offset = victim.lsn() % SEGMENT;
            try (RandomAccessFile f = LogDamage.segmentOf(log, victim.lsn(), SEGMENT)) {
                LogDamage.damage(f, offset, variant, random, 40, Math.max(1, victim.payload().length), 0x10, 4096);
            }
            try (FileLogDevice device = new FileLogDevice(log)) {
                final String[] stopObjects = new String[1];
                final String[] stopMapped = new String[1];
                final String[] stopRead = new String[1];
                final List<Seen> objects = scanObjects(new LogScanner(device, SEGMENT, FIRST), stopObjects);
                final List<Seen> mapped = scanInPlace(LogScanner.sequential(device, SEGMENT, FIRST), stopMapped);
                final List<Seen> read = scanInPlace(LogScanner.sequential(unmapped(device), SEGMENT, FIRST), stopRead);
                assertThat(objects)
                        .as("variant %d: the damaged record is not read", variant)
                        .noneMatch(r -> r.lsn() == victim.lsn())
                        .hasSizeGreaterThanOrEqualTo(written.indexOf(victim));
                assertThat(mapped).as("variant %d", variant).isEqualTo(objects);
                assertThat(read).as("variant %d", variant).isEqualTo(objects);
                assertThat(stopMapped[0]).as("variant %d", variant).isEqualTo(stopObjects[0]);
                assertThat(stopRead[0]).as("variant %d", variant).isEqualTo(stopObjects[0]);
            }
        }
    }

    @Test
    void shouldSkipChecksumsOnlyBelowWhatAnEarlierScanChecked() throws IOException {
        final Path log = dir.resolve("log");
        final List<Seen> written = writeLog(log, 400);
        final Seen victim = written.get(300);
        try (RandomAccessFile f = new RandomAccessFile(
                log.resolve(LogSegmentHeaderDescriptor.fileName(victim.lsn() / SEGMENT))
                        .toFile(),
                "rw")) {
            // a payload byte: only the checksum can tell
            final long at = victim.lsn() % SEGMENT + 48;
            f.seek(at);
            final int b = f.read();
            f.seek(at);
            f.write(b ^ 1);
        }
        try (FileLogDevice device = new FileLogDevice(log)) {
            final String[] stop = new String[1];
            assertThat(scanInPlace(LogScanner.sequential(device, SEGMENT, FIRST).checkedUpTo(victim.lsn()), stop))
                    .hasSize(300);
            assertThat(stop[0]).startsWith("record checksum mismatch at lsn " + victim.lsn());
        }
    }

    @Test
    void shouldStopCleanlyOnASegmentOfGarbage() throws IOException {
        final Path log = dir.resolve("log");
        writeLog(log, 10);
        try (RandomAccessFile f = new RandomAccessFile(
                log.resolve(LogSegmentHeaderDescriptor.fileName(0)).toFile(), "rw")) {
            final byte[] garbage = new byte[(int) (SEGMENT - FIRST)];
            new Random(9).nextBytes(garbage);
            f.seek(FIRST);
            f.write(garbage);
        }
        try (FileLogDevice device = new FileLogDevice(log)) {
            final String[] stopMapped = new String[1];
            final String[] stopRead = new String[1];
            assertThat(scanInPlace(LogScanner.sequential(device, SEGMENT, FIRST), stopMapped))
                    .isEmpty();
            assertThat(scanInPlace(LogScanner.sequential(unmapped(device), SEGMENT, FIRST), stopRead))
                    .isEmpty();
            assertThat(stopMapped[0]).isEqualTo(stopRead[0]).endsWith("@" + FIRST);
        }
    }
}
