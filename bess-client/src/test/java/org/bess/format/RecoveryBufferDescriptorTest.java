package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.ByteOrder;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;

/** The recovery-buffer layout: offsets, the golden header and directory, and garbage refused by name. */
class RecoveryBufferDescriptorTest {
    private static UnsafeBuffer header(final int slots) {
        return header(slots, 0);
    }

    private static UnsafeBuffer header(final int slots, final int clientSlots) {
        final long length = clientSlots >= 0 && clientSlots < slots
                ? RecoveryBufferDescriptor.fileLength(slots, clientSlots)
                : RecoveryBufferDescriptor.fileLength(slots);
        final UnsafeBuffer b = new UnsafeBuffer(new byte[(int) length]);
        b.putLong(RecoveryBufferDescriptor.MAGIC_OFFSET, RecoveryBufferDescriptor.MAGIC, ByteOrder.LITTLE_ENDIAN);
        b.putInt(RecoveryBufferDescriptor.VERSION_OFFSET, RecoveryBufferDescriptor.VERSION, ByteOrder.LITTLE_ENDIAN);
        b.putInt(RecoveryBufferDescriptor.PAGE_LENGTH_OFFSET, PAGE_LENGTH, ByteOrder.LITTLE_ENDIAN);
        b.putInt(RecoveryBufferDescriptor.SLOT_COUNT_OFFSET, slots, ByteOrder.LITTLE_ENDIAN);
        b.putInt(RecoveryBufferDescriptor.CLIENT_SLOT_COUNT_OFFSET, clientSlots, ByteOrder.LITTLE_ENDIAN);
        b.putLong(RecoveryBufferDescriptor.SERVER_PID_OFFSET, 0x0102_0304_0506_0708L, ByteOrder.LITTLE_ENDIAN);
        b.putLong(RecoveryBufferDescriptor.CONNECTION_ID_OFFSET, 0x1112_1314_1516_1718L, ByteOrder.LITTLE_ENDIAN);
        b.putInt(
                RecoveryBufferDescriptor.HEADER_CHECKSUM_OFFSET,
                RecoveryBufferDescriptor.headerChecksum(b),
                ByteOrder.LITTLE_ENDIAN);
        return b;
    }

    @Test
    void shouldChainItsOffsetsAndAlignTheImagesToPages() {
        assertThat(RecoveryBufferDescriptor.CLIENT_SLOT_COUNT_OFFSET).isEqualTo(20);
        assertThat(RecoveryBufferDescriptor.SERVER_PID_OFFSET).isEqualTo(24);
        assertThat(RecoveryBufferDescriptor.CONNECTION_ID_OFFSET).isEqualTo(32);
        assertThat(RecoveryBufferDescriptor.HEADER_CHECKSUM_OFFSET).isEqualTo(60);
        assertThat(RecoveryBufferDescriptor.ENTRY_IMAGE_CHECKSUM_OFFSET + 8)
                .isEqualTo(RecoveryBufferDescriptor.ENTRY_LENGTH);
        assertThat(RecoveryBufferDescriptor.imagesOffset(1)).isEqualTo(PAGE_LENGTH);
        assertThat(RecoveryBufferDescriptor.imagesOffset(126)).isEqualTo(PAGE_LENGTH);
        assertThat(RecoveryBufferDescriptor.imagesOffset(127)).isEqualTo(2 * PAGE_LENGTH);
        assertThat(RecoveryBufferDescriptor.fileLength(1040)).isEqualTo(9L * PAGE_LENGTH + 1040L * PAGE_LENGTH);
        assertThat(RecoveryBufferDescriptor.entryOffset(3) % 8).isZero();
        // client slots: their directory and their images each start on a page of their own
        assertThat(RecoveryBufferDescriptor.clientDirectoryOffset(1040, 256)).isEqualTo(7L * PAGE_LENGTH);
        assertThat(RecoveryBufferDescriptor.entryOffset(1040, 256, 783)).isEqualTo(64 + 783 * 32);
        assertThat(RecoveryBufferDescriptor.entryOffset(1040, 256, 784)).isEqualTo(7L * PAGE_LENGTH);
        assertThat(RecoveryBufferDescriptor.entryOffset(1040, 256, 1039)).isEqualTo(7L * PAGE_LENGTH + 255 * 32);
        assertThat(RecoveryBufferDescriptor.imagesOffset(1040, 256)).isEqualTo(9L * PAGE_LENGTH);
        assertThat(RecoveryBufferDescriptor.imageOffset(1040, 256, 784)).isEqualTo((9L + 784) * PAGE_LENGTH);
        assertThat(RecoveryBufferDescriptor.fileLength(1040, 256)).isEqualTo((9L + 1040) * PAGE_LENGTH);
        assertThat(RecoveryBufferDescriptor.fileLength(1040, 0)).isEqualTo(RecoveryBufferDescriptor.fileLength(1040));
    }

