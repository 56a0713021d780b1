package org.bess.client;

/** Visits every live object of a file once, in a stable order (segment chain order, then slot order). */
public interface Cursor extends AutoCloseable {
    /** Moves to the next object; false at the end. */
    boolean next();

    /** The current object. */
    ObjectRef object();

    @Override
    void close();
}
