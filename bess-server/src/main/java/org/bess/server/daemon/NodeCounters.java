package org.bess.server.daemon;

import java.util.EnumMap;
import java.util.Map;
import org.agrona.concurrent.status.AtomicCounter;
import org.bess.format.NodeCounter;
import org.bess.server.EngineStats;

/**
 * The server's live counters, one Agrona {@link AtomicCounter} per {@link NodeCounter} in the counters file. Engine
 * values are copied from an {@link EngineStats} sample (engine thread); connection values are counted by the control
 * thread. Each counter has one writer thread at a time (ordered stores), any number of readers.
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

    /** Copies an engine sample (engine thread). */
    public void engine(final EngineStats s) {
        get(NodeCounter.CACHE_HITS).setRelease(s.cacheHits());
        get(NodeCounter.CACHE_MISSES).setRelease(s.cacheMisses());
        get(NodeCounter.FRAMES_IN_USE).setRelease(s.framesInUse());
        get(NodeCounter.CACHE_FRAMES).setRelease(s.cacheFrames());
        get(NodeCounter.EVICTIONS).setRelease(s.evictions());
        get(NodeCounter.COMMITS).setRelease(s.commits());
        get(NodeCounter.ABORTS).setRelease(s.aborts());
        get(NodeCounter.LOG_BYTES).setRelease(s.logBytes());
        get(NodeCounter.LOG_FORCES).setRelease(s.logForces());
        get(NodeCounter.CHECKPOINTS).setRelease(s.checkpoints());
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
