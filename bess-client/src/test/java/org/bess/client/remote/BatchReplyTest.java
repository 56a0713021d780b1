package org.bess.client.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.SlotDescriptor;
import org.junit.jupiter.api.Test;

/**
 * The decoders of the batch replies, {@code SEGMENT_SLOTS_MANY} and {@code FETCH_PAGES}: well-formed replies decode;
 * every truncation, lying statuses, lengths and counts, and random garbage are refused with {@code PROTOCOL} only.
 */
class BatchReplyTest {
    private static ByteBuffer many(final boolean skipSecond) {
        final ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(3); // root window
        b.putInt(1).putInt(0).putInt(4).putLong(64); // one area
        for (int i = 0; i < 3; i++) {
            if (i == 1 && skipSecond) {
                b.putInt(0);
                continue;
            }
            b.putInt(1).putInt((i + 1) * SlotDescriptor.SLOT_LENGTH);
            for (int k = 0; k < (i + 1) * SlotDescriptor.SLOT_LENGTH; k++) {
                b.put((byte) (i + k));
            }
        }
        return b.flip();
    }

    @Test
    void shouldDecodeAManyReply() {
        final SegmentSlots.ManyReply r = SegmentSlots.ManyReply.read(many(true), 3, null);
        assertThat(r.rootWindow).isEqualTo(3);
        assertThat(r.areas.get(0)).containsExactly(4, 64);
        assertThat(r.slots[0]).hasSize(SlotDescriptor.SLOT_LENGTH);
        assertThat(r.slots[1]).as("skipped").isNull();
        assertThat(r.slots[2]).hasSize(3 * SlotDescriptor.SLOT_LENGTH);
    }

