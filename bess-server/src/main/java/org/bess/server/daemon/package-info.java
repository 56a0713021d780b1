/**
 * The node server daemon (DESIGN.md §4, §6): {@link org.bess.server.daemon.NodeServerMain} ({@code ./bess server})
 * hosts the engine in its process and owns the node directory (lock file, config, LMDB node catalog, log, daemon logs,
 * control socket), the live counters file in shared memory, and the local control channel (a Unix domain socket,
 * one selector thread, requests that touch the engine run on its one engine thread).
 *
 * <p>Threads: {@code bess-control} (selector: accept, authenticate, read, decode, answer control requests, write),
 * {@code bess-engine} (every engine call, the counters sample), the JVM's shutdown hook.
 */
package org.bess.server.daemon;
