package org.bess.bench.oo7;

import java.nio.file.Path;
import java.util.List;
import org.bess.client.Bess;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.remote.SessionEndpoint;

/**
 * A client-mode session ({@link Bess#connect}) on an engine and session endpoint this object started in the same JVM:
 * the session talks to the endpoint over the real socket ({@code <nodeDir>/sessions.sock}) and uses its own virtual
 * frames, as a client process would; only the process boundary is missing. Closing it closes the session, then the
 * endpoint, then the engine.
 */
final class HostedClientSession implements Session {
    private final BessServer server;
    private final SessionEndpoint endpoint;
    private final Session client;

    private HostedClientSession(final BessServer server, final SessionEndpoint endpoint, final Session client) {
        this.server = server;
        this.endpoint = endpoint;
        this.client = client;
    }

    /**
     * Starts an engine on {@code nodeDir} with a cache of {@code cacheBytes}, its endpoint, and connects a client.
     *
     * @param mode {@link Bess.Mode#SHARED_MEMORY} or {@link Bess.Mode#COPY_ON_ACCESS}.
     * @return the client session; closing it stops everything.
     */
    static Session start(final Path nodeDir, final long cacheBytes, final Bess.Mode mode) {
        final BessServer server =
                BessServer.start(new Context().nodeDir(nodeDir).cacheSizeBytes(cacheBytes));
        SessionEndpoint endpoint = null;
        try {
            endpoint = SessionEndpoint.start(server, nodeDir.resolve(SessionEndpoint.SOCKET_NAME));
            return new HostedClientSession(server, endpoint, Bess.connect(nodeDir, mode));
        } catch (final RuntimeException e) {
            try {
                if (endpoint != null) {
                    endpoint.close();
                }
                server.close();
            } catch (final RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The client session itself (for counters such as its requests). */
    Session client() {
        return client;
    }

    @Override
    public Database createDatabase(final Path rootAreaPath, final long extentBytes) {
        return client.createDatabase(rootAreaPath, extentBytes);
    }

    @Override
    public Database openDatabase(final Path rootAreaPath) {
        return client.openDatabase(rootAreaPath);
    }

    @Override
    public List<Database> databases() {
        return client.databases();
    }

    @Override
    public Transaction begin() {
        return client.begin();
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            try {
                endpoint.close();
            } finally {
                server.close();
            }
        }
    }
}
