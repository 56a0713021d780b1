package org.bess.tools;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.server.Context;
import org.bess.server.check.CheckReport;
import org.bess.server.check.DatabaseChecker;
import org.bess.server.log.FileLogDevice;
import org.bess.server.log.LogScanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bess-admin check}: verifies a closed database offline. Exit 0 when healthy, 3 with a report naming each bad
 * page, slot or reference otherwise, 1 when the database cannot be read at all.
 */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = "Verifies a database offline: checksums, buddy maps, slots, data segments, large-object trees,"
                + " references, and with --node-dir page LSNs against the end of the node's log.")
final class CheckCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DbOptions db;

    @Option(names = "--quiet", description = "print only the result line")
    private boolean quiet;

    @Option(
            names = "--node-dir",
            paramLabel = "DIR",
            description = "the node directory whose log wrote the database: also verify that no page LSN is beyond the"
                    + " end of its log")
    private Path nodeDir;

    @Option(
            names = "--segment-size",
            paramLabel = "SIZE",
            defaultValue = "64m",
            description = "the log's segment size, with --node-dir (default: ${DEFAULT-VALUE})")
    private String segmentSize;

    /** The end of the node's valid log (its next LSN). */
    static long logEnd(final Path nodeDir, final long segment) {
        final Path logDir = nodeDir.resolve("log");
        if (!Files.isDirectory(logDir)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "no log in the node directory: " + logDir);
        }
        try (FileLogDevice device = new FileLogDevice(logDir)) {
            final List<Long> segments = device.segments();
            if (segments.isEmpty()) {
                return 0;
            }
            for (final long s : segments) {
                LogScanner.checkHeader(device, s, segment);
            }
            final LogScanner scanner = new LogScanner(
                    device, segment, segments.get(0) * segment + LogSegmentHeaderDescriptor.HEADER_LENGTH);
            while (scanner.next() != null) {
                // to the end of the valid log
            }
            return scanner.position();
        }
    }

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final Path cacheDir = AdminSupport.tempNodeDir();
        try {
            final DatabaseChecker checker = new DatabaseChecker(db.root, cacheDir.resolve("cache"));
            if (nodeDir != null) {
                checker.logEnd(logEnd(nodeDir, Context.parseSize(segmentSize)));
            }
            final CheckReport report = checker.run(line -> {
                if (!quiet) {
                    out.println("  " + line);
                }
            });
            for (final String p : report.problems()) {
                out.println("PROBLEM " + p);
            }
            if (report.omitted() > 0) {
                out.println("... and " + report.omitted() + " more problems");
            }
            out.println("check " + db.root + ": " + report.summary());
            return report.healthy() ? 0 : AdminSupport.DAMAGED;
        } catch (final RuntimeException e) {
            spec.commandLine().getErr().println("bess-admin check: " + e.getMessage());
            return AdminSupport.FAILED;
        } finally {
            AdminSupport.deleteTree(cacheDir);
        }
    }
}
