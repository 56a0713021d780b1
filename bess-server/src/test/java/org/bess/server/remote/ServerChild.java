package org.bess.server.remote;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.bess.server.BessServer;
import org.bess.server.Context;

/**
 * A node server process for {@link ClientProcessesTest}: starts an engine (restart recovery first) with its session
 * endpoint on {@code <nodeDir>/sessions.sock}, prints {@code READY} and serves until killed.
 *
 * <p>Arguments: node dir, cache dir, recovery-buffer pages (optional).
 */
public final class ServerChild {
    private ServerChild() {}

    /**
     * Runs the server.
     *
     * @param args node dir, cache dir, recovery-buffer pages (optional).
     */
    public static void main(final String[] args) throws InterruptedException {
        final Path node = Path.of(args[0]);
        final BessServer server = BessServer.start(new Context()
                .nodeDir(node)
                .cacheDir(Path.of(args[1]))
                .cacheSizeBytes(8L << 20)
                .recoveryBufferPages(args.length > 2 ? Integer.parseInt(args[2]) : 1024));
        SessionEndpoint.start(server, node.resolve(SessionEndpoint.SOCKET_NAME));
        System.out.println("READY recovery=" + server.recovery());
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }
}
