package org.bess.server;

import org.agrona.collections.LongHashSet;
import org.bess.format.CacheControlDescriptor;
import org.bess.server.cache.BufferCache;

/**
 * The one place every change to a page passes through before the page is changed: the application's first write to a
 * data page (through a virtual frame fault) and every engine update of a control or data page. Today it marks the
 * frame dirty and records the page as written by the open transaction; the transactions issue hooks locking, the copy
 * to the recovery buffer and logging here.
 *
 * <p>Not thread safe: the engine thread only.
 */
final class UpdatePath {
    private final BufferCache cache;
    private final LongHashSet written = new LongHashSet();
    private long firstWrites;

    UpdatePath(final BufferCache cache) {
        this.cache = cache;
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
        cache.markDirty(frame);
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
