package org.bess.tools;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.bess.client.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code bess-admin list-files}:
 * Lists the BeSS files of a database: name, area, segments, objects, bytes.
 */
@Command(
        name = "list-files",
        mixinStandardHelpOptions = true,
        description = "Lists the BeSS files of a database: name, area, segments, objects, bytes.")
final class ListFilesCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DbOptions db;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        return AdminSupport.run(spec.commandLine().getErr(), "list-files", session -> {
            final Database database = session.openDatabase(db.root);
            out.printf("%-20s %-10s %-10s %-12s %s%n", "FILE", "SEGMENTS", "OBJECTS", "BYTES", "AREA");
            for (final org.bess.client.FileInfo f : database.files()) {
                out.printf(
                        "%-20s %-10d %-10d %-12s %s%n",
                        f.name(), f.segments(), f.objects(), AdminSupport.size(f.liveBytes()), f.area());
            }
            return 0;
        });
    }
}
