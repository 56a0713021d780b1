package org.bess.bench;

import java.util.HashMap;
import java.util.Map;
import org.bess.client.Session;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.EngineCounters;

/**
 * The bess side of the durable-commit benchmarks: one engine ({@link BessServer#start(Context)}), and one session per
 * committer thread ({@link BessServer#openSession()}), all committing through the engine's one log (group commit).
 */
final class BessCommitters implements AutoCloseable {
    private final BessServer server;
    private final Session loader;
    private final Map<Integer, Session> sessions = new HashMap<>();

    private BessCommitters(final BessServer server) {
        this.server = server;
        this.loader = server.openSession();
    }

    /**
     * Starts the engine.
     *
     * @param context its configuration.
     * @return the committers' engine.
     */
    static BessCommitters start(final Context context) {
        return new BessCommitters(BessServer.start(context));
    }

    /**
     * The session that loads the data set before the committers start.
     *
     * @return a session of the engine.
     */
    Session loader() {
        return loader;
    }

    /**
     * The session of one committer thread, made on its first use (JMH sets up thread states concurrently).
     *
     * @param threadIndex the JMH thread index, from 0.
     * @return that thread's session.
     */
    synchronized Session session(final int threadIndex) {
        return sessions.computeIfAbsent(threadIndex, i -> server.openSession());
    }

    /**
     * The engine's commit and log counters now.
     *
     * @return a snapshot.
     */
    EngineCounters counters() {
        return EngineCounters.of(server);
    }

    /** Closes every session, then stops the engine (a checkpoint, then the log and the cache are closed). */
    @Override
    public synchronized void close() {
        for (final Session s : sessions.values()) {
            s.close();
        }
        sessions.clear();
        loader.close();
        server.close();
    }
}
