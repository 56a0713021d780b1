package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.frame.VirtualFrames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The virtual frames count the kernel mappings (VMAs) they cost as an upper bound of the real count in the process's
 * {@code /proc/self/maps}, frames mapped apart or in runs, and the level-one clock keeps the frames mapped within the
 * budget while it remaps over many more pages than it holds.
 */
class FrameMappingCountTest {
    private static final int OBJECTS = 3000;

    @TempDir
    Path dir;

    @Test
    void shouldCountAtLeastTheMappingsTheKernelHasAndStayInTheBudget() throws IOException {
        final int budget = 256;
        final Context context = new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(64L << 20)
                .frameBudget(budget);
        try (EmbeddedSession s = (EmbeddedSession) BessServer.embedded(context)) {
            final Database db = s.createDatabase(dir.resolve("m.root"), 4L << 20);
            // two objects per page: 1,500 data pages
            final TypeId type = db.defineType("Big", 2000, new int[0]);
            final Ref[] refs = new Ref[OBJECTS];
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "f");
                for (int i = 0; i < OBJECTS; i++) {
                    final ObjectRef o = tx.allocate(f, type);
                    o.putInt(0, i);
                    refs[i] = o.ref();
                }
                tx.commit();
            }
            final VirtualFrames frames = s.frames();
            final long base = frames.address(0, 0);
            final long end = base + context.maxWindows() * context.windowSizeBytes();
            try (Transaction tx = s.begin()) {
                // every fourth page (objects apart), then every object (pages in runs), twice over
                for (int pass = 0; pass < 2; pass++) {
                    for (int i = 0; i < OBJECTS; i += 8) {
                        assertThat(tx.open(refs[i]).getInt(0)).isEqualTo(i);
                    }
                    assertThat(frames.mappings())
                            .as("counted mappings cover the kernel's")
                            .isGreaterThanOrEqualTo(kernelMappings(base, end) - 1);
                    for (int i = 0; i < OBJECTS; i++) {
                        assertThat(tx.open(refs[i]).getInt(0)).isEqualTo(i);
                    }
                    assertThat(frames.mappings()).isGreaterThanOrEqualTo(kernelMappings(base, end) - 1);
                    assertThat(frames.mappedCount()).isLessThanOrEqualTo(budget);
                    // backward: the clock unmaps runs of descending pages in one call
                    for (int i = OBJECTS - 1; i >= 0; i--) {
                        assertThat(tx.open(refs[i]).getInt(0)).isEqualTo(i);
                    }
                    assertThat(frames.mappings()).isGreaterThanOrEqualTo(kernelMappings(base, end) - 1);
                    assertThat(frames.mappedCount()).isLessThanOrEqualTo(budget);
                }
                tx.commit();
            }
            assertThat(frames.faultCount()).as("the clock remapped").isGreaterThan(OBJECTS / 2);
        }
    }

    /** The mappings of /proc/self/maps inside [base, end): frames and the reserved runs between them. */
    private static int kernelMappings(final long base, final long end) throws IOException {
        final List<String> lines = Files.readAllLines(Path.of("/proc/self/maps"));
        int n = 0;
        for (final String line : lines) {
            final String range = line.substring(0, line.indexOf(' '));
            final long from = Long.parseUnsignedLong(range.substring(0, range.indexOf('-')), 16);
            final long to = Long.parseUnsignedLong(range.substring(range.indexOf('-') + 1), 16);
            if (from >= base && to <= end) {
                n++;
            }
        }
        return n;
    }
}
