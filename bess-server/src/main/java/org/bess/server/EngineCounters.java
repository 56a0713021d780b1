package org.bess.server;

import org.bess.client.Session;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.log.LogWriter;
import org.bess.server.txn.TransactionManager;

/**
 * A snapshot of an engine's commit and log counters, for benchmarks and tests: how many transactions committed, how
 * many times the log was forced ({@code fdatasync}), how many log bytes were appended, and how many of those were page
 * diff records against the bytes those diffs changed. Counters only grow while the engine runs; subtract two snapshots
 * ({@link #minus}) to get what happened between them.
 *
 * @param commits transactions committed.
 * @param forces log forces ({@code fdatasync} calls of the log), including those of checkpoints.
 * @param logBytes bytes appended to the log: every record with its header, full page images and checkpoints included.
 * @param diffRecordBytes bytes of the page diff records, headers included.
 * @param changedBytes bytes the page diff records changed.
 * @param flushes log flushes that wrote something (a group commit's, a write-back's or a checkpoint's).
 * @param flushNanos nanoseconds those flushes spent writing and forcing the log.
 * @param gatherNanos nanoseconds group commit leaders waited for the other committers before their flushes.
 */
public record EngineCounters(
        long commits,
        long forces,
        long logBytes,
        long diffRecordBytes,
        long changedBytes,
        long flushes,
        long flushNanos,
        long gatherNanos) {
    /**
     * Reads the counters of the engine of an embedded session.
     *
     * @param session a session from {@link BessServer#embedded(Context)}.
     * @return the counters now.
     * @throws BessException {@code BAD_ARGUMENT} when the session is not an embedded one.
     */
    public static EngineCounters of(final Session session) {
        if (!(session instanceof EmbeddedSession embedded)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "not an embedded session: " + session);
        }
        return of(embedded.server());
    }

    /**
     * Reads the counters of an engine.
     *
     * @param server the engine.
     * @return the counters now.
     */
    public static EngineCounters of(final BessServer server) {
        final LogWriter log = server.log();
        final TransactionManager txns = server.txns();
        final long[] diff = txns.diffStats();
        final long[] flush = log.flushTimes();
        return new EngineCounters(
                txns.commits(), log.forces(), log.bytesAppended(), diff[0], diff[1], flush[0], flush[1], flush[2]);
    }

    /**
     * The counts between an earlier snapshot and this one.
     *
     * @param earlier a snapshot of the same engine taken before this one.
     * @return this minus {@code earlier}, counter by counter.
     */
    public EngineCounters minus(final EngineCounters earlier) {
        return new EngineCounters(
                commits - earlier.commits,
                forces - earlier.forces,
                logBytes - earlier.logBytes,
                diffRecordBytes - earlier.diffRecordBytes,
                changedBytes - earlier.changedBytes,
                flushes - earlier.flushes,
                flushNanos - earlier.flushNanos,
                gatherNanos - earlier.gatherNanos);
    }
}
