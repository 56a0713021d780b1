package org.bess.tools;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.bess.client.Session;
import org.bess.server.BessServer;
import org.bess.server.Context;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bess-admin recover}: runs restart recovery of a node offline, then checkpoints and stops. */
@Command(
        name = "recover",
        mixinStandardHelpOptions = true,
        description = "Runs restart recovery of a node offline (redo, undo of unfinished transactions, checkpoint).")
final class RecoverCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--node-dir", required = true, paramLabel = "DIR", description = "the node directory")
    private Path nodeDir;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        if (!Files.isDirectory(nodeDir.resolve("log"))) {
            spec.commandLine().getErr().println("bess-admin recover: no log in the node directory: " + nodeDir);
            return AdminSupport.FAILED;
        }
        try (Session s = BessServer.embedded(new Context().nodeDir(nodeDir).cacheSizeBytes(64L << 20))) {
            final String summary = BessServer.recoverySummary(s);
            out.println(summary == null ? "nothing to recover: the node was shut down cleanly" : summary);
            return 0;
        } catch (final RuntimeException e) {
            spec.commandLine().getErr().println("bess-admin recover: " + e.getMessage());
            return AdminSupport.FAILED;
        }
    }
}
