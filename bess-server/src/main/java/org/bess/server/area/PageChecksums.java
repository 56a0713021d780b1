package org.bess.server.area;

import static org.bess.format.PageHeaderDescriptor.CHECKSUMMED_FROM;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;

/** CRC32C of pages in native memory. Not thread safe: one instance per engine thread. */
public final class PageChecksums {
    /** CRC32C of a page of zeros: data page entries are stored XOR this, so that zero means "never written". */
    public static final int ZERO_PAGE_CRC = computeZeroCrc();

    private final byte[] scratch = new byte[PAGE_LENGTH];
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final CRC32C crc = new CRC32C();

    /** The checksum a control page carries in its header: CRC32C of bytes [4, 4096). */
    public int controlChecksum(final long address) {
        view.wrap(address, PAGE_LENGTH);
        view.getBytes(0, scratch, 0, PAGE_LENGTH);
        crc.reset();
        crc.update(scratch, CHECKSUMMED_FROM, PAGE_LENGTH - CHECKSUMMED_FROM);
        return (int) crc.getValue();
    }

    /** The page-info entry of a data page: CRC32C of the whole page XOR {@link #ZERO_PAGE_CRC}. */
    public int dataEntry(final long address) {
        view.wrap(address, PAGE_LENGTH);
        view.getBytes(0, scratch, 0, PAGE_LENGTH);
        crc.reset();
        crc.update(scratch, 0, PAGE_LENGTH);
        return (int) crc.getValue() ^ ZERO_PAGE_CRC;
    }

    private static int computeZeroCrc() {
        final CRC32C c = new CRC32C();
        c.update(new byte[PAGE_LENGTH], 0, PAGE_LENGTH);
        return (int) c.getValue();
    }
}
