package org.bess.server.log;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/** A log device that counts forces and can fail the N-th write or force (persistently once failed). */
final class FaultyLogDevice extends ForwardingLogDevice {
    final AtomicInteger forces = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    volatile int failForceAt = -1;
    volatile int failWriteAt = -1;

    FaultyLogDevice(final LogDevice delegate) {
        super(delegate);
    }

    @Override
    public MappedByteBuffer map(final long index, final long length) {
        return null; // reads go through read(), never a mapping
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
}
