package org.bess.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bess-admin remove-area}:
 * Removes a storage area that holds no file; names the files it still holds otherwise.
 */
@Command(
        name = "remove-area",
        mixinStandardHelpOptions = true,
        description = "Removes a storage area that holds no file; names the files it still holds otherwise.")
final class RemoveAreaCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DbOptions db;

    @Option(names = "--path", required = true, paramLabel = "PATH", description = "the area file")
    private Path path;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        return AdminSupport.run(spec.commandLine().getErr(), "remove-area", session -> {
            session.openDatabase(db.root).removeArea(path);
            out.println("removed area " + path);
            return 0;
        });
    }
}