    @Test
    void shouldRefuseEveryTruncationOfAManyReply() {
        final ByteBuffer full = many(false);
        for (int n = 0; n < full.limit(); n++) {
            final ByteBuffer b = full.duplicate().order(ByteOrder.LITTLE_ENDIAN).limit(n);
            assertThatThrownBy(() -> SegmentSlots.ManyReply.read(b, 3, null))
                    .as("truncated at %d bytes", n)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL))
                    .hasMessageContaining("SEGMENT_SLOTS_MANY");
        }
    }

    /** A well-formed reply of three segments with the appended next segments (the second skipped). */
    private static ByteBuffer manyWithNext() {
        final ByteBuffer body = many(true);
        final ByteBuffer b = ByteBuffer.allocate(body.limit() + 3 * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(body).putLong(9).putLong(0).putLong(0xFFFF_FFFFL);
        return b.flip();
    }

    @Test
    void shouldDecodeTheAppendedNextSegmentsOfAManyReply() {
        final SegmentSlots.ManyReply r = SegmentSlots.ManyReply.read(manyWithNext(), 3, null);
        assertThat(r.next).containsExactly(9, 0, 0xFFFF_FFFFL);
        assertThat(SegmentSlots.ManyReply.read(many(true), 3, null).next)
                .as("an older server's reply")
                .isNull();
        final ByteBuffer full = manyWithNext();
        final int withoutNext = full.limit() - 3 * Long.BYTES;
        for (int n = withoutNext + 1; n < full.limit(); n++) {
            final ByteBuffer b = full.duplicate().order(ByteOrder.LITTLE_ENDIAN).limit(n);
            assertThatThrownBy(() -> SegmentSlots.ManyReply.read(b, 3, null))
                    .as("next segments truncated at %d bytes", n)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL))
                    .hasMessageContaining("next segment");
        }
        for (final long bad : new long[] {-1, 1L << 32, Long.MIN_VALUE}) {
            final ByteBuffer b = manyWithNext();
            b.putLong(withoutNext + Long.BYTES, bad);
            assertThatThrownBy(() -> SegmentSlots.ManyReply.read(b, 3, null))
                    .as("next segment %d", bad)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL))
                    .hasMessageContaining("bad next segment");
        }
    }

    /** Three segments: the first's kept copy current (status 2), the second skipped, the third's slots sent. */
    private static ByteBuffer manyWithCurrent() {
        final ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(3).putInt(1).putInt(0).putInt(4).putLong(64);
        b.putInt(2).putInt(0).putInt(1).putInt(SlotDescriptor.SLOT_LENGTH);
        b.put(new byte[SlotDescriptor.SLOT_LENGTH]);
        return b.flip();
    }

    @Test
    void shouldAcceptACurrentKeptCopyOnlyWhereTheRequestOfferedOne() {
        final SegmentSlots.ManyReply r =
                SegmentSlots.ManyReply.read(manyWithCurrent(), 3, new boolean[] {true, true, false});
        assertThat(r.current).containsExactly(true, false, false);
        assertThat(r.slots[0]).as("the kept copy is the caller's").isNull();
        assertThat(r.slots[2]).hasSize(SlotDescriptor.SLOT_LENGTH);
        for (final boolean[] offered : new boolean[][] {null, {false, true, true}}) {
            assertThatThrownBy(() -> SegmentSlots.ManyReply.read(manyWithCurrent(), 3, offered))
                    .as("status 2 for a segment whose digest was not offered")
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL))
                    .hasMessageContaining("status");
        }
    }

    @Test
    void shouldRefuseASkippedFirstSegmentAndUnknownStatuses() {
        final ByteBuffer skippedFirst = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        skippedFirst.putInt(3).putInt(0).putInt(0).flip();
        assertThatThrownBy(() -> SegmentSlots.ManyReply.read(skippedFirst, 1, null))
                .hasMessageContaining("status");
        final ByteBuffer unknown = many(false);
        unknown.putInt(24, 7); // the first segment's status
        assertThatThrownBy(() -> SegmentSlots.ManyReply.read(unknown, 3, null)).hasMessageContaining("status");
        final ByteBuffer window = many(false);
        window.putInt(0, -1);
        assertThatThrownBy(() -> SegmentSlots.ManyReply.read(window, 3, null)).hasMessageContaining("root window");
    }

    private static ByteBuffer pages(final int... statuses) {
        int withBytes = 0;
        for (final int s : statuses) {
            withBytes += s == 2 ? 1 : 0;
        }
        final ByteBuffer b = ByteBuffer.allocate(statuses.length * 4 + withBytes * PageHeaderDescriptor.PAGE_LENGTH)
                .order(ByteOrder.LITTLE_ENDIAN);
        for (final int s : statuses) {
            b.putInt(s);
        }
        while (b.hasRemaining()) {
            b.put((byte) 1);
        }
        return b.flip();
    }

    @Test
    void shouldCheckFetchPagesReplies() {
        final ByteBuffer ok = pages(2, 0, 1, 2);
        CopyOnAccessFaults.checkFetchPagesReply(ok, 4);
        assertThat(ok.remaining()).as("at the first page's bytes").isEqualTo(2 * PageHeaderDescriptor.PAGE_LENGTH);
        CopyOnAccessFaults.checkFetchPagesReply(pages(1), 1);
        final ByteBuffer full = pages(2, 2, 1);
        for (int n = 0; n < full.limit(); n++) {
            final ByteBuffer b = full.duplicate().order(ByteOrder.LITTLE_ENDIAN).limit(n);
            assertThatThrownBy(() -> CopyOnAccessFaults.checkFetchPagesReply(b, 3))
                    .as("truncated at %d bytes", n)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL))
                    .hasMessageContaining("FETCH_PAGES");
        }
        assertThatThrownBy(() -> CopyOnAccessFaults.checkFetchPagesReply(pages(0, 1), 2))
                .as("the page asked for is never skipped")
                .hasMessageContaining("status");
        assertThatThrownBy(() -> CopyOnAccessFaults.checkFetchPagesReply(pages(1, 3), 2))
                .hasMessageContaining("status");
        assertThatThrownBy(() -> CopyOnAccessFaults.checkFetchPagesReply(pages(1, -1), 2))
                .hasMessageContaining("status");
    }

    @Test
    void shouldCheckThePagesOfASlotsReply() {
        final ByteBuffer ok = pages(0, 2, 1);
        CopyOnAccessFaults.checkPagesReply(ok, 3, false, "SEGMENT_SLOTS_MANY");
        assertThat(ok.remaining())
                .as("predicted pages: the first may be skipped too")
                .isEqualTo(PAGE);
        final ByteBuffer full = pages(0, 2, 2);
        for (int n = 0; n < full.limit(); n++) {
            final ByteBuffer b = full.duplicate().order(ByteOrder.LITTLE_ENDIAN).limit(n);
            assertThatThrownBy(() -> CopyOnAccessFaults.checkPagesReply(b, 3, false, "SEGMENT_SLOTS_MANY"))
                    .as("truncated at %d bytes", n)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL))
                    .hasMessageContaining("SEGMENT_SLOTS_MANY");
        }
        assertThatThrownBy(() -> CopyOnAccessFaults.checkPagesReply(pages(0, 3), 2, false, "SEGMENT_SLOTS_MANY"))
                .hasMessageContaining("status");
    }

    private static final int PAGE = PageHeaderDescriptor.PAGE_LENGTH;

    @Test
    void shouldRefuseGarbageWithProtocolErrorsOnly() {
        final Random random = new Random(57);
        final ByteBuffer valid = many(true);
        for (int i = 0; i < 20_000; i++) {
            final byte[] bytes;
            if (i % 2 == 0) {
                bytes = new byte[random.nextInt(300)];
                random.nextBytes(bytes);
            } else {
                bytes = new byte[valid.limit()];
                valid.duplicate().get(bytes);
                for (int f = 0; f < 1 + random.nextInt(4); f++) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
            final int n = 1 + random.nextInt(4);
            // every other reply as one to a request that offered kept copies of all its segments (status 2 allowed)
            final boolean[] offered = new boolean[n];
            java.util.Arrays.fill(offered, i % 4 < 2);
            try {
                final SegmentSlots.ManyReply r =
                        SegmentSlots.ManyReply.read(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), n, offered);
                for (int k = 0; k < n; k++) {
                    assertThat(!r.current[k] || offered[k]).isTrue();
                }
            } catch (final BessException e) {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL);
            }
            try {
                CopyOnAccessFaults.checkFetchPagesReply(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), n);
            } catch (final BessException e) {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL);
            }
            try {
                CopyOnAccessFaults.checkPagesReply(
                        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), n, false, "SEGMENT_SLOTS_MANY");
            } catch (final BessException e) {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL);
            }
        }
    }
}
