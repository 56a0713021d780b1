package org.bess.bench.oo7;

/**
 * A set of 64-bit keys (references or OIDs) for one depth-first search at a time, emptied in O(1) by {@link #clear()}
 * (each slot carries the generation it was written in). Open addressing with linear probing, sized for a bounded
 * number of keys per generation. Not thread safe.
 */
final class VisitedSet {
    private final long[] keys;
    private final int[] generations;
    private final int mask;
    private int generation = 1;

    /**
     * Makes a set for at most {@code maxKeys} keys per generation.
     *
     * @param maxKeys the most keys added between two clears.
     */
    VisitedSet(final int maxKeys) {
        final int capacity = Integer.highestOneBit(Math.max(4, maxKeys) * 4 - 1) << 1;
        keys = new long[capacity];
        generations = new int[capacity];
        mask = capacity - 1;
    }

    /** Empties the set. */
    void clear() {
        generation++;
        if (generation == 0) {
            java.util.Arrays.fill(generations, 0);
            generation = 1;
        }
    }

    /**
     * Adds a key.
     *
     * @return true when it was not in the set.
     */
    boolean add(final long key) {
        int i = (int) (key * 0x9E37_79B9_7F4A_7C15L >>> 40) & mask;
        while (generations[i] == generation) {
            if (keys[i] == key) {
                return false;
            }
            i = (i + 1) & mask;
        }
        generations[i] = generation;
        keys[i] = key;
        return true;
    }
}
