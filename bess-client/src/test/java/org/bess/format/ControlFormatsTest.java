package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.bess.client.wire.ControlProtocol;
import org.bess.client.wire.FrameWriter;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;

/**
 * Layouts of the daemon's formats: the control protocol's frame header (and two golden frames, a {@code HELLO} and
 * an {@code ERROR}), the counters file header, and the stable ids of counters and error codes.
 */
class ControlFormatsTest {
    private static byte[] bytes(final ByteBuffer b) {
        final byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void shouldLayOutTheFrameHeaderIn16BytesWithTheCorrelationIdAligned() {
        assertThat(ControlProtocol.LENGTH_OFFSET).isZero();
        assertThat(ControlProtocol.TYPE_OFFSET).isEqualTo(4);
        assertThat(ControlProtocol.RESERVED_OFFSET).isEqualTo(6);
        assertThat(ControlProtocol.CORRELATION_ID_OFFSET).isEqualTo(8);
        assertThat(ControlProtocol.HEADER_LENGTH).isEqualTo(16);
        assertThat(ControlProtocol.replyType(ControlProtocol.HELLO)).isEqualTo(0x8001);
        assertThat(ControlProtocol.ERROR).isEqualTo(0xFFFF);
    }

    @Test
    void shouldMatchTheGoldenHelloFrame() {
        final ByteBuffer frame = new FrameWriter()
                .begin(ControlProtocol.HELLO, 0x0102030405060708L)
                .putInt(ControlProtocol.VERSION)
                .putInt(ControlProtocol.MODE_SHARED_MEMORY)
                .putLong(4242)
                .putInt(1000)
                .putInt(100)
                .finish();
        assertThat(frame.order(ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(40);
        GoldenFiles.assertMatches("control-hello", bytes(frame));
    }

    @Test
    void shouldMatchTheGoldenErrorFrame() {
        final ByteBuffer frame = new FrameWriter().error(7, ErrorCode.NOT_AUTHORISED, "not authorised: uid=65534");
        GoldenFiles.assertMatches("control-error", bytes(frame));
    }

    @Test
    void shouldLayOutTheCountersHeaderWithTheHeartbeatOnItsOwnCacheLine() {
        assertThat(CountersFileDescriptor.MAGIC)
                .isEqualTo(ByteBuffer.wrap("BESSCNT1".getBytes(StandardCharsets.US_ASCII))
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getLong());
        assertThat(CountersFileDescriptor.FORMAT_VERSION_OFFSET).isEqualTo(8);
        assertThat(CountersFileDescriptor.METADATA_LENGTH_OFFSET).isEqualTo(12);
        assertThat(CountersFileDescriptor.VALUES_LENGTH_OFFSET).isEqualTo(16);
        assertThat(CountersFileDescriptor.RESERVED_OFFSET).isEqualTo(20);
        assertThat(CountersFileDescriptor.PID_OFFSET).isEqualTo(24);
        assertThat(CountersFileDescriptor.START_TIME_OFFSET).isEqualTo(32);
        assertThat(CountersFileDescriptor.NODE_ID_OFFSET).isEqualTo(40);
        assertThat(CountersFileDescriptor.CHECKSUM_OFFSET).isEqualTo(48);
        assertThat(CountersFileDescriptor.HEARTBEAT_OFFSET).isEqualTo(64);
        assertThat(CountersFileDescriptor.STOPPED_OFFSET).isEqualTo(72);
        assertThat(CountersFileDescriptor.HEADER_LENGTH).isEqualTo(4096);
        assertThat(CountersFileDescriptor.HEARTBEAT_OFFSET % 64).isZero();
        assertThat(CountersFileDescriptor.fileLength(512, 128)).isEqualTo(4096 + 512 + 128);
    }

    @Test
    void shouldKeepCounterTypeIdsAndErrorCodesDistinctAndStable() {
        final Set<Integer> ids = new HashSet<>();
        for (final NodeCounter c : NodeCounter.values()) {
            assertThat(ids.add(c.typeId()))
                    .as("type id %d of %s is unique", c.typeId(), c)
                    .isTrue();
            assertThat(c.label().length()).isLessThan(64);
        }
        assertThat(NodeCounter.CACHE_HITS.typeId()).isEqualTo(1);
        assertThat(NodeCounter.PROTOCOL_ERRORS.typeId()).isEqualTo(20);
        assertThat(ErrorCode.PROTOCOL.code()).isEqualTo(15);
        assertThat(ErrorCode.NOT_AUTHORISED.code()).isEqualTo(16);
        assertThat(ErrorCode.SERVER_LOST.code()).isEqualTo(17);
        assertThat(ErrorCode.NODE_IN_USE.code()).isEqualTo(18);
        assertThat(Arrays.stream(ErrorCode.values())
                        .map(ErrorCode::code)
                        .distinct()
                        .count())
                .isEqualTo(ErrorCode.values().length);
        for (final ErrorCode c : ErrorCode.values()) {
            assertThat(ErrorCode.fromCode(c.code())).isEqualTo(c);
        }
        assertThat(ErrorCode.fromCode(9999)).isEqualTo(ErrorCode.GENERIC);
    }
}
