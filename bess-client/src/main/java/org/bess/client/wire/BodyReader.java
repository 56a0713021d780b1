package org.bess.client.wire;

import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.agrona.DirectBuffer;
import org.bess.exceptions.ProtocolException;

/**
 * Reads a frame's body field by field, in place, with every read checked against the end of the frame: a field that
 * would run past it, a negative or oversized string length, invalid UTF-8, a count that cannot fit the bytes left, or
 * bytes left over at {@link #end} are a {@link ProtocolException} naming the field and the offsets. Nothing is
 * allocated beyond what a field's checked length allows.
 *
 * <p>Not thread safe; reuse one per reader thread.
 */
public final class BodyReader {
    private DirectBuffer buffer;
    private int position;
    private int limit;
    private int start;

    /**
     * Wraps the body {@code [offset, limit)}.
     *
     * @return this.
     */
    public BodyReader wrap(final DirectBuffer buffer, final int offset, final int limit) {
        if (offset < 0 || limit < offset || limit > buffer.capacity()) {
            throw new ProtocolException("body out of the buffer: offset=" + offset + ", limit=" + limit + ", capacity="
                    + buffer.capacity());
        }
        this.buffer = buffer;
        this.position = offset;
        this.start = offset;
        this.limit = limit;
        return this;
    }

    /** Wraps the body of the frame a header flyweight was wrapped on. */
    public BodyReader wrap(final DirectBuffer buffer, final FrameHeaderFlyweight header) {
        return wrap(buffer, header.bodyOffset(), header.frameEnd());
    }

    /** Bytes left in the body. */
    public int remaining() {
        return limit - position;
    }

    private void need(final int bytes, final String field) {
        if (bytes > limit - position) {
            throw new ProtocolException("field runs past the end of the frame: field=" + field + ", bodyOffset="
                    + (position - start) + ", needed=" + bytes + ", left=" + (limit - position));
        }
    }

    /** Reads an int32 field. */
    public int getInt(final String field) {
        need(Integer.BYTES, field);
        final int v = buffer.getInt(position, ByteOrder.LITTLE_ENDIAN);
        position += Integer.BYTES;
        return v;
    }

    /** Reads an int64 field. */
    public long getLong(final String field) {
        need(Long.BYTES, field);
        final long v = buffer.getLong(position, ByteOrder.LITTLE_ENDIAN);
        position += Long.BYTES;
        return v;
    }

    /**
     * Reads a count of entries that each take at least {@code minEntryBytes}: refused when the rest of the body could
     * not hold that many, so that no list is sized from an unchecked number.
     */
    public int getCount(final String field, final int minEntryBytes) {
        final int n = getInt(field);
        if (n < 0 || (long) n * minEntryBytes > limit - position) {
            throw new ProtocolException("count out of bounds: field=" + field + ", count=" + n + ", bytesLeft="
                    + (limit - position) + ", minEntryBytes=" + minEntryBytes);
        }
        return n;
    }

    /**
     * Reads a string: int32 byte length, then UTF-8.
     *
     * @param field the field's name, for errors.
     * @param maxBytes the longest this field may be.
     */
    public String getString(final String field, final int maxBytes) {
        final int length = getInt(field + ".length");
        if (length < 0 || length > maxBytes) {
            throw new ProtocolException(
                    "string length out of bounds: field=" + field + ", length=" + length + ", max=" + maxBytes);
        }
        need(length, field);
        final byte[] bytes = new byte[length];
        buffer.getBytes(position, bytes);
        position += length;
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes))
                    .toString();
        } catch (final CharacterCodingException e) {
            throw new ProtocolException("string is not valid UTF-8: field=" + field + ", length=" + length);
        }
    }

    /** Checks that the body was read to its end. */
    public void end(final String message) {
        if (position != limit) {
            throw new ProtocolException(
                    "bytes left over after the body: message=" + message + ", left=" + (limit - position));
        }
    }
}
