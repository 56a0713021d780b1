package org.bess.client;

/**
 * What a compaction reclaimed.
 *
 * @param segmentsCompacted data segments whose holes were closed.
 * @param segmentsShrunk data segments moved to a smaller buddy block.
 * @param extentsFreed empty extents returned.
 * @param bytesTruncated bytes cut from the tail of file areas.
 */
public record CompactionReport(int segmentsCompacted, int segmentsShrunk, int extentsFreed, long bytesTruncated) {}
