package org.bess.tools;

import java.util.concurrent.Callable;
import org.bess.client.wire.ControlConnection;
import org.bess.client.wire.ControlProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bess-admin kill-client ID}: disconnects one client of a node server (the server cleans up after it). */
@Command(
        name = "kill-client",
        mixinStandardHelpOptions = true,
        description = "Disconnects a client of a node server (ids from 'clients'); the server cleans up after it.")
final class KillClientCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private NodeDirOptions node;

    @Parameters(index = "0", paramLabel = "ID", description = "the client's id")
    private int clientId;

    @Override
    public Integer call() {
        return AdminSupport.online(spec.commandLine().getErr(), "kill-client", () -> {
            try (ControlConnection c = ControlConnection.open(node.nodeDir, ControlProtocol.MODE_CONTROL)) {
                c.killClient(clientId);
            }
            spec.commandLine().getOut().println("client " + clientId + " disconnected");
            return 0;
        });
    }
}
