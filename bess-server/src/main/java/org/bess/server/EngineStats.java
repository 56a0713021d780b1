package org.bess.server;

import org.bess.client.Session;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * Read-only statistics of an engine, for the node daemon's live counters. Values are read without synchronisation
 * from the engine's own fields: call {@link #sample} on the engine's session thread (the daemon does), where they are
 * exact.
 *
 * <p>Not thread safe; the session thread only.
 */
public final class EngineStats {
    private final EmbeddedSession session;
    private long cacheHits;
    private long cacheMisses;
    private long evictions;
    private int framesInUse;
    private int cacheFrames;
    private long commits;
    private long aborts;
    private long logBytes;
    private long logForces;
    private long checkpoints;

    private EngineStats(final EmbeddedSession session) {
        this.session = session;
    }

    /**
     * Statistics of the engine behind a session from {@link BessServer#embedded(Context)}.
     *
     * @throws BessException {@code BAD_ARGUMENT} for any other session.
     */
    public static EngineStats of(final Session session) {
        if (!(session instanceof EmbeddedSession embedded)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "not an embedded session: " + session);
        }
        return new EngineStats(embedded);
    }

    /**
     * Reads every value from the engine.
     *
     * @return this.
     */
    public EngineStats sample() {
        final BessServer server = session.server();
        cacheHits = server.cache().hits();
        cacheMisses = server.cache().misses();
        evictions = server.cache().evictions();
        framesInUse = server.cache().framesInUse();
        cacheFrames = server.cache().frameCount();
        commits = server.txns().commits();
        aborts = server.txns().aborts();
        logBytes = server.log().bytesAppended();
        logForces = server.log().forces();
        checkpoints = session.checkpoints();
        return this;
    }

    /** Cache hits. */
    public long cacheHits() {
        return cacheHits;
    }

    /** Cache misses. */
    public long cacheMisses() {
        return cacheMisses;
    }

    /** Frames replaced. */
    public long evictions() {
        return evictions;
    }

    /** Frames holding a page. */
    public int framesInUse() {
        return framesInUse;
    }

    /** Frames of the cache. */
    public int cacheFrames() {
        return cacheFrames;
    }

    /** Transactions committed. */
    public long commits() {
        return commits;
    }

    /** Transactions aborted. */
    public long aborts() {
        return aborts;
    }

    /** Log bytes appended since the engine started. */
    public long logBytes() {
        return logBytes;
    }

    /** Log forces ({@code fdatasync}) since the engine started. */
    public long logForces() {
        return logForces;
    }

    /** Checkpoints taken since the engine started. */
    public long checkpoints() {
        return checkpoints;
    }
}
