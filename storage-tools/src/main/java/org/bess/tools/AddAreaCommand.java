package org.bess.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.bess.client.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bess-admin add-area}:
 * Adds a storage area (a new file) to a database.
 */
@Command(
        name = "add-area",
        mixinStandardHelpOptions = true,
        description = "Adds a storage area (a new file) to a database.")
final class AddAreaCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DbOptions db;

    @Option(names = "--path", required = true, paramLabel = "PATH", description = "the new area file")
    private Path path;

    @Option(
            names = "--max-size",
            paramLabel = "SIZE",
            defaultValue = "0",
            description = "largest size the area may grow to, e.g. 1g (default: no limit)")
    private String maxSize;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        return AdminSupport.run(spec.commandLine().getErr(), "add-area", session -> {
            final Database database = session.openDatabase(db.root);
            final org.bess.client.AreaInfo area = database.addArea(path, org.bess.server.Context.parseSize(maxSize));
            out.println(
                    "added area " + area.id() + ": " + area.path() + " (" + AdminSupport.size(area.sizeBytes()) + ")");
            return 0;
        });
    }
}
