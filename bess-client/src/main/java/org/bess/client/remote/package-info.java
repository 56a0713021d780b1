/**
 * The client modes: a {@link org.bess.client.Session} in another process than the node's engine, talking to the
 * engine's session endpoint over a Unix domain socket ({@code docs/format/session-protocol.md}). Objects are read and
 * written in place through the client's own virtual frames: frames of the server's shared cache file in shared-memory
 * mode, frames of a private cache file filled by the server in copy-on-access mode.
 *
 * <p>Not thread safe: one thread at a time uses a session.
 */
package org.bess.client.remote;
