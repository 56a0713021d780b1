package org.bess.server;

import org.agrona.collections.LongHashSet;
import org.bess.format.CacheControlDescriptor;
import org.bess.server.cache.BufferCache;
import org.bess.server.cache.PageWriteHook;
import org.bess.server.txn.TransactionManager;

/**
 * The one place every change to a page passes through before the page is changed: the application's first write to a
 * data page (through a virtual frame fault) and every engine update of a control or data page. It hands the page to
 * the transaction manager (recovery buffer, full image of a clean page) and marks the frame dirty.
 *
 * <p>Not thread safe: the engine thread only.
 */
final class UpdatePath implements PageWriteHook {
    private final BufferCache cache;
    private final TransactionManager txns;
    private final LongHashSet written = new LongHashSet();
    private long firstWrites;

    UpdatePath(final BufferCache cache, final TransactionManager txns) {
        this.cache = cache;
        this.txns = txns;
    }

    /**
     * A page is about to change.
     *
     * @param window the page's window.
     * @param pageNo the page.
     * @param frame its frame, pinned by the caller.
     */
    void onFirstWrite(final int window, final long pageNo, final int frame) {
        if (written.add(CacheControlDescriptor.pageKey(window, pageNo))) {
            firstWrites++;
        }
        txns.onFirstWrite(window, pageNo, frame);
        cache.markDirty(frame);
    }

    @Override
    public void beforeWrite(final int window, final long pageNo, final int frame) {
        onFirstWrite(window, pageNo, frame);
    }

    /** Pages written by the open transaction. */
    int writtenCount() {
        return written.size();
    }

    /** First writes so far, over all transactions. */
    long firstWrites() {
        return firstWrites;
    }

    /** The transaction ended. */
    void endTransaction() {
        written.clear();
    }
}
