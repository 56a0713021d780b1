package org.bess.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record that fills its segment to the last byte: the next record must start after the next segment's header (it
 * was written over the header, so the scan stopped there and recovery lost every record of the new segment), and a
 * scan and a reopen must read every record.
 */
@Timeout(60)
class LogSegmentBoundaryTest {
    private static final long SEGMENT = 1L << 20;

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryRecordWhenOneEndsExactlyAtTheSegmentEnd() {
        final List<Long> lsns = new ArrayList<>();
        try (LogWriter log = new LogWriter(new FileLogDevice(dir), SEGMENT)) {
            while (SEGMENT - log.endLsn() % SEGMENT > 2 * LogRecordDescriptor.recordLength(4000)) {
                lsns.add(log.append(LogRecordDescriptor.TYPE_PAGE_DIFF, (short) 0, 1, 0, ByteBuffer.allocate(4000)));
            }
            final int rest = (int) (SEGMENT - log.endLsn() % SEGMENT);
            final int half = rest / 2 / LogRecordDescriptor.ALIGNMENT * LogRecordDescriptor.ALIGNMENT;
            lsns.add(log.append(
                    LogRecordDescriptor.TYPE_PAGE_DIFF,
                    (short) 0,
                    2,
                    0,
                    ByteBuffer.allocate(half - LogRecordDescriptor.recordLength(0))));
            final int last = (int) (SEGMENT - log.endLsn() % SEGMENT);
            lsns.add(log.append(
                    LogRecordDescriptor.TYPE_PAGE_DIFF,
                    (short) 0,
                    3,
                    0,
                    ByteBuffer.allocate(last - LogRecordDescriptor.recordLength(0))));
            assertThat(log.endLsn() % SEGMENT)
                    .as("the segment is full to its last byte")
                    .isZero();
            for (int i = 0; i < 5; i++) {
                lsns.add(log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, 10 + i, 0, ByteBuffer.allocate(8)));
            }
            log.forceAll();
            assertThat(lsns.get(lsns.size() - 5))
                    .as("the first record of the next segment follows its header")
                    .isEqualTo(SEGMENT + LogSegmentHeaderDescriptor.HEADER_LENGTH);
        }
        assertThat(scan()).containsExactlyElementsOf(lsns);
        try (LogWriter log = new LogWriter(new FileLogDevice(dir), SEGMENT)) {
            lsns.add(log.append(LogRecordDescriptor.TYPE_COMMIT, (short) 0, 99, 0, ByteBuffer.allocate(8)));
            log.forceAll();
        }
        assertThat(scan()).containsExactlyElementsOf(lsns);
    }

    private List<Long> scan() {
        final List<Long> read = new ArrayList<>();
        final LogScanner scanner =
                new LogScanner(new FileLogDevice(dir), SEGMENT, LogSegmentHeaderDescriptor.HEADER_LENGTH);
        for (LogRecord r = scanner.next(); r != null; r = scanner.next()) {
            read.add(r.lsn());
        }
        return read;
    }
}
