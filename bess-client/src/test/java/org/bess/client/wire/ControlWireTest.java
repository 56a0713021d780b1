package org.bess.client.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.ProtocolException;
import org.junit.jupiter.api.Test;

/**
 * The control protocol's codec: every request round-trips through {@link FrameWriter} and {@link ControlRequest#decode},
 * and garbage in any shape (random bytes, valid frames with flipped bytes, truncated or extended frames, lying lengths
 * and counts) is refused with a {@link ProtocolException} only: never another exception, never an allocation sized by
 * an unchecked number.
 */
class ControlWireTest {
    private static final int MAX = ControlProtocol.DEFAULT_MAX_REQUEST_LENGTH;
    private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
    private final BodyReader body = new BodyReader();

    private ControlRequest decode(final byte[] frame, final int available) {
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        header.wrap(view, 0, available, MAX);
        if (!ControlProtocol.isRequest(header.type())) {
            throw new ProtocolException("not a request: " + header.type());
        }
        return ControlRequest.decode(view, header, body);
    }

    private static byte[] bytes(final ByteBuffer b) {
        final byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static byte[][] validFrames() {
        final FrameWriter w = new FrameWriter();
        return new byte[][] {
            bytes(w.begin(ControlProtocol.HELLO, 1)
                    .putInt(1)
                    .putInt(0)
                    .putLong(99)
                    .putInt(0)
                    .putInt(0)
                    .finish()),
            bytes(w.begin(ControlProtocol.PING, 2).putLong(-5).finish()),
            bytes(w.begin(ControlProtocol.STAT, 3).finish()),
            bytes(w.begin(ControlProtocol.LIST_CLIENTS, 4).finish()),
            bytes(w.begin(ControlProtocol.KILL_CLIENT, 5).putInt(12).finish()),
            bytes(w.begin(ControlProtocol.LIST_DATABASES, 6).finish()),
            bytes(w.begin(ControlProtocol.OPEN_DATABASE, 7)
                    .putString("/data/é.db")
                    .finish()),
            bytes(w.begin(ControlProtocol.CREATE_DATABASE, 8)
                    .putLong(1 << 20)
                    .putString("/d/x")
                    .finish()),
        };
    }

    @Test
    void shouldRoundTripEveryRequest() {
        final byte[][] frames = validFrames();
        assertThat(decode(frames[0], frames[0].length)).isEqualTo(new ControlRequest.Hello(1, 1, 0, 99, 0, 0));
        assertThat(decode(frames[1], frames[1].length)).isEqualTo(new ControlRequest.Ping(2, -5));
        assertThat(decode(frames[2], frames[2].length)).isEqualTo(new ControlRequest.Stat(3));
        assertThat(decode(frames[3], frames[3].length)).isEqualTo(new ControlRequest.ListClients(4));
        assertThat(decode(frames[4], frames[4].length)).isEqualTo(new ControlRequest.KillClient(5, 12));
        assertThat(decode(frames[5], frames[5].length)).isEqualTo(new ControlRequest.ListDatabases(6));
        assertThat(decode(frames[6], frames[6].length)).isEqualTo(new ControlRequest.OpenDatabase(7, "/data/é.db"));
        assertThat(decode(frames[7], frames[7].length))
                .isEqualTo(new ControlRequest.CreateDatabase(8, 1 << 20, "/d/x"));
    }

    @Test
    void shouldRefuseLengthsOutOfBoundsBeforeAllocating() {
        for (final int length : new int[] {0, -1, 15, Integer.MAX_VALUE, Integer.MIN_VALUE, MAX + 1}) {
            assertThatThrownBy(() -> FrameHeaderFlyweight.checkLength(length, MAX))
                    .isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("frame length out of bounds: length=" + length);
        }
    }

    @Test
    void shouldRefuseTruncatedExtendedAndMislabelledFramesNamingTheProblem() {
        final byte[] ping = validFrames()[1];
        assertThatThrownBy(() -> decode(ping, ping.length - 1))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("truncated frame: length=24, bytes=23");
        final byte[] longer = java.util.Arrays.copyOf(ping, ping.length + 4);
        ByteBuffer.wrap(longer).order(ByteOrder.LITTLE_ENDIAN).putInt(0, longer.length);
        assertThatThrownBy(() -> decode(longer, longer.length))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("bytes left over after the body: message=PING, left=4");
        final byte[] shortBody = validFrames()[0].clone();
        ByteBuffer.wrap(shortBody).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 20);
        assertThatThrownBy(() -> decode(shortBody, shortBody.length))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("field runs past the end of the frame: field=mode");
        final byte[] reserved = ping.clone();
        reserved[ControlProtocol.RESERVED_OFFSET] = 1;
        assertThatThrownBy(() -> decode(reserved, reserved.length))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("reserved header field is not zero");
        final byte[] lyingString = validFrames()[6].clone();
        ByteBuffer.wrap(lyingString).order(ByteOrder.LITTLE_ENDIAN).putInt(16, Integer.MAX_VALUE);
        assertThatThrownBy(() -> decode(lyingString, lyingString.length))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("string length out of bounds: field=path, length=2147483647");
        final byte[] badUtf8 = validFrames()[6].clone();
        badUtf8[20] = (byte) 0xC3;
        badUtf8[21] = (byte) 0x28;
        assertThatThrownBy(() -> decode(badUtf8, badUtf8.length))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("not valid UTF-8");
    }

