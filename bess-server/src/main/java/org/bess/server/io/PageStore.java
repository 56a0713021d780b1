package org.bess.server.io;

import java.nio.file.Path;

/**
 * The pages of one storage area on stable storage. Reads and writes move whole pages between the area and native
 * memory (a cache frame); nothing written is durable until {@link #force()} returns.
 *
 * <p>Implementations are thread safe for reads and writes of distinct pages.
 */
public interface PageStore extends AutoCloseable {
    /** The file or device. */
    Path path();

    /** Pages the area holds now. */
    long pageCount();

    /** Whether the area is a raw block device (never grown or truncated). */
    boolean isDevice();

    /**
     * Reads a page into native memory.
     *
     * @param pageNo the page.
     * @param address where to put its 4096 bytes.
     */
    void read(long pageNo, long address);

    /**
     * Reads consecutive pages into consecutive native memory (the default reads them one by one).
     *
     * @param pageNo the first page.
     * @param count pages.
     * @param address where the first page's 4096 bytes go; the others follow.
     */
    default void read(final long pageNo, final int count, final long address) {
        for (int i = 0; i < count; i++) {
            read(pageNo + i, address + ((long) i << 12));
        }
    }

    /**
     * Writes a page from native memory.
     *
     * @param pageNo the page.
     * @param address where its 4096 bytes are.
     */
    void write(long pageNo, long address);

    /**
     * Writes consecutive pages from consecutive native memory (the default writes them one by one).
     *
     * @param pageNo the first page.
     * @param count pages.
     * @param address where the first page's 4096 bytes are; the others follow.
     */
    default void write(final long pageNo, final int count, final long address) {
        for (int i = 0; i < count; i++) {
            write(pageNo + i, address + ((long) i << 12));
        }
    }

    /** Makes every write so far durable ({@code fdatasync}). */
    void force();

    /** Grows the area to {@code pageCount} pages of zeros, with the blocks reserved. */
    void grow(long pageCount);

    /** Cuts the area to {@code pageCount} pages. */
    void truncate(long pageCount);

    @Override
    void close();
}
