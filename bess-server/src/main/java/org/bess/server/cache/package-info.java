/**
 * The node's page cache: a memory-mapped file of 4 KiB frames, a control file with frame descriptors and the
 * page-to-frame table, clock replacement, and write-back of dirty frames through each area's {@link
 * org.bess.server.cache.PageSource}. The cache is never a writable mapping of an area file.
 *
 * <p>Not thread safe: the engine thread owns it.
 */
package org.bess.server.cache;
