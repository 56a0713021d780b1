package org.bess.bench.oo7;

import java.util.SplittableRandom;

/**
 * Generates one OO7 module from the benchmark's published parameters (Carey, DeWitt, Naughton 1993, with the constants
 * of the OO7 generator source), deterministically from a seed. Sizes come from {@link Oo7Config}; the constants are:
 *
 * <ul>
 *   <li>one module; an assembly hierarchy of {@code assemblyLevels} levels (7 in small and medium) with fan-out 3
 *       (NumAssmPerAssm); each base assembly references 3 composite parts (NumCompPerAssm, private components only)
 *       drawn uniformly, with repeats, from the module's library of composite parts;
 *   <li>composite parts: a document each (title {@code "Composite Part %08d"}, text of DocumentSize bytes) and a graph
 *       of {@code atomicPerComposite} atomic parts whose root is the first; every atomic part has {@code
 *       connectionsPerAtomic} outgoing connections: the first to the next part of the composite (a ring, so that the
 *       graph is connected), the others to parts drawn uniformly in the composite;
 *   <li>build dates: atomic parts and assemblies uniform in [1000, 1999] (Min/MaxAtomicDate, Min/MaxAssmDate), the
 *       module in [1000, 1999]; composite parts whose id is a multiple of 10 (YoungCompFrac) are young, in [2000,
 *       2999], the others old, in [0, 999];
 *   <li>x and y uniform in [0, 99999] (XYRange); connection lengths uniform in [1, 100000]; types one of 10 strings
 *       ({@code "type0"} .. {@code "type9"}, TypeSize 10 bytes, NumTypes 10); an atomic part's docId uniform among the
 *       document ids;
 *   <li>the manual: {@code "I am the manual for module 00000001. "} repeated to ManualSize bytes.
 * </ul>
 *
 * <p>The reverse lists of the schema (an atomic part's incoming connections, a composite part's using assemblies) are
 * not built: no operation implemented here follows them. Stateless.
 */
public final class Oo7Generator {
    /** The seed the benchmarks and tests use. */
    public static final long DEFAULT_SEED = 0x007_1993L;

    static final int MIN_ATOMIC_DATE = 1000;
    static final int MAX_ATOMIC_DATE = 1999;
    static final int MIN_ASSEMBLY_DATE = 1000;
    static final int MAX_ASSEMBLY_DATE = 1999;
    static final int MIN_OLD_COMPOSITE_DATE = 0;
    static final int MAX_OLD_COMPOSITE_DATE = 999;
    static final int MIN_YOUNG_COMPOSITE_DATE = 2000;
    static final int MAX_YOUNG_COMPOSITE_DATE = 2999;
    static final int YOUNG_COMPOSITE_FRACTION = 10;
    static final int TYPE_COUNT = 10;
    static final int XY_RANGE = 100_000;

    private Oo7Generator() {}

    /**
     * Generates the module of a configuration.
     *
     * @param config the sizes.
     * @param seed the random seed; the same seed gives the same module.
     * @return the module.
     */
    public static Oo7Data generate(final Oo7Config config, final long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final Oo7Data.Arrays a = new Oo7Data.Arrays();
        final int atomicCount = config.atomicCount();
        final int perComposite = config.atomicPerComposite();
        final int connections = config.connectionsPerAtomic();
        a.atomicType = new int[atomicCount];
        a.atomicBuildDate = new int[atomicCount];
        a.atomicX = new int[atomicCount];
        a.atomicY = new int[atomicCount];
        a.atomicDocId = new int[atomicCount];
        a.connectionTo = new int[config.connectionCount()];
        a.connectionLength = new int[config.connectionCount()];
        a.connectionType = new int[config.connectionCount()];
        a.compositeType = new int[config.compositeCount()];
        a.compositeBuildDate = new int[config.compositeCount()];
        for (int c = 0; c < config.compositeCount(); c++) {
            a.compositeType[c] = random.nextInt(TYPE_COUNT);
            a.compositeBuildDate[c] = (c + 1) % YOUNG_COMPOSITE_FRACTION == 0
                    ? between(random, MIN_YOUNG_COMPOSITE_DATE, MAX_YOUNG_COMPOSITE_DATE)
                    : between(random, MIN_OLD_COMPOSITE_DATE, MAX_OLD_COMPOSITE_DATE);
            final int first = c * perComposite;
            for (int i = 0; i < perComposite; i++) {
                final int part = first + i;
                a.atomicType[part] = random.nextInt(TYPE_COUNT);
                a.atomicBuildDate[part] = between(random, MIN_ATOMIC_DATE, MAX_ATOMIC_DATE);
                a.atomicX[part] = random.nextInt(XY_RANGE);
                a.atomicY[part] = random.nextInt(XY_RANGE);
                a.atomicDocId[part] = 1 + random.nextInt(config.compositeCount());
                for (int k = 0; k < connections; k++) {
                    final int connection = part * connections + k;
                    a.connectionTo[connection] =
                            first + (k == 0 ? (i + 1) % perComposite : random.nextInt(perComposite));
                    a.connectionLength[connection] = 1 + random.nextInt(XY_RANGE);
                    a.connectionType[connection] = random.nextInt(TYPE_COUNT);
                }
            }
        }
        a.assemblyType = new int[config.assemblyCount()];
        a.assemblyBuildDate = new int[config.assemblyCount()];
        for (int i = 0; i < config.assemblyCount(); i++) {
            a.assemblyType[i] = random.nextInt(TYPE_COUNT);
            a.assemblyBuildDate[i] = between(random, MIN_ASSEMBLY_DATE, MAX_ASSEMBLY_DATE);
        }
        a.baseComponents = new int[config.baseAssemblyCount() * Oo7Config.COMPOSITES_PER_BASE];
        for (int i = 0; i < a.baseComponents.length; i++) {
            a.baseComponents[i] = random.nextInt(config.compositeCount());
        }
        a.moduleType = random.nextInt(TYPE_COUNT);
        a.moduleBuildDate = between(random, MIN_ASSEMBLY_DATE, MAX_ASSEMBLY_DATE);
        return new Oo7Data(config, seed, a);
    }

    private static int between(final SplittableRandom random, final int min, final int max) {
        return min + random.nextInt(max - min + 1);
    }
}
