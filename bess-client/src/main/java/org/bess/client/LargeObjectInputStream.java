package org.bess.client;

import java.io.InputStream;
import java.util.Objects;

/**
 * An {@link InputStream} over a large object from a position to its end. Each read asks the object for at most what
 * the caller's array holds, so nothing buffers the whole object. Supports mark and reset.
 */
final class LargeObjectInputStream extends InputStream {
    private final LargeObject object;
    private long position;
    private long mark;

    LargeObjectInputStream(final LargeObject object, final long position) {
        if (position < 0) {
            throw new IllegalArgumentException("negative position: position=" + position);
        }
        this.object = object;
        this.position = position;
        this.mark = position;
    }

    @Override
    public int read() {
        final byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(final byte[] b, final int off, final int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        final long left = object.length() - position;
        if (left <= 0) {
            return -1;
        }
        final int n = (int) Math.min(len, left);
        object.read(position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public long skip(final long n) {
        if (n <= 0) {
            return 0;
        }
        final long skipped = Math.max(0, Math.min(n, object.length() - position));
        position += skipped;
        return skipped;
    }

    @Override
    public int available() {
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, object.length() - position));
    }

    @Override
    public boolean markSupported() {
        return true;
    }

    @Override
    public synchronized void mark(final int readlimit) {
        mark = position;
    }

    @Override
    public synchronized void reset() {
        position = mark;
    }
}
