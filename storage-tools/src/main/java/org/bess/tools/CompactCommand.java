package org.bess.tools;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bess-admin compact}:
 * Compacts data segments (one file or all), frees empty extents, shrinks areas at their tail.
 */
@Command(
        name = "compact",
        mixinStandardHelpOptions = true,
        description = "Compacts data segments (one file or all), frees empty extents, shrinks areas at their tail.")
final class CompactCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DbOptions db;

    @Option(names = "--file", paramLabel = "NAME", description = "only this file (default: all files)")
    private String file;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        return AdminSupport.run(spec.commandLine().getErr(), "compact", session -> {
            final org.bess.client.CompactionReport r =
                    session.openDatabase(db.root).compact(file);
            out.println("compacted: segmentsCompacted=" + r.segmentsCompacted() + ", segmentsShrunk="
                    + r.segmentsShrunk() + ", extentsFreed=" + r.extentsFreed() + ", bytesTruncated="
                    + r.bytesTruncated());
            return 0;
        });
    }
}
