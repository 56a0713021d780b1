package org.bess.client.wire;

/**
 * The server's answer to {@code HELLO}.
 *
 * @param protocolVersion the server's protocol version.
 * @param clientId the id the server gave this connection (for {@code LIST_CLIENTS} and {@code KILL_CLIENT}).
 * @param serverPid the server's process id.
 * @param nodeId the node's 64-bit id (from its node catalog).
 */
public record HelloReply(int protocolVersion, int clientId, long serverPid, long nodeId) {}
