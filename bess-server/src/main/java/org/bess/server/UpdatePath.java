package org.bess.server;

import org.bess.server.cache.BufferCache;
import org.bess.server.cache.PageWriteHook;
import org.bess.server.lock.LockMode;
import org.bess.server.txn.TransactionManager;

/**
 * The one place every change to a page passes through before the page is changed: the application's first write to a
 * data page (through a virtual frame fault) and every engine update of a control or data page. It locks the page
 * exclusively for the transaction (except inside a space-map change, which is a nested top action under the latch),
 * hands the page to the transaction manager (recovery buffer, full image of a clean page) and marks the frame dirty.
 *
 * <p>Not thread safe: called under the engine latch.
 */
final class UpdatePath implements PageWriteHook {
    private final BessServer server;
    private final BufferCache cache;
    private final TransactionManager txns;
    private int structureDepth;
    private long firstWrites;

    UpdatePath(final BessServer server, final BufferCache cache, final TransactionManager txns) {
        this.server = server;
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
        if (structureDepth == 0) {
            server.lockPageForAccess(window, pageNo, LockMode.X);
        }
        firstWrites++;
        // the recovery LSN is taken before a full page image of a clean page is logged: redo must start at or before it
        final long recLsn = txns.log().endLsn();
        txns.onFirstWrite(window, pageNo, frame);
        cache.markDirty(frame, recLsn);
    }

    @Override
    public void beforeWrite(final int window, final long pageNo, final int frame) {
        onFirstWrite(window, pageNo, frame);
    }

    @Override
    public void beginStructureChange() {
        structureDepth++;
        txns.beginNestedTopAction();
    }

    /** Starts a redo-only nested top action (a segment appended to a file: kept when the transaction aborts). */
    void beginRedoOnlyStructureChange() {
        structureDepth++;
        txns.beginNestedTopAction(true);
    }

    @Override
    public void structureUndo(final int action, final int window, final long pageNo, final int order) {
        txns.undoAction(action, window, pageNo, order);
    }

    @Override
    public void endStructureChange() {
        structureDepth--;
        txns.endNestedTopAction();
    }

    /** Whether a space-map change (nested top action) is in progress. */
    boolean inStructureChange() {
        return structureDepth > 0;
    }

    /** Page changes so far, over all transactions. */
    long firstWrites() {
        return firstWrites;
    }

    /** A transaction ended. */
    void endTransaction(final TransactionManager.Txn t) {
        // nothing per transaction is kept here: the recovery buffer belongs to the transaction manager
    }
}