    @Test
    void shouldMatchTheGoldenHeaderAndDirectory() {
        final UnsafeBuffer b = header(2);
        final int entry = (int) RecoveryBufferDescriptor.entryOffset(1);
        b.putLong(entry + RecoveryBufferDescriptor.ENTRY_KEY_OFFSET, CacheControlDescriptor.pageKey(2, 0x33));
        b.putLong(entry + RecoveryBufferDescriptor.ENTRY_TXN_OFFSET, 0x44);
        b.putInt(entry + RecoveryBufferDescriptor.ENTRY_STATE_OFFSET, RecoveryBufferDescriptor.STATE_IMAGE);
        b.putInt(entry + RecoveryBufferDescriptor.ENTRY_FLAGS_OFFSET, RecoveryBufferDescriptor.FLAG_CONTROL_PAGE);
        final int image = (int) RecoveryBufferDescriptor.imageOffset(2, 1);
        b.putLong(image, 0x0A0B_0C0D_0E0F_1011L);
        b.putInt(
                entry + RecoveryBufferDescriptor.ENTRY_IMAGE_CHECKSUM_OFFSET,
                RecoveryBufferDescriptor.imageChecksum(b, image));
        final byte[] directory = new byte[(int) RecoveryBufferDescriptor.entryOffset(2)];
        b.getBytes(0, directory);
        GoldenFiles.assertMatches("recovery-buffer", directory);
        assertThat(RecoveryBufferDescriptor.checkHeader(b, b.capacity(), "golden"))
                .isEqualTo(2);
        assertThat(RecoveryBufferDescriptor.clientSlotCount(b)).isZero();
    }

    @Test
    void shouldGiveDifferentChecksumsToImagesThatDifferInOneByte() {
        final UnsafeBuffer page = new UnsafeBuffer(new byte[PAGE_LENGTH]);
        final int zero = RecoveryBufferDescriptor.imageChecksum(page, 0);
        for (int i = 0; i < PAGE_LENGTH; i += 97) {
            page.putByte(i, (byte) 1);
            assertThat(RecoveryBufferDescriptor.imageChecksum(page, 0))
                    .as("byte %d", i)
                    .isNotEqualTo(zero);
            page.putByte(i, (byte) 0);
        }
    }

    private static void assertRefused(final UnsafeBuffer b, final long length, final String what) {
        assertThatThrownBy(() -> RecoveryBufferDescriptor.checkHeader(b, length, "/dev/shm/x/recovery-1"))
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_FORMAT))
                .hasMessageContaining("recovery buffer is damaged: file=/dev/shm/x/recovery-1")
                .hasMessageContaining(what);
    }

    @Test
    void shouldRefuseTruncatedAndDamagedHeadersByName() {
        final UnsafeBuffer good = header(4);
        final long length = good.capacity();
        assertThat(RecoveryBufferDescriptor.checkHeader(good, length, "ok")).isEqualTo(4);
        assertRefused(good, 0, "shorter than its header");
        assertRefused(good, 63, "shorter than its header");
        assertRefused(good, RecoveryBufferDescriptor.HEADER_LENGTH, "does not match its slot count");
        assertRefused(good, length - 1, "does not match its slot count");
        assertRefused(good, length + PAGE_LENGTH, "does not match its slot count");
        for (int i = 0; i < RecoveryBufferDescriptor.HEADER_LENGTH; i++) {
            final UnsafeBuffer b = header(4);
            b.putByte(i, (byte) (b.getByte(i) ^ 0x40));
            assertThatThrownBy(() -> RecoveryBufferDescriptor.checkHeader(b, length, "f"))
                    .as("byte %d flipped", i)
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("recovery buffer is damaged");
        }
        final UnsafeBuffer v1 = header(4);
        v1.putInt(RecoveryBufferDescriptor.VERSION_OFFSET, 1);
        assertRefused(v1, length, "unsupported version 1");
        // a client slot count out of range, under a header checksum that matches it
        assertRefused(header(4, 4), length, "client slot count 4 out of range [0, 3]");
        assertRefused(header(4, -1), length, "client slot count -1 out of range [0, 3]");
        assertThat(RecoveryBufferDescriptor.checkHeader(header(4, 0), length, "ok"))
                .isEqualTo(4);
        final UnsafeBuffer zeros = new UnsafeBuffer(new byte[(int) length]);
        assertRefused(zeros, length, "not a recovery buffer");
    }

    @Test
    void shouldRefuseRandomGarbage() {
        final Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            final byte[] bytes = new byte[64 + random.nextInt(PAGE_LENGTH)];
            random.nextBytes(bytes);
            if (random.nextBoolean()) {
                // a plausible start: the magic and version right, the rest garbage
                final UnsafeBuffer b = new UnsafeBuffer(bytes);
                b.putLong(0, RecoveryBufferDescriptor.MAGIC, ByteOrder.LITTLE_ENDIAN);
                b.putInt(8, RecoveryBufferDescriptor.VERSION, ByteOrder.LITTLE_ENDIAN);
            }
            final UnsafeBuffer b = new UnsafeBuffer(bytes);
            assertThatThrownBy(() -> RecoveryBufferDescriptor.checkHeader(b, bytes.length, "garbage"))
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("recovery buffer is damaged: file=garbage");
        }
    }
}
