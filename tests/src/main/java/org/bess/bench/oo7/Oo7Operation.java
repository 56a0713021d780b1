package org.bess.bench.oo7;

/**
 * The OO7 operations implemented here, each returning a number that must be the same on every system for the same
 * module and the same history of operations. Traversals start at the module's design root and go down the assembly
 * hierarchy to every base assembly, then to each of its 3 composite parts (a composite part used by several base
 * assemblies is traversed once per use, as in the paper). Updates run in one transaction per operation, committed.
 *
 * <p>Not implemented: Q2 and Q3 (1% and 10% range queries on the atomic parts' build date) and Q4 (lookup of 10
 * documents by title, then their composite parts' base assemblies): they need a secondary index (a B+-tree on build
 * date, an index on title, and the reverse "used in" lists), which bess does not have; run over a scan, Q2 and Q3 would
 * be Q7 with a comparison. T3a updates the build date, which OO7 indexes; no system here maintains an index, so it
 * measures the update without index maintenance everywhere.
 */
public enum Oo7Operation {
    /** Full traversal: a depth-first search of every visited composite part's atomic-part graph; counts visits. */
    T1,
    /** Sparse traversal: visits only the root atomic part of each composite part; counts them. */
    T6,
    /** T1, swapping x and y of the root atomic part of each composite part visited. */
    T2A,
    /** T1, swapping x and y of every atomic part visited. */
    T2B,
    /** T1, swapping x and y of every atomic part visited 4 times. */
    T2C,
    /** T1, toggling the build date (odd: minus one, even: plus one) of each composite part's root atomic part. */
    T3A,
    /** Scans the manual's text; counts the character {@code 'I'}. */
    T8,
    /** Compares the first and last characters of the manual; 1 when equal, else 0. */
    T9,
    /**
     * Exact-match lookup of 10 atomic parts by id (ids from a seeded sequence, the same on every system); returns the
     * sum of their build dates. Ids are dense, so every system's lookup is its natural one: an array on the heap, the
     * key on lmdb (the OID is derived from the id), and on bess an id-to-reference table the application stores in a
     * large object (bess has no index; applications keep references).
     */
    Q1,
    /** Single-level make: counts base assemblies using a composite part built later than themselves. */
    Q5,
    /** Multi-level make: counts assemblies (complex or base) using, at any depth, a composite part built later. */
    Q6,
    /** Scans every atomic part (the extent); returns the sum of their ids. */
    Q7,
    /**
     * Ad hoc join of every atomic part with the document whose id is its docId, through the same id-to-object access
     * as Q1; returns the number of pairs found.
     */
    Q8;

    /** Lookups per Q1. */
    public static final int Q1_LOOKUPS = 10;

    /** Whether the operation changes the database (and commits). */
    public boolean isUpdate() {
        return this == T2A || this == T2B || this == T2C || this == T3A;
    }

    /**
     * The operation of a name as used in benchmark parameters: {@code T1}, {@code T2a}, {@code Q7}, ... (any case).
     *
     * @param name the name.
     * @return the operation.
     * @throws IllegalArgumentException naming the text and the known operations.
     */
    public static Oo7Operation parse(final String name) {
        for (final Oo7Operation op : values()) {
            if (op.name().equalsIgnoreCase(name)) {
                return op;
            }
        }
        throw new IllegalArgumentException(
                "unknown OO7 operation: op=" + name + ", expected one of " + java.util.Arrays.toString(values()));
    }

    /**
     * The atomic part ids the {@code call}-th Q1 of a store looks up (from 0), the same on every system.
     *
     * @param seed the module's seed.
     * @param call the number of Q1 calls the store ran before.
     * @param atomicCount atomic parts in the module.
     * @param ids filled with {@link #Q1_LOOKUPS} ids in {@code [1, atomicCount]}.
     */
    static void q1Ids(final long seed, final long call, final int atomicCount, final int[] ids) {
        long state = seed * 0x9E37_79B9_7F4A_7C15L + call;
        for (int i = 0; i < Q1_LOOKUPS; i++) {
            state = mix(state + 0x9E37_79B9_7F4A_7C15L);
            ids[i] = 1 + (int) Long.remainderUnsigned(state, atomicCount);
        }
    }

    private static long mix(final long z0) {
        long z = (z0 ^ (z0 >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
