package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.RefDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.format.SlottedSegmentDescriptor;

/** Test code that reads and damages storage area files while no session has them open. */
final class AreaFiles {
    private AreaFiles() {}

    /** A page of an area file, little-endian. */
    static ByteBuffer readPage(final Path file, final long pageNo) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            final ByteBuffer b = ByteBuffer.allocate(PAGE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, pageNo * PAGE_LENGTH);
            return b.clear();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a page back. */
    static void writePage(final Path file, final long pageNo, final ByteBuffer page) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(page.duplicate().clear(), pageNo * PAGE_LENGTH);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Recomputes a control page's header checksum, as a writer of a valid page would (see PageChecksums). */
    static void restamp(final ByteBuffer page) {
        final CRC32C crc = new CRC32C();
        crc.update(
                page.array(),
                PageHeaderDescriptor.CHECKSUMMED_FROM,
                PAGE_LENGTH - PageHeaderDescriptor.CHECKSUMMED_FROM);
        page.putInt(PageHeaderDescriptor.CHECKSUM_OFFSET, (int) crc.getValue());
    }

    /** Flips the bits of {@code mask} in one byte of a file. */
    static void flip(final Path file, final long position, final int mask) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            final ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, position);
            b.put(0, (byte) (b.get(0) ^ mask)).clear();
            ch.write(b, position);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where an object's bytes are: {data area id, data page, offset in that page}, from its slot on disk. */
    static long[] dataLocation(final Path rootArea, final long word) {
        final ByteBuffer seg = readPage(rootArea, RefDescriptor.segmentPage(word));
        final int off = SlottedSegmentDescriptor.slotOffset(RefDescriptor.slotIndex(word));
        final int dataOffset = seg.getInt(off + SlotDescriptor.DATA_OFFSET_OFFSET);
        return new long[] {
            seg.getShort(off + SlotDescriptor.DATA_AREA_OFFSET) & 0xFFFF,
            (seg.getInt(off + SlotDescriptor.DATA_PAGE_OFFSET) & 0xFFFF_FFFFL) + dataOffset / PAGE_LENGTH,
            dataOffset % PAGE_LENGTH
        };
    }
}
