package org.bess.bench;

import org.bess.client.Session;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.EngineCounters;

/**
 * The bess side of the durable-commit benchmarks: one engine, and one session per committer thread, all committing
 * through the engine's one log (group commit).
 *
 * <p>Today the engine has one session ({@link BessServer#embedded(Context)}), so only thread 0 gets a session and bess
 * runs with one committer ({@link DurableCommit01Benchmark}). When {@code BessServer.start(Context)} and
 * {@code server.openSession()} are in, switch over here and in one line of {@link MultiCommitterBenchmark}:
 *
 * <ul>
 *   <li>here: {@code start} keeps {@code server = BessServer.start(context)} and {@code loader = server.openSession()};
 *       {@link #session} returns, per thread index, a session of {@code server.openSession()} made once (synchronized:
 *       JMH sets up thread states concurrently); {@link #counters} reads {@code EngineCounters.of(server)}; {@link
 *       #close} closes every session, then the server;
 *   <li>{@link MultiCommitterBenchmark}: {@code extends DurableCommitPeers} becomes {@code extends
 *       DurableCommitWithBess}, which gives 2 to 16 committers their {@code bessCommit}.
 * </ul>
 */
final class BessCommitters implements AutoCloseable {
    private final Session session;

    private BessCommitters(final Session session) {
        this.session = session;
    }

    /**
     * Starts the engine.
     *
     * @param context its configuration.
     * @return the committers' engine.
     */
    static BessCommitters start(final Context context) {
        return new BessCommitters(BessServer.embedded(context));
    }

    /**
     * The session that loads the data set before the committers start.
     *
     * @return a session of the engine.
     */
    Session loader() {
        return session;
    }

    /**
     * The session of one committer thread.
     *
     * @param threadIndex the JMH thread index, from 0.
     * @return that thread's session.
     * @throws IllegalStateException for any thread but 0 while the engine has a single session.
     */
    Session session(final int threadIndex) {
        if (threadIndex != 0) {
            throw new IllegalStateException("the engine has one session until BessServer.openSession lands, so bess"
                    + " runs one committer: threadIndex=" + threadIndex);
        }
        return session;
    }

    /**
     * The engine's commit and log counters now.
     *
     * @return a snapshot.
     */
    EngineCounters counters() {
        return EngineCounters.of(session);
    }

    /** Stops the engine (a checkpoint, then the log and the cache are closed). */
    @Override
    public void close() {
        session.close();
    }
}
