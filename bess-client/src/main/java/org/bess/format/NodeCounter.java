package org.bess.format;

/**
 * The live counters of a node server: the type id of each (stable: it is what readers of the counters file and of
 * {@code STAT} replies match on; append only) and its label.
 */
public enum NodeCounter {
    /** Pages found in the cache. */
    CACHE_HITS(1, "cache hits"),
    /** Pages read into the cache. */
    CACHE_MISSES(2, "cache misses"),
    /** Cache frames holding a page. */
    FRAMES_IN_USE(3, "cache frames in use"),
    /** Cache frames in all. */
    CACHE_FRAMES(4, "cache frames"),
    /** Frames replaced. */
    EVICTIONS(5, "cache evictions"),
    /** Connected clients in control mode (admin). */
    CLIENTS_CONTROL(6, "clients control"),
    /** Connected clients in shared-memory mode. */
    CLIENTS_SHARED(7, "clients shared-memory"),
    /** Connected clients in copy-on-access mode. */
    CLIENTS_COPY(8, "clients copy-on-access"),
    /** Locks held. */
    LOCKS_HELD(9, "locks held"),
    /** Lock requests waiting. */
    LOCKS_WAITING(10, "locks waiting"),
    /** Deadlock victims. */
    DEADLOCKS(11, "deadlocks"),
    /** Lock waits that timed out. */
    LOCK_TIMEOUTS(12, "lock timeouts"),
    /** Transactions committed. */
    COMMITS(13, "commits"),
    /** Transactions aborted. */
    ABORTS(14, "aborts"),
    /** Log bytes appended since the server started. */
    LOG_BYTES(15, "log bytes"),
    /** Log forces since the server started. */
    LOG_FORCES(16, "log forces"),
    /** Checkpoints since the server started. */
    CHECKPOINTS(17, "checkpoints"),
    /** Control requests answered (errors included). */
    REQUESTS(18, "control requests"),
    /** Connections refused (not authorised, over quota). */
    CONNECTIONS_REFUSED(19, "connections refused"),
    /** Connections closed for a malformed, oversized, truncated or stalled frame. */
    PROTOCOL_ERRORS(20, "protocol errors");

    private final int typeId;
    private final String label;

    NodeCounter(final int typeId, final String label) {
        this.typeId = typeId;
        this.label = label;
    }

    /** The stable type id. */
    public int typeId() {
        return typeId;
    }

    /** The label. */
    public String label() {
        return label;
    }
}
