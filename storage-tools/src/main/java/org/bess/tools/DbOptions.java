package org.bess.tools;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --db ROOT} option of commands that work on an existing database. */
final class DbOptions {
    @Option(
            names = "--db",
            required = true,
            paramLabel = "ROOT",
            description = "the database, named by its root storage area")
    Path root;
}
