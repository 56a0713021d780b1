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

    /** A space-map change starts: its pages are logged as a nested top action when it ends. */
    default void beginStructureChange() {}

    /**
     * The logical undo of the structure change in progress: one of the {@code TransactionManager.UNDO_*} actions.
     *
     * @param action the action.
     * @param window the area's window.
     * @param pageNo the block's first page.
     * @param order the block's order (for a grow undone by a shrink: the order before the grow).
     */
    default void structureUndo(int action, int window, long pageNo, int order) {}

    /** The space-map change ends. */
    default void endStructureChange() {}
}
