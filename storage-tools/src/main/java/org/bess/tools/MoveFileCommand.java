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
 * {@code bess-admin move-file}:
 * Moves a file's data segments to another area of the database; references stay valid.
 */
@Command(
        name = "move-file",
        mixinStandardHelpOptions = true,
        description = "Moves a file's data segments to another area of the database; references stay valid.")
final class MoveFileCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DbOptions db;

    @Option(names = "--file", required = true, paramLabel = "NAME", description = "the file")
    private String file;

    @Option(names = "--to", required = true, paramLabel = "PATH", description = "the target area")
    private Path to;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        return AdminSupport.run(spec.commandLine().getErr(), "move-file", session -> {
            session.openDatabase(db.root).moveFile(file, to);
            out.println("moved file " + file + " to " + to);
            return 0;
        });
    }
}
