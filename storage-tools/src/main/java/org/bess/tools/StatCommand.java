package org.bess.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.bess.client.wire.CounterValue;
import org.bess.exceptions.BessException;
import org.bess.server.daemon.CountersFile;
import org.bess.server.daemon.NodeLock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bess-admin stat}: prints a node server's live counters from its counters file (found through the node
 * directory's lock file), without sending the server any request; {@code --watch} prints them again every second
 * until interrupted.
 */
@Command(
        name = "stat",
        mixinStandardHelpOptions = true,
        description = "Prints the live counters of a node server from its counters file (no request to the server).")
final class StatCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private NodeDirOptions node;

    @Option(names = "--watch", description = "print again every second until interrupted")
    private boolean watch;

    @Option(
            names = "--count",
            paramLabel = "N",
            description = "with --watch: stop after N prints (default: until interrupted)")
    private int count;

    @Override
    public Integer call() throws InterruptedException {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        int printed = 0;
        while (true) {
            try {
                print(out, countersPath(node.nodeDir));
            } catch (final BessException e) {
                err.println("bess-admin stat: " + e.getMessage());
                if (!watch) {
                    return 1;
                }
            }
            printed++;
            if (!watch || (count > 0 && printed >= count)) {
                return 0;
            }
            out.println();
            out.flush();
            Thread.sleep(1000);
        }
    }

    /** The counters file named in the node's lock file. */
    static Path countersPath(final Path nodeDir) {
        final Properties lock = NodeLock.peek(nodeDir);
        final String path = lock.getProperty("counters");
        if (path == null) {
            throw new BessException(
                    org.bess.exceptions.ErrorCode.NAME,
                    "no node server has run on this node directory (no counters entry in "
                            + nodeDir.resolve(NodeLock.FILE_NAME) + ")");
        }
        return Path.of(path);
    }

    static void print(final PrintWriter out, final Path counters) {
        try (CountersFile file = CountersFile.openReadOnly(counters)) {
            final long pid = file.pid();
            final long age = System.currentTimeMillis() - file.heartbeatMs();
            final String state = file.stopped()
                    ? "stopped cleanly"
                    : ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
                            ? "running"
                            : "dead (did not stop cleanly)";
            out.printf(
                    "node %016x  server pid %d  %s  started %s  heartbeat %d ms ago%n",
                    file.nodeId(), pid, state, Instant.ofEpochMilli(file.startTimeMs()), age);
            for (final CounterValue v : file.read()) {
                out.printf("%-28s %,20d%n", v.label(), v.value());
            }
            out.flush();
        }
    }
}
