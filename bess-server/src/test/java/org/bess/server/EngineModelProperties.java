package org.bess.server;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Random sequences of allocate / allocate-near / write / write-ref / read / free / resize / move-file / compact /
 * add-area / remove-area / commit on a small database (1 MiB extents, a 4 MiB cache so pages are evicted), against
 * {@link EngineModel}; then close, reopen and compare every object's bytes, size and type, each file's cursor (every
 * live object once, same order as before the close), the freed references (refused with {@code INVALID_REFERENCE}) and
 * the store's structural invariants. jqwik prints the seed and the shrunk sequence of a failure; shrunk failures are
 * kept as tests in {@link EngineModelTest}.
 */
class EngineModelProperties {
    @Provide
    Arbitrary<EngineModel.Op> ops() {
        final Arbitrary<Integer> any = Arbitraries.integers().between(0, 1 << 24);
        return Combinators.combine(Arbitraries.integers().between(0, 99), any, any, any, Arbitraries.longs())
                .as(EngineModel.Op::new);
    }

    @Property(tries = 40)
    void shouldKeepEveryObjectAndCursorWhenReopenedAfterRandomOperations(
            @ForAll @Size(max = 200) final List<EngineModel.@From("ops") Op> ops) throws IOException {
        try (EngineModel model = new EngineModel(Files.createTempDirectory("bess-model")).start()) {
            for (final EngineModel.Op op : ops) {
                model.apply(op);
            }
            model.verifyAfterReopen();
        }
    }
}
