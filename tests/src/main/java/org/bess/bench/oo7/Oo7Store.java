package org.bess.bench.oo7;

/**
 * One system holding one OO7 module: built by its implementation's factory, then asked to run operations. Results are
 * comparable across systems: the same module and the same sequence of operations give the same numbers. Not thread
 * safe.
 */
public interface Oo7Store extends AutoCloseable {
    /** The system's name: {@code heap}, {@code lmdb} or {@code bess}. */
    String system();

    /**
     * Runs one operation, in its own transaction where the system has them (committed when it updates).
     *
     * @param op the operation.
     * @return its result (see {@link Oo7Operation}).
     */
    long run(Oo7Operation op);

    /**
     * A checksum of every atomic part's id, build date, x and y, for tests that check updates landed the same way
     * everywhere. Not an OO7 operation.
     *
     * @return the checksum.
     */
    long checksum();

    /** Releases the system's resources; the store is not deleted. */
    @Override
    void close();

    /** Mixes one atomic part into a {@link #checksum()}. */
    static long mixChecksum(final long sum, final int id, final int buildDate, final int x, final int y) {
        return sum * 1_000_003L + ((((long) id * 31 + buildDate) * 31 + x) * 31 + y);
    }
}
