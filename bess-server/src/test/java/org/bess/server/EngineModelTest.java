package org.bess.server;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.bess.server.EngineModel.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shrunk failures of {@link EngineModelProperties}, kept as regression tests (each names the bug it found). */
class EngineModelTest {
    @TempDir
    Path dir;

    private void run(final List<Op> ops) throws IOException {
        try (EngineModel model = new EngineModel(dir).start()) {
            for (final Op op : ops) {
                model.apply(op);
            }
            model.verifyAfterReopen();
        }
    }

    @Test
    void shouldRefuseTheHandleOfAFreedObjectWhenItIsUsedAfterTheFree() throws IOException {
        // free did not move the layout epoch, so the handle kept reading (and writing) the freed bytes
        run(List.of(new Op(0, 0, 0, 0, 0L) /* ALLOCATE */, new Op(54, 0, 0, 0, 0L) /* FREE */));
    }

    @Test
    void shouldSeeTheNewSizeThroughAnOpenHandleWhenResizedInPlace() throws IOException {
        // an in-place resize did not move the layout epoch, so the handle kept the old size and bounds
        run(List.of(new Op(0, 0, 0, 0, 0L) /* ALLOCATE */, new Op(66, 0, 0, 1, 0L) /* RESIZE */));
    }

    @Test
    void shouldStampACatalogPageWhenItReusesAFreedDataPageStillInTheCache() throws IOException {
        // the freed data segment's page became the new catalog page; pinNew kept the frame's "data" role, so it was
        // written back without its header checksum and the reopen failed with a checksum mismatch
        run(List.of(new Op(0, 0, 0, 1, 0L) /* ALLOCATE */, new Op(54, 0, 0, 0, 0L) /* FREE */));
    }

    @Test
    void shouldCommitAfterAnEmptyAreaWasRemoved() throws IOException {
        // the removed area stayed registered in the cache, so the next checkpoint forced its closed file descriptor
        run(List.of(
                new Op(84, 0, 0, 0, 0L) /* ADD_AREA */,
                new Op(0, 0, 0, 0, 0L) /* ALLOCATE */,
                new Op(0, 0, 0, 0, 0L) /* ALLOCATE */,
                new Op(0, 0, 0, 0, 0L) /* ALLOCATE */,
                new Op(5, 363775, 144627, 206, -3815522L) /* ALLOCATE */,
                new Op(17, 1223038, 1852, 1884230, -3727L) /* ALLOCATE */,
                new Op(87, 647, 5182, 585422, 674L) /* REMOVE_AREA */));
    }
}
