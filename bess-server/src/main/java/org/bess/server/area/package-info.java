/**
 * Storage areas: files or block devices cut into extents, with segments of 2^k pages allocated inside an extent by the
 * binary buddy system ({@link org.bess.server.area.BuddyAllocator}), persisted in each extent's map page, and page
 * checksums kept in each extent's page-info table.
 *
 * <p>Not thread safe: the engine thread owns the areas.
 */
package org.bess.server.area;
