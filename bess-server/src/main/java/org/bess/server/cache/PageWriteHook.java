package org.bess.server.cache;

/** The update path as areas see it: called before an area changes one of its control pages in a pinned frame. */
@FunctionalInterface
public interface PageWriteHook {
    /**
     * A page is about to change; the hook marks the frame dirty (and logs, in a transaction).
     *
     * @param window the page's window.
     * @param pageNo the page.
     * @param frame its frame, pinned.
     */
    void beforeWrite(int window, long pageNo, int frame);
}
