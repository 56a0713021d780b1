package org.bess.exceptions;

/** What a failure did to the caller's world, and so what the caller can do next. */
public enum Severity {
    /** Nothing changed; the operation may be retried or corrected. */
    OPERATION,
    /** The transaction was rolled back. */
    TRANSACTION,
    /** The session is unusable; reconnect. */
    SESSION,
    /** The store is in panic; restart recovery is needed. */
    STORE,
    /** The process must exit. */
    PROCESS
}
