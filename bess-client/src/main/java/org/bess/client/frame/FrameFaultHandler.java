package org.bess.client.frame;

/**
 * The slow path behind virtual frames: what the BeSS paper's fault handler does (§4.1). In embedded mode the engine
 * implements it directly; in client modes it becomes requests to the node server.
 */
public interface FrameFaultHandler {
    /**
     * Brings a data page into the cache and counts this process as one of its users, so that the cache frame is not
     * replaced while it is mapped.
     *
     * @param window the window of the page's area.
     * @param pageNo the page in its area.
     * @return the cache frame index holding the page.
     */
    int acquireFrame(int window, long pageNo);

    /**
     * A page still mapped from an earlier transaction is accessed again: take the current transaction's shared lock.
     *
     * @param window the window of the page's area.
     * @param pageNo the page in its area.
     */
    void lockForRead(int window, long pageNo);

    /**
     * The process stopped mapping a cache frame (level-one clock, or close).
     *
     * @param cacheFrame the frame from {@link #acquireFrame}.
     */
    void releaseFrame(int cacheFrame);

    /**
     * The first write to a page in the current transaction is about to happen: lock, before-image, dirty marking.
     *
     * @param window the window of the page's area.
     * @param pageNo the page in its area.
     */
    void beforeFirstWrite(int window, long pageNo);

    /**
     * The first write to a mapped page, with what the process knows of its frame: a handler that can lock and
     * before-image the page itself (a shared-memory client's lock fast path) uses them; the default asks {@link
     * #beforeFirstWrite(int, long)}.
     *
     * @param window the page's window.
     * @param pageNo the page in its area.
     * @param cacheFrame the cache frame mapped there (from {@link #acquireFrame}).
     * @param address where the page is mapped in this process (readable).
     */
    default void beforeFirstWrite(int window, long pageNo, int cacheFrame, long address) {
        beforeFirstWrite(window, pageNo);
    }

    /** The file descriptor of the cache file, whose frames are mapped into virtual frames. */
    int cacheFd();
}
