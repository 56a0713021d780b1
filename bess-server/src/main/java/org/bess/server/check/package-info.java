/**
 * Offline verification of a database ({@code bess-admin check}): every control page's checksum, the buddy maps against
 * the segments that own their blocks, the slots against their data segments, large-object trees (levels, owners,
 * counts that add up, leaves within their blocks), every data page's checksum, and every reference (through the type
 * descriptors) against a live slot. It reads the area files itself, with a private cache, and trusts nothing it reads.
 *
 * <p>Not thread safe; one check at a time per instance.
 */
package org.bess.server.check;
