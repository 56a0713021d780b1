/**
 * The engine and its embedded entry point, {@link org.bess.server.BessServer#embedded}: open databases with their
 * areas and catalogs, the object layer (slotted segments, data segments, files, references, forward objects), the
 * page-update path every change passes through, and checkpoints.
 *
 * <p>Not thread safe: a session and everything it reaches are used by one thread at a time.
 */
package org.bess.server;
