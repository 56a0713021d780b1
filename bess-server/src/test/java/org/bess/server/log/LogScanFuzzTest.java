package org.bess.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.server.BessServer;
import org.bess.server.Context;

/**
 * Coverage-guided fuzzing of the log's record framing (TESTING.md rows 5 and 10): a real log segment written by the
 * engine has bytes of the fuzzer's choosing written over it at an offset of its choosing; the scanner must never
 * throw, must stop with a reason, and must return every record that ends before the damage, unchanged (recovery
 * stops at the last valid record, and loses nothing before it). {@code mvn verify} replays the corpus in
 * {@code LogScanFuzzTestInputs}; {@code -Pfuzz} (README) fuzzes for a while.
 */
class LogScanFuzzTest {
    private static final long FIRST = LogSegmentHeaderDescriptor.HEADER_LENGTH;
    private static final byte[] SEGMENT;
    private static final long SEGMENT_LENGTH;
    /** {lsn, length} of every record of the clean segment. */
    private static final List<long[]> RECORDS = new ArrayList<>();

    private static final int USED;

    static {
        try {
            final Path dir = Files.createTempDirectory("bess-logfuzz");
            try {
                SEGMENT = realSegment(dir);
            } finally {
                try (Stream<Path> paths = Files.walk(dir)) {
                    for (final Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        SEGMENT_LENGTH = ByteBuffer.wrap(SEGMENT)
                .order(ByteOrder.LITTLE_ENDIAN)
                .getLong(LogSegmentHeaderDescriptor.SEGMENT_LENGTH_OFFSET);
        try (LogScanner s = new LogScanner(new BytesDevice(SEGMENT), SEGMENT_LENGTH, FIRST)) {
            while (s.advance()) {
                RECORDS.add(new long[] {s.lsn(), s.length()});
            }
        }
        final long[] last = RECORDS.get(RECORDS.size() - 1);
        USED = (int) (last[0] + last[1]);
    }

    /** A small engine run: a database, a file, a few committed and one aborted transaction; its log's segment 0. */
    private static byte[] realSegment(final Path dir) throws IOException {
        final Context context = new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(4L << 20)
                .logSegmentBytes(1L << 20);
        try (BessServer server = BessServer.start(context);
                Session s = server.openSession()) {
            final Database db = s.createDatabase(dir.resolve("db.root"), 1L << 20);
            final TypeId t = db.defineType("T", 40, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "f");
                for (int i = 0; i < 20; i++) {
                    tx.allocate(f, t).putLong(0, i);
                }
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                tx.allocate(tx.file(db, "f"), t).putLong(8, 99);
                tx.abort();
            }
        }
        final byte[] all =
                Files.readAllBytes(dir.resolve("node").resolve("log").resolve(LogSegmentHeaderDescriptor.fileName(0)));
        // the used part and a zeroed tail (the end of the log) is all a scan reads
        int end = all.length;
        while (end > FIRST && all[end - 1] == 0) {
            end--;
        }
        return java.util.Arrays.copyOf(all, Math.min(all.length, end + 4096));
    }

    @FuzzTest(maxDuration = "60s")
    void stopsAtTheLastValidRecordWithoutThrowing(final FuzzedDataProvider data) {
        final byte[] segment = SEGMENT.clone();
        final int at = (int) FIRST + data.consumeInt(0, USED - (int) FIRST);
        final byte[] damage = data.consumeRemainingAsBytes();
        final int n = Math.min(damage.length, segment.length - at);
        System.arraycopy(damage, 0, segment, at, n);
        final List<long[]> seen = new ArrayList<>();
        try (LogScanner s = new LogScanner(new BytesDevice(segment), SEGMENT_LENGTH, FIRST)) {
            while (s.advance()) {
                seen.add(new long[] {s.lsn(), s.length()});
                assertThat(seen.size()).as("records scanned").isLessThanOrEqualTo(segment.length / 32);
            }
            assertThat(s.stopReason()).isNotBlank();
        }
        int intact = 0;
        for (final long[] r : RECORDS) {
            if (r[0] + r[1] <= at || n == 0) {
                intact++;
            } else {
                break;
            }
        }
        assertThat(seen.size()).as("records before the damage at %d", at).isGreaterThanOrEqualTo(intact);
        for (int i = 0; i < intact; i++) {
            assertThat(seen.get(i)).isEqualTo(RECORDS.get(i));
        }
    }

    /** Segment 0 of a log, in memory. */
    private static final class BytesDevice implements LogDevice {
        private final byte[] bytes;

        BytesDevice(final byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public List<Long> segments() {
            return List.of(0L);
        }

        @Override
        public void create(final long index, final ByteBuffer header) {
            throw new UnsupportedOperationException("read only");
        }

        @Override
        public int read(final long index, final long offset, final ByteBuffer dst) {
            if (index != 0 || offset >= bytes.length) {
                return 0;
            }
            final int n = (int) Math.min(dst.remaining(), bytes.length - offset);
            dst.put(bytes, (int) offset, n);
            return n;
        }

        @Override
        public void write(final long index, final long offset, final ByteBuffer src) {
            throw new UnsupportedOperationException("read only");
        }

        @Override
        public void force(final long index) {}

        @Override
        public void truncate(final long index, final long length) {
            throw new UnsupportedOperationException("read only");
        }

        @Override
        public void delete(final long index) {
            throw new UnsupportedOperationException("read only");
        }

        @Override
        public long size(final long index) {
            return index == 0 ? bytes.length : 0;
        }

        @Override
        public void close() {}
    }
}
