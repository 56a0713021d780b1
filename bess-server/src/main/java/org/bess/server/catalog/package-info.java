/**
 * The catalog of a database: its storage areas, BeSS files, type descriptors, named roots and the foreign databases
 * its forward objects point to. Held in memory while the database is open (its size grows with the number of names,
 * not with the data) and stored as a chain of catalog pages in the root area, switched in by the root area header.
 *
 * <p>Not thread safe: the engine thread only.
 */
package org.bess.server.catalog;
