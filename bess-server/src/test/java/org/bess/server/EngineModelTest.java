package org.bess.server;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.bess.server.EngineModel.Op;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Shrunk failures of {@link EngineModelProperties}, kept as regression tests (each names the bug it found), run the
 * three ways a session reaches the engine.
 */
class EngineModelTest {
    @TempDir
    Path dir;

    private void run(final EngineModel.Way way, final List<Op> ops) throws IOException {
        try (EngineModel model = new EngineModel(dir, way).start()) {
            for (final Op op : ops) {
                model.apply(op);
            }
            model.verifyAfterReopen();
        }
    }

    @ParameterizedTest
    @EnumSource(EngineModel.Way.class)
    void shouldRefuseTheHandleOfAFreedObjectWhenItIsUsedAfterTheFree(final EngineModel.Way way) throws IOException {
        // free did not move the layout epoch, so the handle kept reading (and writing) the freed bytes
        run(way, List.of(new Op(0, 0, 0, 0, 0L) /* ALLOCATE */, new Op(54, 0, 0, 0, 0L) /* FREE */));
    }

    @ParameterizedTest
    @EnumSource(EngineModel.Way.class)
    void shouldSeeTheNewSizeThroughAnOpenHandleWhenResizedInPlace(final EngineModel.Way way) throws IOException {
        // an in-place resize did not move the layout epoch, so the handle kept the old size and bounds
        run(way, List.of(new Op(0, 0, 0, 0, 0L) /* ALLOCATE */, new Op(66, 0, 0, 1, 0L) /* RESIZE */));
    }

    @ParameterizedTest
    @EnumSource(EngineModel.Way.class)
    void shouldStampACatalogPageWhenItReusesAFreedDataPageStillInTheCache(final EngineModel.Way way)
            throws IOException {
        // the freed data segment's page became the new catalog page; pinNew kept the frame's "data" role, so it was
        // written back without its header checksum and the reopen failed with a checksum mismatch
        run(way, List.of(new Op(0, 0, 0, 1, 0L) /* ALLOCATE */, new Op(54, 0, 0, 0, 0L) /* FREE */));
    }

    @ParameterizedTest
    @EnumSource(EngineModel.Way.class)
    void shouldCommitAfterAnEmptyAreaWasRemoved(final EngineModel.Way way) throws IOException {
        // the removed area stayed registered in the cache, so the next checkpoint forced its closed file descriptor
        run(
                way,
                List.of(
                        new Op(84, 0, 0, 0, 0L) /* ADD_AREA */,
                        new Op(0, 0, 0, 0, 0L) /* ALLOCATE */,
                        new Op(0, 0, 0, 0, 0L) /* ALLOCATE */,
                        new Op(0, 0, 0, 0, 0L) /* ALLOCATE */,
                        new Op(5, 363775, 144627, 206, -3815522L) /* ALLOCATE */,
                        new Op(17, 1223038, 1852, 1884230, -3727L) /* ALLOCATE */,
                        new Op(87, 647, 5182, 585422, 674L) /* REMOVE_AREA */));
    }
}
