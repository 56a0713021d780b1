package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.server.txn.PageDiff;
import org.junit.jupiter.api.Test;

/**
 * The applying half of redo on its own thread: records of one page land in the order they were added, full images
 * and diffs alike; a corrupt record surfaces as a recovery failure on the producer's side; the thread is stopped by
 * close on every path.
 */
class RedoApplierTest {
    private static final int PAGE = PageHeaderDescriptor.PAGE_LENGTH;
    /** Room for one record payload per slot. */
    private static final int SLOT = 64;

    private static boolean applierAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("bess-redo-apply") && t.isAlive());
    }

    /** A PAGE_DIFF payload that writes {@code value} at {@code offset} (one range of 8 bytes). */
    private static void diff(final UnsafeBuffer b, final int at, final int offset, final long value, final int count) {
        b.setMemory(at, SLOT, (byte) 0);
        b.putInt(at + PageDiff.PAGE_ID_LENGTH, count);
        final int r = at + PageDiff.PAGE_ID_LENGTH + Integer.BYTES;
        b.putShort(r, (short) offset);
        b.putShort(r + Short.BYTES, (short) Long.BYTES);
        b.putLong(r + 2 * Short.BYTES, ~value); // before image
        b.putLong(r + 2 * Short.BYTES + Long.BYTES, value); // after image
    }

    @Test
    void shouldApplyRecordsOfAPageInTheOrderTheyWereAdded() {
        final int records = 50_000;
        final ByteBuffer log = ByteBuffer.allocateDirect(records * SLOT).order(ByteOrder.LITTLE_ENDIAN);
        final UnsafeBuffer l = new UnsafeBuffer(log);
        final ByteBuffer image = ByteBuffer.allocateDirect(PageDiff.PAGE_ID_LENGTH + PAGE);
        final UnsafeBuffer img = new UnsafeBuffer(image);
        for (int i = 0; i < PAGE; i += Long.BYTES) {
            img.putLong(PageDiff.PAGE_ID_LENGTH + i, 7);
        }
        final ByteBuffer frames = ByteBuffer.allocateDirect(2 * PAGE);
        final UnsafeBuffer f = new UnsafeBuffer(frames);
        try (RedoApplier a = RedoApplier.threaded()) {
            a.add(img.addressOffset(), image.capacity(), LogRecordDescriptor.TYPE_FULL_PAGE, f.addressOffset());
            for (int i = 0; i < records; i++) {
                // alternate between the two pages; each record of a page overwrites the one before
                diff(l, i * SLOT, 8 * (i % 4), i, 1);
                a.add(
                        l.addressOffset() + (long) i * SLOT,
                        SLOT,
                        LogRecordDescriptor.TYPE_PAGE_DIFF,
                        f.addressOffset() + (long) (i % 2) * PAGE);
            }
            a.drain();
        }
        assertThat(applierAlive()).isFalse();
        // page 0 got records 0, 2, 4, ... at offsets 0 and 16; page 1 records 1, 3, ... at offsets 8 and 24
        assertThat(f.getLong(0)).isEqualTo(records - 4);
        assertThat(f.getLong(16)).isEqualTo(records - 2);
        assertThat(f.getLong(8)).isEqualTo(7);
        assertThat(f.getLong(PAGE - 8)).isEqualTo(7);
        assertThat(f.getLong(PAGE + 8)).isEqualTo(records - 3);
        assertThat(f.getLong(PAGE + 24)).isEqualTo(records - 1);
    }

    @Test
    void shouldReportACorruptRecordAsARecoveryFailureAndStopItsThread() {
        final ByteBuffer log = ByteBuffer.allocateDirect(2 * SLOT).order(ByteOrder.LITTLE_ENDIAN);
        final UnsafeBuffer l = new UnsafeBuffer(log);
        final ByteBuffer frame = ByteBuffer.allocateDirect(PAGE);
        final long address = new UnsafeBuffer(frame).addressOffset();
        diff(l, 0, 0, 1, 1);
        diff(l, SLOT, 0, 2, 1 << 20); // a range count no page diff can have
        final RedoApplier a = RedoApplier.threaded();
        try {
            a.add(l.addressOffset(), SLOT, LogRecordDescriptor.TYPE_PAGE_DIFF, address);
            a.add(l.addressOffset() + SLOT, SLOT, LogRecordDescriptor.TYPE_PAGE_DIFF, address);
            assertThatThrownBy(a::drain)
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("recovery: redo failed applying a page record")
                    .hasMessageContaining("range count")
                    .satisfies(e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.BAD_FORMAT));
        } finally {
            a.close();
        }
        assertThat(applierAlive()).isFalse();
    }

    @Test
    void shouldStopItsThreadWhenClosedWithoutDraining() {
        final RedoApplier a = RedoApplier.threaded();
        assertThat(applierAlive()).isTrue();
        a.close();
        assertThat(applierAlive()).isFalse();
    }
}
