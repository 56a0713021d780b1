package org.bess.client;

/** Visits every live object of a file once, in a stable order (segment chain order, then slot order). */
public interface Cursor extends AutoCloseable {
    /** Moves to the next object; false at the end. */
    boolean next();

    /**
     * The current object.
     *
     * @throws org.bess.exceptions.BessException {@code ILLEGAL_STATE} when it is a large object (see {@link
     *     #isLarge()}).
     */
    ObjectRef object();

    /** Whether the current object is a large object. */
    boolean isLarge();

    /** The current object as a large object ({@code ILLEGAL_STATE} when it is not one). */
    LargeObject largeObject();

    /** The reference to the current object. */
    Ref ref();

    @Override
    void close();
}
