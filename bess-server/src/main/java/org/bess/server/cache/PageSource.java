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

    /** Forces the writes so far to stable storage. */
    void force();
}
