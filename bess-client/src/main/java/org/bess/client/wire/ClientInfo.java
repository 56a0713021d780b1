package org.bess.client.wire;

/**
 * One connected client as {@code LIST_CLIENTS} reports it.
 *
 * @param id the server's id for the connection.
 * @param uid the peer's uid (from {@code SO_PEERCRED}, checked against what {@code HELLO} declared).
 * @param gid the peer's gid.
 * @param pid the process id the client declared in {@code HELLO} (0 before {@code HELLO}).
 * @param mode the mode requested in {@code HELLO} ({@code ControlProtocol.MODE_*}; -1 before {@code HELLO}).
 * @param connectedSinceMs when it connected, epoch milliseconds.
 * @param outstanding requests received and not yet answered.
 * @param session 1 for a session client ({@code Bess.connect} on the session socket), 0 for a control connection.
 * @param transactions transactions it has open (session clients: 0 or 1).
 * @param locks locks its transaction holds.
 */
public record ClientInfo(
        int id,
        int uid,
        int gid,
        long pid,
        int mode,
        long connectedSinceMs,
        int outstanding,
        int session,
        int transactions,
        int locks) {}
