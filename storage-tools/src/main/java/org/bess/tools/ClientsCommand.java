package org.bess.tools;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.bess.client.wire.ClientInfo;
import org.bess.client.wire.ControlConnection;
import org.bess.client.wire.ControlProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code bess-admin clients}: lists the clients connected to a node server (over its control socket). */
@Command(
        name = "clients",
        mixinStandardHelpOptions = true,
        description = "Lists the clients connected to a node server: id, uid, pid, mode, connected since.")
final class ClientsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private NodeDirOptions node;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        return AdminSupport.online(spec.commandLine().getErr(), "clients", () -> {
            try (ControlConnection c = ControlConnection.open(node.nodeDir, ControlProtocol.MODE_CONTROL)) {
                out.printf(
                        "%-6s %-7s %-7s %-9s %-8s %-8s %-5s %-7s %-9s %s%n",
                        "ID", "UID", "GID", "PID", "MODE", "SOCKET", "TXNS", "LOCKS", "PENDING", "CONNECTED SINCE");
                for (final ClientInfo i : c.listClients()) {
                    out.printf(
                            "%-6d %-7d %-7d %-9d %-8s %-8s %-5d %-7d %-9d %s%s%n",
                            i.id(),
                            i.uid(),
                            i.gid(),
                            i.pid(),
                            i.mode() < 0 ? "-" : ControlProtocol.modeName(i.mode()),
                            i.session() == 1 ? "session" : "control",
                            i.transactions(),
                            i.locks(),
                            i.outstanding(),
                            Instant.ofEpochMilli(i.connectedSinceMs()),
                            i.id() == c.hello().clientId() ? "  (this command)" : "");
                }
            }
            return 0;
        });
    }
}
