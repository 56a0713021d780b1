package org.bess.server.io;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.nativeshim.Native;
import org.bess.nativeshim.NativeException;

/**
 * A {@link PageStore} over a real file or block device, with {@code pread}/{@code pwrite} straight from cache frames
 * and {@code fdatasync}. The area is locked for the life of the store ({@code fcntl} lock), so a second process
 * opening the same database is refused instead of corrupting it.
 */
public final class FilePageStore implements PageStore {
    private final Path path;
    private final int fd;
    /** {@link #force()} against {@link #close()}. */
    private final Object forceLock = new Object();
    /** Set by {@link #close()} under {@link #forceLock}. */
    private boolean closed;

    private final boolean device;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private long pageCount;

    private FilePageStore(final Path path, final int fd, final boolean device, final long pageCount) {
        this.path = path;
        this.fd = fd;
        this.device = device;
        this.pageCount = pageCount;
        FileChannel channel = null;
        FileLock fileLock = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            fileLock = channel.tryLock();
        } catch (final IOException | OverlappingFileLockException e) {
            fileLock = null;
        }
        if (fileLock == null) {
            closeQuietly(channel);
            Native.close(fd);
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE, "storage area is in use by another process or session: path=" + path);
        }
        this.lockChannel = channel;
        this.lock = fileLock;
    }

    /** Creates a new area file of {@code pageCount} zero pages (0660), refusing an existing file. */
    public static FilePageStore create(final Path path, final long pageCount) {
        final int fd;
        try {
            fd = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_EXCL, 0660);
        } catch (final NativeException e) {
            throw new BessException(
                    ErrorCode.IO, "cannot create storage area: path=" + path + ": " + e.getMessage(), e);
        }
        final FilePageStore store = new FilePageStore(path, fd, false, 0);
        store.grow(pageCount);
        return store;
    }

    /** Opens an existing area file or block device. */
    public static FilePageStore open(final Path path) {
        if (!Files.exists(path)) {
            throw new BessException(ErrorCode.BAD_FORMAT, "storage area is missing: path=" + path);
        }
        if (Files.isDirectory(path)) {
            throw new BessException(ErrorCode.BAD_FORMAT, "not a bess storage area (a directory): path=" + path);
        }
        final boolean device = !Files.isRegularFile(path);
        final int fd;
        try {
            fd = Native.open(path, Native.O_RDWR, 0);
        } catch (final NativeException e) {
            throw new BessException(ErrorCode.IO, "cannot open storage area: path=" + path + ": " + e.getMessage(), e);
        }
        long bytes;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            bytes = device ? ch.size() : Files.size(path);
        } catch (final IOException e) {
            Native.close(fd);
            throw new BessException(ErrorCode.IO, "cannot read the size of storage area: path=" + path, e);
        }
        return new FilePageStore(path, fd, device, bytes >>> PAGE_SHIFT);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public long pageCount() {
        return pageCount;
    }

    @Override
    public boolean isDevice() {
        return device;
    }

    @Override
    public void read(final long pageNo, final long address) {
        final long n = pread(address, PAGE_LENGTH, pageNo, 1);
        if (n != PAGE_LENGTH) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "storage area is truncated: path=" + path + ", page=" + pageNo + ", bytesRead=" + n);
        }
    }

    @Override
    public void read(final long pageNo, final int count, final long address) {
        final long expected = (long) count << PAGE_SHIFT;
        final long n = pread(address, expected, pageNo, count);
        if (n != expected) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "storage area is truncated: path=" + path + ", page=" + pageNo + ", pages=" + count + ", bytesRead="
                            + n);
        }
    }

    @Override
    public void write(final long pageNo, final long address) {
        final long n = pwrite(address, PAGE_LENGTH, pageNo, 1);
        if (n != PAGE_LENGTH) {
            throw new BessException(
                    ErrorCode.IO, "short write to storage area: path=" + path + ", page=" + pageNo + ", bytes=" + n);
        }
    }

    @Override
    public void write(final long pageNo, final int count, final long address) {
        final long expected = (long) count << PAGE_SHIFT;
        final long n = pwrite(address, expected, pageNo, count);
        if (n != expected) {
            throw new BessException(
                    ErrorCode.IO,
                    "short write to storage area: path=" + path + ", page=" + pageNo + ", pages=" + count + ", bytes="
                            + n);
        }
    }

    /**
     * {@code fdatasync}. May run on a checkpointing thread without the engine latch while the engine reads and writes
     * the area; it and {@link #close()} exclude each other, so the descriptor is never closed (and its number reused)
     * under a running force, and a force after the close has nothing to do.
     */
    @Override
    public void force() {
        synchronized (forceLock) {
            if (closed) {
                return;
            }
            try {
                Native.fdatasync(fd);
            } catch (final NativeException e) {
                throw new BessException(
                        ErrorCode.IO, "cannot force storage area: path=" + path + ": " + e.getMessage(), e);
            }
        }
    }

    /** {@code pread}, with a failure (EIO, ...) turned into an {@code IO} error naming the area and the pages. */
    private long pread(final long address, final long bytes, final long pageNo, final int count) {
        try {
            return Native.pread(fd, address, bytes, pageNo << PAGE_SHIFT);
        } catch (final NativeException e) {
            throw new BessException(
                    ErrorCode.IO,
                    "cannot read storage area: path=" + path + ", page=" + pageNo + ", pages=" + count + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** {@code pwrite}, with a failure (EIO, ENOSPC, ...) turned into an {@code IO} error naming the area and pages. */
    private long pwrite(final long address, final long bytes, final long pageNo, final int count) {
        try {
            return Native.pwrite(fd, address, bytes, pageNo << PAGE_SHIFT);
        } catch (final NativeException e) {
            throw new BessException(
                    e.errnoName().equals("ENOSPC") ? ErrorCode.STORAGE_FULL : ErrorCode.IO,
                    "cannot write storage area: path=" + path + ", page=" + pageNo + ", pages=" + count + ": "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    public void grow(final long newPageCount) {
        if (device) {
            throw new BessException(ErrorCode.STORAGE_FULL, "a block device area cannot grow: path=" + path);
        }
        try {
            Native.ftruncate(fd, newPageCount << PAGE_SHIFT);
            Native.posixFallocate(fd, 0, newPageCount << PAGE_SHIFT);
        } catch (final NativeException e) {
            Native.ftruncate(fd, pageCount << PAGE_SHIFT);
            throw new BessException(ErrorCode.STORAGE_FULL, "cannot grow storage area: path=" + path + ": " + e, e);
        }
        pageCount = newPageCount;
    }

    @Override
    public void truncate(final long newPageCount) {
        if (!device) {
            Native.ftruncate(fd, newPageCount << PAGE_SHIFT);
            pageCount = newPageCount;
        }
    }

    @Override
    public void close() {
        synchronized (forceLock) {
            closed = true;
        }
        try {
            lock.release();
        } catch (final IOException e) {
            // closing the channel below releases the lock anyway
        }
        closeQuietly(lockChannel);
        Native.close(fd);
    }

    private static void closeQuietly(final FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (final IOException e) {
                // nothing more to release
            }
        }
    }
}
