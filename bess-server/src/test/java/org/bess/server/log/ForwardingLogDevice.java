package org.bess.server.log;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.List;

/** A log device that passes every call to another: tests override the calls they watch, gate or fail. */
public class ForwardingLogDevice implements LogDevice {
    /** The device calls go to. */
    protected final LogDevice delegate;

    public ForwardingLogDevice(final LogDevice delegate) {
        this.delegate = delegate;
    }

    @Override
    public List<Long> segments() {
        return delegate.segments();
    }

    @Override
    public void create(final long index, final ByteBuffer header) {
        delegate.create(index, header);
    }

    @Override
    public int read(final long index, final long offset, final ByteBuffer dst) {
        return delegate.read(index, offset, dst);
    }

    @Override
    public MappedByteBuffer map(final long index, final long length) {
        return delegate.map(index, length);
    }

    @Override
    public void write(final long index, final long offset, final ByteBuffer src) {
        delegate.write(index, offset, src);
    }

    @Override
    public void force(final long index) {
        delegate.force(index);
    }

    @Override
    public void truncate(final long index, final long length) {
        delegate.truncate(index, length);
    }

    @Override
    public void delete(final long index) {
        delegate.delete(index);
    }

    @Override
    public long size(final long index) {
        return delegate.size(index);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
