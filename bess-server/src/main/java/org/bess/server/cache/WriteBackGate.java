package org.bess.server.cache;

/** Runs before a dirty frame is written back: where the write-ahead rule is enforced. */
@FunctionalInterface
public interface WriteBackGate {
    /**
     * A dirty frame is about to be written to its area; return only when the log is durable up to the frame's LSN.
     *
     * @param window the page's window.
     * @param pageNo the page.
     * @param frame the frame, pinned.
     */
    void beforeWriteBack(int window, long pageNo, int frame);
}
