package org.bess.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.bess.server.check.CheckReport;
import org.bess.server.check.DatabaseChecker;
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
                + " references.")
final class CheckCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DbOptions db;

    @Option(names = "--quiet", description = "print only the result line")
    private boolean quiet;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final Path cacheDir = AdminSupport.tempNodeDir();
        try {
            final CheckReport report = new DatabaseChecker(db.root, cacheDir.resolve("cache")).run(line -> {
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
