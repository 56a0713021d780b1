package org.bess.server.daemon;

import java.util.EnumMap;
import java.util.Map;
import org.agrona.concurrent.status.AtomicCounter;
import org.bess.format.NodeCounter;
import org.bess.server.BessServer;

/**
 * The server's live counters, one Agrona {@link AtomicCounter} per {@link NodeCounter} in the counters file. Engine
 * values are copied from the engine's counters (a sample on the engine thread); connection values are counted by the
 * control thread. Each counter has one writer thread at a time (ordered stores), any number of readers.
 *
 * <p>Thread safe in that sense.
 */
public final class NodeCounters {
    /** Room in the counters file: the counters of today plus what later issues add. */
    public static final int CAPACITY = 64;

    private final CountersFile file;
    private final Map<NodeCounter, AtomicCounter> counters = new EnumMap<>(NodeCounter.class);

    /** Allocates every counter of {@link NodeCounter} in a new counters file. */
    public NodeCounters(final CountersFile file) {
        this.file = file;
        for (final NodeCounter c : NodeCounter.values()) {
            counters.put(c, file.manager().newCounter(c.label(), c.typeId()));
        }
    }

    /** The file. */
    public CountersFile file() {
        return file;
    }

    /** A counter. */
    public AtomicCounter get(final NodeCounter c) {
        return counters.get(c);
    }

    /** Copies the engine's counters (cache, checkpoints, transactions, log, locks); any thread. */
    public void engine(final BessServer server) {
        final long[] cache = server.cacheCounters();
        get(NodeCounter.CACHE_HITS).setRelease(cache[0]);
        get(NodeCounter.CACHE_MISSES).setRelease(cache[1]);
        get(NodeCounter.EVICTIONS).setRelease(cache[2]);
        get(NodeCounter.FRAMES_IN_USE).setRelease(cache[3]);
        get(NodeCounter.CACHE_FRAMES).setRelease(cache[4]);
        get(NodeCounter.CHECKPOINTS).setRelease(cache[5]);
        final long[] txns = server.transactionCounters();
        get(NodeCounter.COMMITS).setRelease(txns[0]);
        get(NodeCounter.ABORTS).setRelease(txns[1]);
        get(NodeCounter.LOG_BYTES).setRelease(txns[2]);
        get(NodeCounter.LOG_FORCES).setRelease(txns[3]);
        final long[] locks = server.lockCounters();
        get(NodeCounter.LOCKS_HELD).setRelease(locks[0]);
        get(NodeCounter.LOCKS_WAITING).setRelease(locks[1]);
        get(NodeCounter.DEADLOCKS).setRelease(locks[2]);
        get(NodeCounter.LOCK_TIMEOUTS).setRelease(locks[3]);
    }

    /** The counter of connected clients of a mode ({@code ControlProtocol.MODE_*}). */
    public AtomicCounter clients(final int mode) {
        return switch (mode) {
            case org.bess.client.wire.ControlProtocol.MODE_SHARED_MEMORY -> get(NodeCounter.CLIENTS_SHARED);
            case org.bess.client.wire.ControlProtocol.MODE_COPY_ON_ACCESS -> get(NodeCounter.CLIENTS_COPY);
            default -> get(NodeCounter.CLIENTS_CONTROL);
        };
    }
}
