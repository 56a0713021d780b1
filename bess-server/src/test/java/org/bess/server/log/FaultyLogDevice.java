package org.bess.server.log;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/** A log device that counts forces and can fail the N-th write or force (persistently once failed). */
final class FaultyLogDevice implements LogDevice {
    private final LogDevice delegate;
    final AtomicInteger forces = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    volatile int failForceAt = -1;
    volatile int failWriteAt = -1;

    FaultyLogDevice(final LogDevice delegate) {
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
    public void write(final long index, final long offset, final ByteBuffer src) {
        if (failWriteAt >= 0 && writes.incrementAndGet() >= failWriteAt) {
            throw new BessException(ErrorCode.IO, "injected EIO on log write");
        }
        delegate.write(index, offset, src);
    }

    @Override
    public void force(final long index) {
        if (failForceAt >= 0 && forces.get() + 1 >= failForceAt) {
            throw new BessException(ErrorCode.IO, "injected EIO on log force");
        }
        forces.incrementAndGet();
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
