package org.bess.server.cache;

/** Where the pages of one window come from and go to: a storage area, which checks and stamps checksums. */
public interface PageSource {
    /**
     * Reads a page from disk into a frame and verifies it.
     *
     * @param pageNo the page.
     * @param address the frame.
     * @param control whether it is a control page (checksum in its header) or a data page (checksum in page-info).
     */
    void load(long pageNo, long address, boolean control);

    /**
     * Writes a frame back to disk, stamping its checksum first.
     *
     * @param pageNo the page.
     * @param address the frame.
     * @param control as for {@link #load}.
     */
    void store(long pageNo, long address, boolean control);

    /**
     * Reads {@code count} consecutive data pages from disk into consecutive native memory and verifies each, in as few
     * reads as the source can (the default reads them one by one).
     *
     * @param firstPage the first page.
     * @param count pages.
     * @param address where the first page goes; page {@code i} goes {@code i * 4096} bytes later.
     */
    default void loadRun(final long firstPage, final int count, final long address) {
        for (int i = 0; i < count; i++) {
            load(firstPage + i, address + ((long) i << 12), false);
        }
    }

    /**
     * Writes back {@code count} consecutive data pages, stamping their checksums first, in as few writes as the source
     * can (the default writes them one by one). It must not pin a page that is not cached: the caller holds the frames.
     *
     * @param firstPage the first page.
     * @param count pages.
     * @param addresses the frames, one per page.
     */
    default void storeRun(final long firstPage, final int count, final long[] addresses) {
        for (int i = 0; i < count; i++) {
            store(firstPage + i, addresses[i], false);
        }
    }

    /**
     * Completes what writing back data pages left pending (page-info entries whose page was not in the cache), so that
     * the control pages written next hold it. Called by a checkpoint between its data and control passes.
     */
    default void flushPending() {}

    /** Forces the writes so far to stable storage. */
    void force();
}
