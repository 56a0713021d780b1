package org.bess.server;

import java.nio.file.Path;
import org.bess.client.Session;

/** Child JVM for crash tests: starts the node's engine (restart recovery runs), prints the summary, and stops. */
public final class RecoveryChild {
    private RecoveryChild() {}

    /**
     * Runs recovery.
     *
     * @param args the node directory.
     */
    public static void main(final String[] args) {
        try (Session s =
                BessServer.embedded(new Context().nodeDir(Path.of(args[0])).cacheSizeBytes(2L << 20))) {
            System.out.println("recovery: " + BessServer.recoverySummary(s));
        }
    }
}
