package org.bess.server;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.statistics.Statistics;

/**
 * Random sequences (up to 200, sizes uniform) of allocate / allocate-near / write / write-ref / read / free / resize / move-file / compact /
 * add-area / remove-area / commit on a small database (1 MiB extents, a 4 MiB cache so pages are evicted), against
 * {@link EngineModel}; then close, reopen and compare every object's bytes, size and type, each file's cursor (every
 * live object once, same order as before the close), the freed references (refused with {@code INVALID_REFERENCE}) and
 * the store's structural invariants. jqwik prints the seed and the shrunk sequence of a failure; shrunk failures are
 * kept as tests in {@link EngineModelTest}.
 */
class EngineModelProperties {
    @Provide
    Arbitrary<List<EngineModel.Op>> sequences() {
        final Arbitrary<Integer> any =
                Arbitraries.integers().between(0, 1 << 24).withDistribution(RandomDistribution.uniform());
        final Arbitrary<EngineModel.Op> op = Combinators.combine(
                        Arbitraries.integers().between(0, 99).withDistribution(RandomDistribution.uniform()),
                        any,
                        any,
                        any,
                        Arbitraries.longs())
                .as(EngineModel.Op::new);
        return op.list().ofMaxSize(200).withSizeDistribution(RandomDistribution.uniform());
    }

    @Property(tries = 30, edgeCases = EdgeCasesMode.NONE)
    void shouldKeepEveryObjectAndCursorWhenReopenedAfterRandomOperations(
            @ForAll("sequences") final List<EngineModel.Op> ops) throws IOException {
        run(ops, EngineModel.Way.EMBEDDED);
    }

    @Property(tries = 12, edgeCases = EdgeCasesMode.NONE)
    void shouldDoTheSameThroughASharedMemoryClient(@ForAll("sequences") final List<EngineModel.Op> ops)
            throws IOException {
        run(ops, EngineModel.Way.SHARED_MEMORY);
    }

    @Property(tries = 12, edgeCases = EdgeCasesMode.NONE)
    void shouldDoTheSameThroughACopyOnAccessClient(@ForAll("sequences") final List<EngineModel.Op> ops)
            throws IOException {
        run(ops, EngineModel.Way.COPY_ON_ACCESS);
    }

    private static void run(final List<EngineModel.Op> ops, final EngineModel.Way way) throws IOException {
        try (EngineModel model = new EngineModel(Files.createTempDirectory("bess-model"), way).start()) {
            for (final EngineModel.Op op : ops) {
                Statistics.label("kinds").collect(EngineModel.kindOf(op.kind()));
                model.apply(op);
            }
            model.events().forEach(e -> Statistics.label("events").collect(e));
            Statistics.label("operations").collect(ops.size() / 50 * 50 + "-" + (ops.size() / 50 * 50 + 49));
            model.verifyAfterReopen();
        }
    }
}
