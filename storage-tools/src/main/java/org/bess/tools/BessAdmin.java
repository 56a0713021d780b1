package org.bess.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code bess-admin} top-level command ({@code ./bess admin}): administers the databases, storage areas and files
 * of a node: create-db, add-area, remove-area, list-areas, list-files, move-file, compact and check, each run on an
 * embedded engine with a private temporary cache; and, against a running node server of a node directory, stat (from
 * its counters file, no request), clients and kill-client (over its control socket).
 *
 * <p>To add a command, write one class per command in this package, annotated with {@code @Command(name = "...")} and
 * implementing {@code Callable<Integer>} (the exit code), and list it in {@code subcommands} below; remove its name
 * from the "arrive with the storage engine" footer.
 *
 * <p>Exit codes: 0 success, 1 failure of a command, 2 usage error (unknown command or option, missing command).
 *
 * <p>Not thread safe; the main thread of a short-lived process.
 */
@Command(
        name = "bess-admin",
        mixinStandardHelpOptions = true,
        versionProvider = BessAdmin.VersionProvider.class,
        description = "Administers the databases, storage areas and files of a bess node.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
            CreateDbCommand.class,
            AddAreaCommand.class,
            RemoveAreaCommand.class,
            ListAreasCommand.class,
            ListFilesCommand.class,
            MoveFileCommand.class,
            CompactCommand.class,
            CheckCommand.class,
            DumpLogCommand.class,
            RecoverCommand.class,
            StatCommand.class,
            ClientsCommand.class,
            KillClientCommand.class,
        },
        footerHeading = "%nExit codes:%n",
        footer = {"  0 done, 1 failed (one line says why), 2 usage error, 3 check found damage."})
public final class BessAdmin implements java.util.concurrent.Callable<Integer> {
    /** The exit code of a usage error, as picocli defines it. */
    public static final int USAGE_ERROR_EXIT_CODE = CommandLine.ExitCode.USAGE;

    @Spec
    private CommandSpec spec;

    /**
     * Runs {@code bess-admin} and exits the process with its exit code.
     *
     * @param args the command line.
     */
    public static void main(final String[] args) {
        final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        final PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(execute(out, err, args));
    }

    /**
     * Runs {@code bess-admin} with the given streams, without exiting.
     *
     * @param out where help, version and command output go.
     * @param err where errors go.
     * @param args the command line.
     * @return the exit code: 0 success, 1 failure, {@link #USAGE_ERROR_EXIT_CODE} for a usage error.
     */
    public static int execute(final PrintWriter out, final PrintWriter err, final String... args) {
        return commandLine(out, err).execute(args);
    }

    /**
     * A configured command line: streams, one-line usage errors, and every subcommand.
     *
     * @param out where help, version and command output go.
     * @param err where errors go.
     * @return the command line, ready to {@code execute}.
     */
    public static CommandLine commandLine(final PrintWriter out, final PrintWriter err) {
        final CommandLine commandLine = new CommandLine(new BessAdmin());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler(BessAdmin::onUsageError);
        return commandLine;
    }

    /** Without a command: prints the usage to the error stream; that is a usage error. */
    @Override
    public Integer call() {
        final CommandLine commandLine = spec.commandLine();
        commandLine.usage(commandLine.getErr());
        return USAGE_ERROR_EXIT_CODE;
    }

    /** One line, no stack trace and no usage dump: the user asked for something that does not exist. */
    private static int onUsageError(final ParameterException e, final String[] args) {
        final CommandLine commandLine = e.getCommandLine();
        final String name = commandLine.getCommandName();
        final String problem;
        if (e instanceof UnmatchedArgumentException unmatched
                && !unmatched.getUnmatched().isEmpty()
                && !unmatched.getUnmatched().get(0).startsWith("-")) {
            final String command = unmatched.getUnmatched().get(0);
            problem = "unknown command '" + command + "'";
        } else {
            problem = e.getMessage();
        }
        commandLine.getErr().println(name + ": " + problem + " (see '" + name + " --help')");
        return commandLine.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The project version, from {@code version.properties} filled in at build time. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            final Properties properties = new Properties();
            try (InputStream in = BessAdmin.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {
                "bess-admin " + properties.getProperty("version", "unknown"),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
            };
        }
    }
}
