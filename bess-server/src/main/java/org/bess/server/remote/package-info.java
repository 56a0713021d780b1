/**
 * The session endpoint: client processes ({@code Bess.connect}) reach sessions of the engine in this process over a
 * Unix domain socket, one connection per session, one thread per connection ({@code
 * docs/format/session-protocol.md}). A connection that closes, for any reason, rolls back its session's transaction,
 * releases its locks and drops its frame mappings.
 *
 * <p>Thread safe: the endpoint accepts on its own thread; each connection is served by its own thread.
 */
package org.bess.server.remote;
