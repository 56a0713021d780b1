package org.bess.exceptions;

/**
 * Stable error codes: the integer travels on the wire and in logs, so codes are append only and never renumbered.
 */
public enum ErrorCode {
    /** A generic failure of an operation: nothing changed. */
    GENERIC(1, Severity.OPERATION),
    /** A file is not a bess storage area, or has a format this version cannot read. */
    BAD_FORMAT(2, Severity.OPERATION),
    /** A page failed its checksum or identity check. */
    CORRUPT_PAGE(3, Severity.STORE),
    /** A reference names a free or reused slot, or no slot at all. */
    INVALID_REFERENCE(4, Severity.OPERATION),
    /** An area cannot grow any more, or the device is full. */
    STORAGE_FULL(5, Severity.OPERATION),
    /** A name (database, area, file, type, root) is unknown or already taken. */
    NAME(6, Severity.OPERATION),
    /** The call is not valid in the object's current state (closed, committed, ...). */
    ILLEGAL_STATE(7, Severity.OPERATION),
    /** An argument is out of range: offset, size, position. */
    BAD_ARGUMENT(8, Severity.OPERATION),
    /** The feature named in the message is not built yet; the message names the issue that brings it. */
    NOT_BUILT_YET(9, Severity.OPERATION),
    /** An I/O error on a storage area, the cache or a meta file. */
    IO(10, Severity.SESSION),
    /** Removing an area that still holds files. */
    AREA_IN_USE(11, Severity.OPERATION),
    /** A lock wait ran out of time; the caller aborts the transaction (locks are held to its end). */
    LOCK_TIMEOUT(12, Severity.TRANSACTION),
    /** The transaction was chosen as the victim of a deadlock; the caller aborts it. */
    DEADLOCK(13, Severity.TRANSACTION),
    /** A configured bound (locks per transaction, holders per resource) would be exceeded; nothing changed. */
    QUOTA(14, Severity.OPERATION),
    /** A frame on the control channel broke the protocol (length, type, field, order); the connection is closed. */
    PROTOCOL(15, Severity.SESSION),
    /** The peer of a control connection is not allowed by the node's configuration (uid/gid allow-list). */
    NOT_AUTHORISED(16, Severity.SESSION),
    /** The connection to the node server is gone: the server stopped, or it disconnected this client. */
    SERVER_LOST(17, Severity.SESSION),
    /** Another live node server owns the node directory. */
    NODE_IN_USE(18, Severity.OPERATION);

    private final int code;
    private final Severity severity;

    ErrorCode(final int code, final Severity severity) {
        this.code = code;
        this.severity = severity;
    }

    /** The stable wire value. */
    public int code() {
        return code;
    }

    /**
     * The code with a wire value.
     *
     * @param code a stable wire value.
     * @return the code, or {@link #GENERIC} for a value this version does not know (a newer peer's code).
     */
    public static ErrorCode fromCode(final int code) {
        for (final ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return GENERIC;
    }

    /** What the failure did. */
    public Severity severity() {
        return severity;
    }
}
