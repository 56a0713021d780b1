package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteOrder;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;

/** The layout of the client-map file and of the control file's header, and garbage fed to their checks. */
class ClientMapDescriptorTest {
    @Test
    void shouldLayOutOneStateWordAndTheSlotBitmapPerFrame() {
        assertThat(ClientMapDescriptor.MAGIC)
                .isEqualTo(new UnsafeBuffer("BESSMAP1".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                        .getLong(0, ByteOrder.LITTLE_ENDIAN));
        assertThat(ClientMapDescriptor.wordsPerFrame(256)).isEqualTo(5);
        assertThat(ClientMapDescriptor.stateOffset(256, 0)).isEqualTo(64);
        assertThat(ClientMapDescriptor.stateOffset(256, 3)).isEqualTo(64 + 3 * 40);
        assertThat(ClientMapDescriptor.slotWordOffset(256, 3, 0)).isEqualTo(64 + 3 * 40 + 8);
        assertThat(ClientMapDescriptor.slotWordOffset(256, 3, 63)).isEqualTo(64 + 3 * 40 + 8);
        assertThat(ClientMapDescriptor.slotWordOffset(256, 3, 64)).isEqualTo(64 + 3 * 40 + 16);
        assertThat(ClientMapDescriptor.slotWordOffset(256, 3, 255)).isEqualTo(64 + 3 * 40 + 32);
        assertThat(ClientMapDescriptor.slotBit(65)).isEqualTo(2L);
        assertThat(ClientMapDescriptor.fileLength(10, 64)).isEqualTo(64 + 10 * 16);
        assertThat(ClientMapDescriptor.isValidState(0)).isTrue();
        assertThat(ClientMapDescriptor.isValidState(ClientMapDescriptor.EVICTING))
                .isTrue();
        assertThat(ClientMapDescriptor.isValidState(ClientMapDescriptor.WRITING))
                .isTrue();
        assertThat(ClientMapDescriptor.isValidState(3)).isTrue();
        assertThat(ClientMapDescriptor.isValidState(ClientMapDescriptor.REFERENCED))
                .isTrue();
        assertThat(ClientMapDescriptor.isValidState(7)).isTrue();
        assertThat(ClientMapDescriptor.isValidState(8)).isFalse();
        assertThat(ClientMapDescriptor.isValidState(1L << 63)).isFalse();
        final UnsafeBuffer b = new UnsafeBuffer(new byte[(int) ClientMapDescriptor.fileLength(10, 128)]);
        ClientMapDescriptor.writeHeader(b, 10, 128);
        assertThat(ClientMapDescriptor.checkHeader(b, b.capacity(), "m", 10)).containsExactly(10, 128);
        assertThatThrownBy(() -> ClientMapDescriptor.checkHeader(b, b.capacity(), "m", 11))
                .isInstanceOf(BessException.class)
                .hasMessage("client-map file is damaged: file=m: frame count 10 is not the cache's 11");
        assertThatThrownBy(() -> ClientMapDescriptor.checkHeader(b, b.capacity() - 8, "m", 10))
                .hasMessageContaining("does not match its geometry");
    }

    @Test
    void shouldRefuseGarbageHeadersOfBothFilesWithBadFormat() {
        final Random random = new Random(6);
        final UnsafeBuffer valid = new UnsafeBuffer(new byte[(int) ClientMapDescriptor.fileLength(16, 64)]);
        ClientMapDescriptor.writeHeader(valid, 16, 64);
        final UnsafeBuffer control = new UnsafeBuffer(new byte[(int) CacheControlDescriptor.fileLength(16)]);
        control.putLong(CacheControlDescriptor.MAGIC_OFFSET, CacheControlDescriptor.MAGIC);
        control.putInt(CacheControlDescriptor.FORMAT_VERSION_OFFSET, CacheControlDescriptor.FORMAT_VERSION);
        control.putInt(CacheControlDescriptor.FRAME_COUNT_OFFSET, 16);
        control.putInt(CacheControlDescriptor.TABLE_CAPACITY_OFFSET, CacheControlDescriptor.tableCapacity(16));
        assertThat(CacheControlDescriptor.checkHeader(control, control.capacity(), "c"))
                .isEqualTo(16);
        int refused = 0;
        for (int i = 0; i < 100_000; i++) {
            final UnsafeBuffer maps = new UnsafeBuffer(new byte[valid.capacity()]);
            maps.putBytes(0, valid, 0, valid.capacity());
            final UnsafeBuffer ctl = new UnsafeBuffer(new byte[control.capacity()]);
            ctl.putBytes(0, control, 0, control.capacity());
            // garbage over one or more header bytes of each (a random byte, or a whole random field)
            final int bytes = 1 + random.nextInt(4);
            for (int k = 0; k < bytes; k++) {
                maps.putByte(random.nextInt(24), (byte) random.nextInt(256));
                ctl.putByte(random.nextInt(20), (byte) random.nextInt(256)); // 20-63 are reserved
            }
            final int m = check(() -> ClientMapDescriptor.checkHeader(maps, maps.capacity(), "m", -1), "client-map");
            final int c = check(() -> CacheControlDescriptor.checkHeader(ctl, ctl.capacity(), "c"), "cache control");
            if (m == 0) {
                assertThat(maps.compareTo(valid))
                        .as("an accepted header is the valid one")
                        .isZero();
            }
            if (c == 0) {
                assertThat(ctl.compareTo(control))
                        .as("an accepted header is the valid one")
                        .isZero();
            }
            refused += m + c;
        }
        assertThat(refused).isGreaterThan(190_000);
    }

    /** Runs a header check: 1 when it refused with BAD_FORMAT naming the file kind, 0 when it accepted. */
    private static int check(final Runnable c, final String kind) {
        try {
            c.run();
            return 0;
        } catch (final BessException e) {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_FORMAT);
            assertThat(e.getMessage()).startsWith(kind + " file is damaged: file=");
            return 1;
        }
    }
}
