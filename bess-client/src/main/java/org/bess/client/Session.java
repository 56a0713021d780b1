package org.bess.client;

import java.nio.file.Path;
import java.util.List;

/** A connection to a node's engine: opens databases and begins transactions. Not thread safe. */
public interface Session extends AutoCloseable {
    /** Default extent length: 16 MiB. */
    long DEFAULT_EXTENT_BYTES = 16L << 20;

    /**
     * Creates a database whose root storage area is a new file at {@code rootAreaPath}, with 16 MiB extents.
     *
     * @return the open database.
     */
    default Database createDatabase(final Path rootAreaPath) {
        return createDatabase(rootAreaPath, DEFAULT_EXTENT_BYTES);
    }

    /**
     * Creates a database with the given extent length (a power of two from 1 MiB to 16 MiB).
     *
     * @return the open database.
     */
    Database createDatabase(Path rootAreaPath, long extentBytes);

    /**
     * Opens an existing database by its root area path (opening it again returns the same database).
     *
     * @return the open database.
     */
    Database openDatabase(Path rootAreaPath);

    /** The databases this session has open. */
    List<Database> databases();

    /**
     * Begins a transaction.
     *
     * @return the transaction; close it without commit to end it.
     */
    Transaction begin();

    /** Closes every database (writing back what is committed) and releases the session. */
    @Override
    void close();
}
