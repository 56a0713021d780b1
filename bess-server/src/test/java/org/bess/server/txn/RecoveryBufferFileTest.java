package org.bess.server.txn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.remote.RecoveryBufferMapping;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CacheControlDescriptor;
import org.bess.format.RecoveryBufferDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recovery-buffer area on real files: what the server writes, what a reader (the client's read-only mapping, or
 * {@link RecoveryBuffer#open}) accepts, and garbage, truncated or damaged files refused with an error naming the file.
 */
class RecoveryBufferFileTest {
    @TempDir
    Path dir;

    private byte[] goodBytes(final int slots) throws Exception {
        final Path file = dir.resolve("recovery-1-1");
        try (RecoveryBuffer area = RecoveryBuffer.create(file, slots, 1)) {
            final int slot = area.tryClaim(CacheControlDescriptor.pageKey(0, 5));
            area.image(slot).setMemory(0, PAGE_LENGTH, (byte) 0x5A);
            area.seal(slot, 9, false);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .isEqualTo("rw-------");
            return Files.readAllBytes(file);
        } finally {
            assertThat(file).as("deleted when the area closes").doesNotExist();
        }
    }

    @Test
    void shouldPublishSlotsAReaderCanFindAndCheck() throws Exception {
        final byte[] bytes = goodBytes(8);
        final Path copy = Files.write(dir.resolve("copy"), bytes);
        try (RecoveryBufferMapping m = RecoveryBufferMapping.map(copy);
                RecoveryBuffer r = RecoveryBuffer.open(copy)) {
            assertThat(m.slotCount()).isEqualTo(8);
            assertThat(r.slotCount()).isEqualTo(8);
            assertThat(m.connectionId()).isEqualTo(1);
            assertThat(m.imagesHeld()).isEqualTo(1);
            final byte[] image = new byte[PAGE_LENGTH];
            assertThat(m.beforeImage(0, 5, image)).isTrue();
            final byte[] expected = new byte[PAGE_LENGTH];
            Arrays.fill(expected, (byte) 0x5A);
            assertThat(image).isEqualTo(expected);
            assertThat(m.beforeImage(0, 6, image)).isFalse();
        }
    }

    private void assertRefused(final byte[] bytes, final String what) throws Exception {
        final Path file = Files.write(dir.resolve("bad"), bytes);
        for (final Function<Path, AutoCloseable> reader :
                java.util.List.<Function<Path, AutoCloseable>>of(RecoveryBufferMapping::map, RecoveryBuffer::open)) {
            assertThatThrownBy(() -> reader.apply(file).close())
                    .as(what)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_FORMAT))
                    .hasMessageContaining("recovery buffer is damaged: file=" + file)
                    .hasMessageContaining(what);
        }
    }

    @Test
    void shouldRefuseTruncatedDamagedAndGarbageFiles() throws Exception {
        final byte[] good = goodBytes(8);
        assertRefused(new byte[0], "shorter than its header");
        assertRefused(Arrays.copyOf(good, 40), "shorter than its header");
        assertRefused(Arrays.copyOf(good, RecoveryBufferDescriptor.HEADER_LENGTH), "does not match its slot count");
        assertRefused(Arrays.copyOf(good, good.length - 1), "does not match its slot count");
        assertRefused(Arrays.copyOf(good, good.length - PAGE_LENGTH), "does not match its slot count");
        assertRefused(Arrays.copyOf(good, good.length + PAGE_LENGTH), "does not match its slot count");
        final byte[] magic = good.clone();
        magic[0] ^= 1;
        assertRefused(magic, "not a recovery buffer");
        final byte[] slots = good.clone();
        slots[RecoveryBufferDescriptor.SLOT_COUNT_OFFSET] = 9;
        assertRefused(slots, "header checksum mismatch");
        final byte[] crc = good.clone();
        crc[RecoveryBufferDescriptor.HEADER_CHECKSUM_OFFSET] ^= 1;
        assertRefused(crc, "header checksum mismatch");
        final Random random = new Random(7);
        for (int i = 0; i < 50; i++) {
            final byte[] garbage = new byte[random.nextBoolean() ? good.length : random.nextInt(2 * good.length)];
            random.nextBytes(garbage);
            assertRefused(garbage, "");
        }
    }

    @Test
    void shouldRefuseToRestoreASlotWhoseImageOrDirectoryEntryWasDamaged() {
        try (RecoveryBuffer area = RecoveryBuffer.anonymous(4)) {
            final int slot = area.tryClaim(CacheControlDescriptor.pageKey(1, 2));
            area.image(slot).setMemory(0, PAGE_LENGTH, (byte) 3);
            area.seal(slot, 1, true);
            area.verify(slot);
            final UnsafeBuffer mapping = area.mapping();
            final int image = (int) RecoveryBufferDescriptor.imageOffset(4, slot);
            mapping.putByte(image + 100, (byte) 4);
            assertThatThrownBy(() -> area.verify(slot))
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CORRUPT_PAGE))
                    .hasMessageContaining("file=anonymous, slot=" + slot)
                    .hasMessageContaining("image checksum");
            mapping.putByte(image + 100, (byte) 3);
            area.verify(slot);
            final int key =
                    (int) RecoveryBufferDescriptor.entryOffset(slot) + RecoveryBufferDescriptor.ENTRY_KEY_OFFSET;
            mapping.putLong(key, CacheControlDescriptor.pageKey(1, 3));
            assertThatThrownBy(() -> area.verify(slot)).hasMessageContaining("expected 0x");
            mapping.putLong(key, CacheControlDescriptor.pageKey(1, 2));
            mapping.putByte(RecoveryBufferDescriptor.SLOT_COUNT_OFFSET, (byte) 5);
            assertThatThrownBy(() -> area.verify(slot))
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CORRUPT_PAGE))
                    .hasMessageContaining("header checksum mismatch");
        }
    }

    @Test
    void shouldReuseFreedSlotsAndReportWhenFull() {
        try (RecoveryBuffer area = RecoveryBuffer.anonymous(2)) {
            final int a = area.tryClaim(1);
            final int b = area.tryClaim(2);
            assertThat(area.tryClaim(3)).isEqualTo(-1);
            area.release(a);
            assertThat(area.tryClaim(4)).isEqualTo(a);
            assertThat(b).isNotEqualTo(a);
        }
    }
}
