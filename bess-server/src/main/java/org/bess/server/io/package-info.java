/**
 * The storage I/O seam: every durable byte of a storage area goes through a {@link org.bess.server.io.PageStore}, so
 * tests can swap in a store that loses, tears or garbles writes that were not forced.
 */
package org.bess.server.io;
