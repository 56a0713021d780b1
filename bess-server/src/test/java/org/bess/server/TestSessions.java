package org.bess.server;

import java.nio.file.Path;
import java.util.List;
import org.bess.client.Bess;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.server.remote.SessionEndpoint;

/**
 * Opens a test's session the way a parameterised test asks for: embedded ({@code BessServer.embedded}), or a
 * shared-memory or copy-on-access client session through a {@link SessionEndpoint} in this JVM, over the real socket
 * and the client's own virtual frames. Closing a client session stops its endpoint and engine, as closing an embedded
 * session stops its engine.
 */
final class TestSessions {
    /** The three ways a session reaches the engine. */
    enum Way {
        EMBEDDED,
        SHARED_MEMORY,
        COPY_ON_ACCESS
    }

    private TestSessions() {}

    /**
     * Starts an engine on {@code context} and opens a session on it the given way.
     *
     * @return the session; closing it stops the engine.
     */
    static Session open(final Way way, final Context context) {
        if (way == Way.EMBEDDED) {
            return BessServer.embedded(context);
        }
        final BessServer server = BessServer.start(context);
        final SessionEndpoint endpoint;
        final Session client;
        try {
            endpoint = SessionEndpoint.start(server, context.nodeDir().resolve(SessionEndpoint.SOCKET_NAME));
        } catch (final RuntimeException e) {
            server.close();
            throw e;
        }
        try {
            client = Bess.connect(context.nodeDir(), Bess.Mode.valueOf(way.name()));
        } catch (final RuntimeException e) {
            endpoint.close();
            server.close();
            throw e;
        }
        return new ClientSession(client, endpoint, server);
    }

    /** The engine behind a session {@link #open} returned. */
    static BessServer serverOf(final Session s) {
        return s instanceof ClientSession c ? c.server : ((EmbeddedSession) s).server();
    }

    /** The client process's side of a session {@link #open} returned, or null for an embedded one. */
    static org.bess.client.remote.RemoteSession clientOf(final Session s) {
        return s instanceof ClientSession c ? (org.bess.client.remote.RemoteSession) c.client : null;
    }

    /** A client session that stops its endpoint and engine when closed. */
    private static final class ClientSession implements Session {
        private final Session client;
        private final SessionEndpoint endpoint;
        private final BessServer server;

        ClientSession(final Session client, final SessionEndpoint endpoint, final BessServer server) {
            this.client = client;
            this.endpoint = endpoint;
            this.server = server;
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
}
