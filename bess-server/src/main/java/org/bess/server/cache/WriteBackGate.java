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

    /**
     * Whether a checkpoint may write the frame now: not while another session's transaction may be changing it in
     * place through a mapped, writable frame (its bytes could reach the disk ahead of any log record of them).
     *
     * @param window the page's window.
     * @param pageNo the page.
     * @param frame the frame.
     * @return true to write it; false leaves it dirty (the checkpoint lists it with its recovery LSN).
     */
    default boolean mayWriteBack(int window, long pageNo, int frame) {
        return true;
    }

    /**
     * Whether a client transaction holds X on the page by the lock fast path (docs/format/lock-table.md): it may have
     * changed the page in place with nothing logged yet and nothing told to the server, so the frame is neither written
     * back nor replaced until that transaction ends. Asked with the frame's writing flag set in the client-map file
     * (the handshake with a client taking X right now).
     *
     * @param window the page's window.
     * @param pageNo the page.
     * @return true to leave the frame alone.
     */
    default boolean clientExclusive(int window, long pageNo) {
        return false;
    }
}
