package org.bess.server;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.server.io.ForwardingPageStore;
import org.bess.server.io.PageStore;
import org.bess.server.io.StorageIo;
import org.bess.server.log.ForwardingLogDevice;

/**
 * The real storage I/O seam with EIO injected (TESTING.md row 7, the Lucene mock-file pattern): every operation of a
 * kind is counted, and once armed the N-th one from now fails, once (transient) or from then on (persistent). An
 * injected failure is what the real stores throw for a failed system call: an {@code IO} {@link BessException} naming
 * the call, the file and the page or log offset. Thread safe.
 */
final class FaultyStorageIo implements StorageIo {
    /** The operations that can fail. */
    enum Op {
        AREA_READ,
        AREA_WRITE,
        AREA_FORCE,
        LOG_WRITE,
        LOG_FORCE
    }

    private final Map<Op, long[]> counts = new EnumMap<>(Op.class);
    private final Map<Op, Long> atArm = new EnumMap<>(Op.class);
    private Op armed;
    private long failAt;
    private boolean persistent;
    private int injected;

    FaultyStorageIo() {
        for (final Op op : Op.values()) {
            counts.put(op, new long[1]);
        }
    }

    /** Makes the {@code nth} next operation of {@code op} fail (and every later one when {@code persistent}). */
    synchronized void arm(final Op op, final int nth, final boolean persistent) {
        for (final Op o : Op.values()) {
            atArm.put(o, counts.get(o)[0]);
        }
        this.armed = op;
        this.failAt = counts.get(op)[0] + nth;
        this.persistent = persistent;
    }

    /** No more failures. */
    synchronized void disarm() {
        armed = null;
    }

    /** Failures injected so far. */
    synchronized int injected() {
        return injected;
    }

    /** Operations of a kind so far. */
    synchronized long count(final Op op) {
        return counts.get(op)[0];
    }

    /** Operations of a kind since the last {@link #arm}. */
    synchronized long countSinceArm(final Op op) {
        return counts.get(op)[0] - atArm.getOrDefault(op, 0L);
    }

    private synchronized void pass(final Op op, final String call, final String where) {
        final long n = ++counts.get(op)[0];
        if (op == armed && (n == failAt || (persistent && n > failAt))) {
            injected++;
            throw new BessException(ErrorCode.IO, call + " failed: EIO (Input/output error, injected), " + where);
        }
    }

    @Override
    public PageStore createArea(final Path path, final long pageCount) {
        return new Store(StorageIo.REAL.createArea(path, pageCount));
    }

    @Override
    public PageStore openArea(final Path path) {
        return new Store(StorageIo.REAL.openArea(path));
    }

    @Override
    public org.bess.server.log.LogDevice openLog(final Path dir) {
        return new Log(StorageIo.REAL.openLog(dir), dir);
    }

    private final class Store extends ForwardingPageStore {
        Store(final PageStore delegate) {
            super(delegate);
        }

        @Override
        public void read(final long pageNo, final long address) {
            pass(Op.AREA_READ, "pread", "path=" + delegate.path() + ", page=" + pageNo);
            delegate.read(pageNo, address);
        }

        @Override
        public void read(final long pageNo, final int count, final long address) {
            pass(Op.AREA_READ, "pread", "path=" + delegate.path() + ", page=" + pageNo + ", pages=" + count);
            delegate.read(pageNo, count, address);
        }

        @Override
        public void write(final long pageNo, final long address) {
            pass(Op.AREA_WRITE, "pwrite", "path=" + delegate.path() + ", page=" + pageNo);
            delegate.write(pageNo, address);
        }

        @Override
        public void write(final long pageNo, final int count, final long address) {
            pass(Op.AREA_WRITE, "pwrite", "path=" + delegate.path() + ", page=" + pageNo + ", pages=" + count);
            delegate.write(pageNo, count, address);
        }

        @Override
        public void force() {
            pass(Op.AREA_FORCE, "fdatasync", "path=" + delegate.path());
            delegate.force();
        }
    }

    private final class Log extends ForwardingLogDevice {
        private final Path dir;

        Log(final org.bess.server.log.LogDevice delegate, final Path dir) {
            super(delegate);
            this.dir = dir;
        }

        private Path file(final long index) {
            return dir.resolve(LogSegmentHeaderDescriptor.fileName(index));
        }

        @Override
        public MappedByteBuffer map(final long index, final long length) {
            return null; // reads go through read(), never a mapping
        }

        @Override
        public void write(final long index, final long offset, final ByteBuffer src) {
            pass(Op.LOG_WRITE, "pwrite", "path=" + file(index) + ", offset=" + offset);
            delegate.write(index, offset, src);
        }

        @Override
        public void force(final long index) {
            pass(Op.LOG_FORCE, "fdatasync", "path=" + file(index));
            delegate.force(index);
        }
    }
}
