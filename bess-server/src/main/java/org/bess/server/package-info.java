/**
 * The engine and its embedded entry point, {@link org.bess.server.BessServer#embedded}: open databases with their
 * areas and catalogs, the object layer (slotted segments, data segments, files, references, forward objects), large
 * objects (trees of variable-size segments), the page-update path every change passes through, and checkpoints.
 *
 * <p>Not thread safe: a session and everything it reaches are used by one thread at a time. The one other thread is
 * the engine's I/O thread, which runs queued asynchronous large-object operations while the session thread waits at
 * the barrier on its next call into the engine (see {@code EngineIoThreads}).
 */
package org.bess.server;
