package org.bess.it.daemon;

import java.nio.file.Path;
import org.bess.client.wire.ControlConnection;
import org.bess.client.wire.ControlProtocol;
import org.bess.exceptions.BessException;

/**
 * A client in its own JVM (run as another user by the tests): connects to a node server, says HELLO and PINGs. Prints
 * {@code probe: ok uid=<uid>} and exits 0, or {@code probe: refused <code>: <message>} and exits 3.
 */
public final class ControlProbe {
    private ControlProbe() {}

    /**
     * Runs the probe.
     *
     * @param args the node directory.
     */
    public static void main(final String[] args) {
        try (ControlConnection c = ControlConnection.open(Path.of(args[0]), ControlProtocol.MODE_CONTROL)) {
            c.ping(7);
            System.out.println("probe: ok clientId=" + c.hello().clientId());
            System.exit(0);
        } catch (final BessException e) {
            System.out.println("probe: refused " + e.errorCode() + ": " + e.getMessage());
            System.exit(3);
        }
    }
}
