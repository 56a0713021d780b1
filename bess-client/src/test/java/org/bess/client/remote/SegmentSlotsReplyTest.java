package org.bess.client.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.SlotDescriptor;
import org.junit.jupiter.api.Test;

/**
 * The {@code SEGMENT_SLOTS} reply's decoder: a well-formed reply (with and without the appended root window and key)
 * decodes; every truncation, and garbage in any shape, is refused with {@code PROTOCOL} only, never another exception,
 * never an allocation sized by an unchecked number.
 */
class SegmentSlotsReplyTest {
    private static ByteBuffer reply(final int slots, final int areas, final boolean appended) {
        final ByteBuffer b = ByteBuffer.allocate(8 + slots * SlotDescriptor.SLOT_LENGTH + areas * 16 + 12)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(slots * SlotDescriptor.SLOT_LENGTH);
        for (int i = 0; i < slots * SlotDescriptor.SLOT_LENGTH; i++) {
            b.put((byte) i);
        }
        b.putInt(areas);
        for (int i = 0; i < areas; i++) {
            b.putInt(i).putInt(10 + i).putLong(100L * (i + 1));
        }
        if (appended) {
            b.putInt(7).putLong((3L << 62) | 42);
        }
        return b.flip();
    }

    @Test
    void shouldDecodeAWellFormedReply() {
        final SegmentSlots.Reply r = SegmentSlots.Reply.read(reply(3, 2, true));
        assertThat(r.slots).hasSize(3 * SlotDescriptor.SLOT_LENGTH);
        assertThat(r.areas.get(1)).containsExactly(11, 200);
        assertThat(r.rootWindow).isEqualTo(7);
        assertThat(r.key).isEqualTo((3L << 62) | 42);
        final SegmentSlots.Reply old = SegmentSlots.Reply.read(reply(3, 2, false));
        assertThat(old.rootWindow).as("a reply without the appended fields").isEqualTo(-1);
        assertThat(old.key).isZero();
    }

    @Test
    void shouldDecodeTheAppendedNextSegmentAndRefuseABadOne() {
        final ByteBuffer body = reply(3, 2, true);
        final ByteBuffer b = ByteBuffer.allocate(body.limit() + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(body).putLong(77).flip();
        assertThat(SegmentSlots.Reply.read(b.duplicate().order(ByteOrder.LITTLE_ENDIAN)).next)
                .isEqualTo(77);
        assertThat(SegmentSlots.Reply.read(reply(3, 2, true)).next)
                .as("an older server's reply")
                .isEqualTo(-1);
        for (int n = body.limit() + 1; n < b.limit(); n++) {
            final ByteBuffer t = b.duplicate().order(ByteOrder.LITTLE_ENDIAN).limit(n);
            assertThatThrownBy(() -> SegmentSlots.Reply.read(t))
                    .as("next segment truncated at %d bytes", n)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL))
                    .hasMessageContaining("next segment");
        }
        for (final long bad : new long[] {-1, 1L << 32, Long.MIN_VALUE}) {
            final ByteBuffer g = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            g.putLong(body.limit(), bad);
            assertThatThrownBy(() -> SegmentSlots.Reply.read(g))
                    .as("next segment %d", bad)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL))
                    .hasMessageContaining("bad next segment");
        }
    }

    @Test
    void shouldRefuseEveryTruncation() {
        final ByteBuffer full = reply(4, 3, true);
        final int withoutAppended = full.limit() - 12;
        for (int n = 0; n < full.limit(); n++) {
            final ByteBuffer b = full.duplicate().order(ByteOrder.LITTLE_ENDIAN).limit(n);
            if (n == withoutAppended) {
                assertThat(SegmentSlots.Reply.read(b).rootWindow).isEqualTo(-1);
                continue;
            }
            assertThatThrownBy(() -> SegmentSlots.Reply.read(b))
                    .as("truncated at %d bytes", n)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL))
                    .hasMessageContaining("SEGMENT_SLOTS");
        }
    }

    @Test
    void shouldRefuseLyingLengthsAndCounts() {
        for (final int length : new int[] {-1, 5, Integer.MAX_VALUE, 1 << 20}) {
            final ByteBuffer b = reply(2, 1, true);
            b.putInt(0, length);
            assertThatThrownBy(() -> SegmentSlots.Reply.read(b)).hasMessageContaining("slot array");
        }
        for (final int count : new int[] {-1, 2, Integer.MAX_VALUE}) {
            final ByteBuffer b = reply(2, 1, false);
            b.putInt(4 + 2 * SlotDescriptor.SLOT_LENGTH, count);
            assertThatThrownBy(() -> SegmentSlots.Reply.read(b)).hasMessageContaining("area");
        }
        final ByteBuffer w = reply(2, 1, true);
        w.putInt(w.limit() - 12, -5);
        assertThatThrownBy(() -> SegmentSlots.Reply.read(w)).hasMessageContaining("root window");
    }

    @Test
    void shouldRefuseGarbageWithProtocolErrorsOnly() {
        final Random random = new Random(6);
        final ByteBuffer valid = reply(5, 2, true);
        for (int i = 0; i < 20_000; i++) {
            final ByteBuffer b;
            if (i % 2 == 0) {
                final byte[] bytes = new byte[random.nextInt(200)];
                random.nextBytes(bytes);
                b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            } else {
                final byte[] bytes = new byte[valid.limit() + random.nextInt(8)];
                valid.duplicate().get(bytes, 0, valid.limit());
                for (int f = 0; f < 1 + random.nextInt(4); f++) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
                b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            }
            try {
                final SegmentSlots.Reply r = SegmentSlots.Reply.read(b);
                assertThat(r.slots.length % SlotDescriptor.SLOT_LENGTH).isZero();
                assertThat(r.rootWindow).isGreaterThanOrEqualTo(-1);
            } catch (final BessException e) {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.PROTOCOL);
            }
        }
    }
}
