package org.bess.client;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A {@link SeekableByteChannel} over a large object. Reads stop at the end (-1 there); writes overwrite at the
 * position and extend the object; {@link #truncate} shortens it and leaves a larger size alone, as the interface
 * says.
 */
final class LargeObjectChannel implements SeekableByteChannel {
    private final LargeObject object;
    private long position;
    private boolean open = true;

    LargeObjectChannel(final LargeObject object) {
        this.object = object;
    }

    private void checkOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public int read(final ByteBuffer dst) throws ClosedChannelException {
        checkOpen();
        final long left = object.length() - position;
        if (left <= 0) {
            return dst.hasRemaining() ? -1 : 0;
        }
        final int n = (int) Math.min(dst.remaining(), left);
        if (n == 0) {
            return 0;
        }
        final int limit = dst.limit();
        dst.limit(dst.position() + n);
        try {
            object.read(position, dst);
        } finally {
            dst.limit(limit);
        }
        position += n;
        return n;
    }

    @Override
    public int write(final ByteBuffer src) throws ClosedChannelException {
        checkOpen();
        final int n = src.remaining();
        if (position > object.length()) {
            // a position past the end leaves a gap of zeros, as for a file
            final long gap = position - object.length();
            final byte[] zeros = new byte[(int) Math.min(gap, 64 * 1024)];
            for (long done = 0; done < gap; done += zeros.length) {
                object.append(zeros, 0, (int) Math.min(zeros.length, gap - done));
            }
        }
        object.write(position, src);
        position += n;
        return n;
    }

    @Override
    public long position() throws ClosedChannelException {
        checkOpen();
        return position;
    }

    @Override
    public SeekableByteChannel position(final long newPosition) throws ClosedChannelException {
        checkOpen();
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position: position=" + newPosition);
        }
        position = newPosition;
        return this;
    }

    @Override
    public long size() throws ClosedChannelException {
        checkOpen();
        return object.length();
    }

    @Override
    public SeekableByteChannel truncate(final long size) throws ClosedChannelException {
        checkOpen();
        if (size < 0) {
            throw new IllegalArgumentException("negative size: size=" + size);
        }
        if (size < object.length()) {
            object.truncate(size);
        }
        position = Math.min(position, size);
        return this;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
