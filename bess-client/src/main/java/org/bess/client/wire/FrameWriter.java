package org.bess.client.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.agrona.ExpandableArrayBuffer;
import org.bess.exceptions.ErrorCode;
import org.bess.exceptions.ProtocolException;

/**
 * Encodes one frame at a time into a reusable growable buffer: {@link #begin}, the body fields in order, then {@link
 * #finish}, which writes the length and returns the frame's bytes. A frame that would pass {@link
 * ControlProtocol#MAX_FRAME_LENGTH} is refused.
 *
 * <p>Not thread safe; one per writer thread (or per connection).
 */
public final class FrameWriter {
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
    private int position;
    private boolean open;

    /**
     * Starts a frame.
     *
     * @return this.
     */
    public FrameWriter begin(final int type, final long correlationId) {
        buffer.putInt(ControlProtocol.LENGTH_OFFSET, 0, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(ControlProtocol.TYPE_OFFSET, (short) type, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(ControlProtocol.RESERVED_OFFSET, (short) 0, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(ControlProtocol.CORRELATION_ID_OFFSET, correlationId, ByteOrder.LITTLE_ENDIAN);
        position = ControlProtocol.HEADER_LENGTH;
        open = true;
        return this;
    }

    private void room(final int bytes) {
        if (!open) {
            throw new IllegalStateException("no frame begun");
        }
        if ((long) position + bytes > ControlProtocol.MAX_FRAME_LENGTH) {
            throw new ProtocolException("frame too long to send: length>" + ((long) position + bytes) + ", max="
                    + ControlProtocol.MAX_FRAME_LENGTH);
        }
    }

    /** Appends an int32. */
    public FrameWriter putInt(final int value) {
        room(Integer.BYTES);
        buffer.putInt(position, value, ByteOrder.LITTLE_ENDIAN);
        position += Integer.BYTES;
        return this;
    }

    /** Appends an int64. */
    public FrameWriter putLong(final long value) {
        room(Long.BYTES);
        buffer.putLong(position, value, ByteOrder.LITTLE_ENDIAN);
        position += Long.BYTES;
        return this;
    }

    /** Appends a string: int32 byte length, then UTF-8. */
    public FrameWriter putString(final String value) {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        room(Integer.BYTES + bytes.length);
        buffer.putInt(position, bytes.length, ByteOrder.LITTLE_ENDIAN);
        buffer.putBytes(position + Integer.BYTES, bytes);
        position += Integer.BYTES + bytes.length;
        return this;
    }

    /** Appends raw bytes (tests build malformed frames with this). */
    public FrameWriter putBytes(final byte[] bytes) {
        room(bytes.length);
        buffer.putBytes(position, bytes);
        position += bytes.length;
        return this;
    }

    /**
     * Ends the frame.
     *
     * @return a new heap buffer holding exactly the frame, positioned at 0.
     */
    public ByteBuffer finish() {
        room(0);
        buffer.putInt(ControlProtocol.LENGTH_OFFSET, position, ByteOrder.LITTLE_ENDIAN);
        open = false;
        final byte[] frame = new byte[position];
        buffer.getBytes(0, frame);
        return ByteBuffer.wrap(frame);
    }

    /** Encodes an {@code ERROR} reply. */
    public ByteBuffer error(final long correlationId, final ErrorCode code, final String message) {
        final String bounded = message.length() > 4000 ? message.substring(0, 4000) + "..." : message;
        return begin(ControlProtocol.ERROR, correlationId)
                .putInt(code.code())
                .putString(bounded)
                .finish();
    }
}
