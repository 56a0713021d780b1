/**
 * Binary layouts of everything bess stores: page headers, area headers, extent maps, page-info tables, slotted
 * segments, slots, catalog pages, reference words and lock words. Each layout is one {@code *Descriptor} (statics
 * only) and one page in {@code docs/format/}; the two change together. All fields are little-endian.
 */
package org.bess.format;
