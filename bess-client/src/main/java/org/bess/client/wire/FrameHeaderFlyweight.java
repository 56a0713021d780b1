package org.bess.client.wire;

import static org.bess.client.wire.ControlProtocol.CORRELATION_ID_OFFSET;
import static org.bess.client.wire.ControlProtocol.HEADER_LENGTH;
import static org.bess.client.wire.ControlProtocol.LENGTH_OFFSET;
import static org.bess.client.wire.ControlProtocol.RESERVED_OFFSET;
import static org.bess.client.wire.ControlProtocol.TYPE_OFFSET;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.bess.exceptions.ProtocolException;

/**
 * Reads the header of one frame in place (no copy, no allocation). {@link #wrap} checks that the buffer holds a whole
 * header, that the declared length fits {@code [HEADER_LENGTH, maxLength]} and the bytes available, and that the
 * reserved field is zero; anything else is a {@link ProtocolException} naming the field.
 *
 * <p>Not thread safe; reuse one per reader thread.
 */
public final class FrameHeaderFlyweight {
    private DirectBuffer buffer;
    private int offset;

    /**
     * Checks a frame length read from the first four bytes of a frame, before anything is allocated for it.
     *
     * @param length the declared length.
     * @param maxLength the receiver's limit.
     * @throws ProtocolException when out of bounds.
     */
    public static void checkLength(final int length, final int maxLength) {
        if (length < HEADER_LENGTH || length > maxLength) {
            throw new ProtocolException(
                    "frame length out of bounds: length=" + length + ", min=" + HEADER_LENGTH + ", max=" + maxLength);
        }
    }

    /**
     * Wraps the frame at {@code offset}.
     *
     * @param buffer the bytes.
     * @param offset where the frame starts.
     * @param available bytes of the buffer from {@code offset} that belong to this read.
     * @param maxLength the receiver's limit on a frame.
     * @return this.
     * @throws ProtocolException for a short header, a length out of bounds or past the bytes available, or a non-zero
     *     reserved field.
     */
    public FrameHeaderFlyweight wrap(
            final DirectBuffer buffer, final int offset, final int available, final int maxLength) {
        if (available < HEADER_LENGTH) {
            throw new ProtocolException("truncated frame header: bytes=" + available + ", header=" + HEADER_LENGTH);
        }
        final int length = buffer.getInt(offset + LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN);
        checkLength(length, maxLength);
        if (length > available) {
            throw new ProtocolException("truncated frame: length=" + length + ", bytes=" + available);
        }
        final int reserved = buffer.getShort(offset + RESERVED_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (reserved != 0) {
            throw new ProtocolException("reserved header field is not zero: reserved=" + (reserved & 0xFFFF));
        }
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** The whole frame's length. */
    public int frameLength() {
        return buffer.getInt(offset + LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    /** The message type (uint16). */
    public int type() {
        return buffer.getShort(offset + TYPE_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
    }

    /** The correlation id. */
    public long correlationId() {
        return buffer.getLong(offset + CORRELATION_ID_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    /** Where the body starts in the buffer. */
    public int bodyOffset() {
        return offset + HEADER_LENGTH;
    }

    /** Where the frame ends in the buffer. */
    public int frameEnd() {
        return offset + frameLength();
    }
}
