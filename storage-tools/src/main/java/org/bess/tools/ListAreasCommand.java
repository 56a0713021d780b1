package org.bess.tools;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.bess.client.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code bess-admin list-areas}:
 * Lists the storage areas of a database: id, path, size, extents, free space.
 */
@Command(
        name = "list-areas",
        mixinStandardHelpOptions = true,
        description = "Lists the storage areas of a database: id, path, size, extents, free space.")
final class ListAreasCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DbOptions db;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        return AdminSupport.run(spec.commandLine().getErr(), "list-areas", session -> {
            final Database database = session.openDatabase(db.root);
            out.printf("%-4s %-12s %-8s %-12s %s%n", "ID", "SIZE", "EXTENTS", "FREE", "PATH");
            for (final org.bess.client.AreaInfo a : database.areas()) {
                out.printf(
                        "%-4d %-12s %-8d %-12s %s%n",
                        a.id(),
                        AdminSupport.size(a.sizeBytes()),
                        a.extents(),
                        AdminSupport.size(a.freeBytes()),
                        a.path());
            }
            return 0;
        });
    }
}
