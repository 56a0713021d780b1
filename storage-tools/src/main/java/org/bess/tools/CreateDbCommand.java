package org.bess.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.bess.client.Database;
import org.bess.server.Context;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bess-admin create-db}: creates a database whose root area is a new file. */
@Command(name = "create-db", mixinStandardHelpOptions = true, description = "Creates a database (its root area file).")
final class CreateDbCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--root", required = true, paramLabel = "PATH", description = "the root area file to create")
    private Path root;

    @Option(
            names = "--extent-size",
            paramLabel = "SIZE",
            defaultValue = "16m",
            description = "extent size, a power of two from 1m to 16m (default: ${DEFAULT-VALUE})")
    private String extentSize;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        return AdminSupport.run(spec.commandLine().getErr(), "create-db", session -> {
            final Database db = session.createDatabase(root, Context.parseSize(extentSize));
            out.println("created database " + db.path() + " (id " + Long.toHexString(db.id()) + ", extent " + extentSize
                    + ")");
            return 0;
        });
    }
}
