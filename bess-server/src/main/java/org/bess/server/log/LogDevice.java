package org.bess.server.log;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.List;

/**
 * The log's files on stable storage: the write-ahead log's side of the storage I/O seam. Nothing written is durable
 * until {@link #force(long)} of its segment returns; a segment's creation is durable once {@link #create} returns.
 */
public interface LogDevice extends AutoCloseable {
    /** The indexes of the segments that exist, ascending. */
    List<Long> segments();

    /** Creates a segment holding {@code header}, forces it and its directory entry. */
    void create(long index, ByteBuffer header);

    /**
     * Reads from a segment.
     *
     * @return bytes read; fewer than asked at the end of the segment.
     */
    int read(long index, long offset, ByteBuffer dst);

    /**
     * Maps the first {@code length} bytes of a segment read-only, for a long sequential scan (restart). The caller
     * unmaps it when done and never reads it after the segment may have been truncated.
     *
     * @return the mapping, or null when this device does not map (the caller then uses {@link #read}).
     */
    default MappedByteBuffer map(final long index, final long length) {
        return null;
    }

    /** Writes to a segment. */
    void write(long index, long offset, ByteBuffer src);

    /** Makes the writes to a segment durable. */
    void force(long index);

    /** Cuts a segment at {@code length} bytes and forces it (drops a torn or invalid tail). */
    void truncate(long index, long length);

    /** Deletes a segment that is no longer needed. */
    void delete(long index);

    /** The bytes a segment holds. */
    long size(long index);

    @Override
    void close();
}