    @Test
    void shouldRefuseReplyTypesAndUnknownTypesAsRequests() {
        final byte[] ping = validFrames()[1].clone();
        for (final int type : new int[] {0, 9, 0x8002, 0xFFFF, 0x7FFF}) {
            ByteBuffer.wrap(ping).order(ByteOrder.LITTLE_ENDIAN).putShort(4, (short) type);
            assertThatThrownBy(() -> decode(ping, ping.length)).isInstanceOf(ProtocolException.class);
        }
    }

    @Test
    void shouldRefuseCountsThatCannotFitTheBytesLeft() {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[8]);
        b.putInt(0, 1_000_000, ByteOrder.LITTLE_ENDIAN);
        assertThatThrownBy(() -> new BodyReader().wrap(b, 0, 8).getCount("count", 20))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("count out of bounds: field=count, count=1000000, bytesLeft=4");
    }

    /** Fuzz: random bytes and mutated valid frames; only ProtocolException may come out (seed printed on failure). */
    @Test
    void shouldOnlyEverThrowProtocolExceptionOnGarbage() {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final byte[][] valid = validFrames();
        int refused = 0;
        int decoded = 0;
        for (int i = 0; i < 200_000; i++) {
            final byte[] frame;
            final int mode = random.nextInt(4);
            if (mode == 0) {
                frame = new byte[random.nextInt(80)];
                random.nextBytes(frame);
            } else {
                final byte[] base = valid[random.nextInt(valid.length)];
                frame = java.util.Arrays.copyOf(base, Math.max(0, base.length + random.nextInt(9) - 4));
                final int flips = 1 + random.nextInt(mode == 3 ? 8 : 2);
                for (int f = 0; f < flips && frame.length > 0; f++) {
                    frame[random.nextInt(frame.length)] = (byte) random.nextInt(256);
                }
                if (mode == 2 && frame.length >= 4) {
                    // keep the length honest so that the body decoders, not the header check, see the garbage
                    ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).putInt(0, frame.length);
                    frame[6] = 0;
                    frame[7] = 0;
                }
            }
            try {
                decode(frame, frame.length);
                decoded++;
            } catch (final ProtocolException e) {
                refused++;
            } catch (final RuntimeException e) {
                throw new AssertionError(
                        "seed=" + seed + ", iteration=" + i + ": not a ProtocolException for "
                                + java.util.HexFormat.of().formatHex(frame),
                        e);
            }
        }
        assertThat(refused).as("seed=%d", seed).isGreaterThan(100_000);
        assertThat(decoded)
                .as("seed=%d: mutated frames that still decode", seed)
                .isPositive();
    }
}
