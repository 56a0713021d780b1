package org.bess.client;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * An {@link OutputStream} that overwrites a large object from a position on, extending it past its end. Writes of
 * less than the 64 KiB buffer are gathered; larger ones go straight to the object.
 */
final class LargeObjectOutputStream extends OutputStream {
    private static final int BUFFER_LENGTH = 64 * 1024;

    private final LargeObject object;
    private final byte[] buffer = new byte[BUFFER_LENGTH];
    private int buffered;
    private long position;
    private boolean closed;

    LargeObjectOutputStream(final LargeObject object, final long position) {
        if (position < 0) {
            throw new IllegalArgumentException("negative position: position=" + position);
        }
        this.object = object;
        this.position = position;
    }

    @Override
    public void write(final int b) throws IOException {
        checkOpen();
        if (buffered == BUFFER_LENGTH) {
            flushBuffer();
        }
        buffer[buffered++] = (byte) b;
    }

    @Override
    public void write(final byte[] b, final int off, final int len) throws IOException {
        checkOpen();
        Objects.checkFromIndexSize(off, len, b.length);
        if (len >= BUFFER_LENGTH) {
            flushBuffer();
            object.write(position, b, off, len);
            position += len;
            return;
        }
        if (buffered + len > BUFFER_LENGTH) {
            flushBuffer();
        }
        System.arraycopy(b, off, buffer, buffered, len);
        buffered += len;
    }

    private void flushBuffer() {
        if (buffered > 0) {
            object.write(position, buffer, 0, buffered);
            position += buffered;
            buffered = 0;
        }
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("stream closed: object=" + object.ref());
        }
    }

    @Override
    public void flush() throws IOException {
        checkOpen();
        flushBuffer();
    }

    @Override
    public void close() {
        if (!closed) {
            flushBuffer();
            closed = true;
        }
    }
}
