package org.bess.server.remote;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.lock.LockContext;

/** The node the client tests start: an engine with an 8 MiB cache and a 20 s lock timeout, and its session endpoint. */
final class TestNode {
    private TestNode() {}

    /** Starts the engine on {@code dir/node}. */
    static BessServer server(final Path dir) {
        return BessServer.start(new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(8L << 20)
                .lockContext(new LockContext().lockTimeoutNs(TimeUnit.SECONDS.toNanos(20))));
    }

    /** Starts the endpoint on the socket of {@code dir/node}. */
    static SessionEndpoint endpoint(final BessServer server, final Path dir) {
        return SessionEndpoint.start(server, dir.resolve("node").resolve(SessionEndpoint.SOCKET_NAME));
    }
}
