package org.bess.nativeshim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file opened by descriptor for mapping, with its length. Files are created with the requested POSIX permissions in
 * the {@code open(2)} call itself; where the umask removed bits that were asked for, they are added back with {@code
 * fchmod(2)}, which can only widen the file towards the requested mode, never beyond it.
 *
 * <p>Not thread safe for {@link #length(long)} and {@link #close()}; the descriptor itself may be shared.
 */
public final class MappedFile implements AutoCloseable {
    private final Path path;
    private final int fd;
    private final boolean writable;
    private long length;
    private boolean closed;

    private MappedFile(final Path path, final int fd, final boolean writable, final long length) {
        this.path = path;
        this.fd = fd;
        this.writable = writable;
        this.length = length;
    }

    /**
     * Creates a new file (it must not exist) of {@code length} bytes, filled with zeros, readable and writable.
     *
     * @param mode POSIX permissions, e.g. {@code 0600}.
     */
    public static MappedFile create(final Path path, final long length, final int mode) {
        final int fd = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_EXCL, mode);
        try {
            Native.fchmod(fd, mode);
            Native.ftruncate(fd, length);
        } catch (final RuntimeException e) {
            Native.close(fd);
            throw e;
        }
        return new MappedFile(path, fd, true, length);
    }

    /** Opens an existing file, read-write or read-only. */
    public static MappedFile open(final Path path, final boolean writable) {
        final int fd = Native.open(path, writable ? Native.O_RDWR : Native.O_RDONLY, 0);
        final long length;
        try {
            length = Files.size(path);
        } catch (final IOException e) {
            Native.close(fd);
            throw new UncheckedIOException("cannot read the length of " + path, e);
        }
        return new MappedFile(path, fd, writable, length);
    }

    /** The path the file was opened by. */
    public Path path() {
        return path;
    }

    /** The file descriptor, for mapping. */
    public int fd() {
        return fd;
    }

    /** Whether the descriptor allows writes. */
    public boolean writable() {
        return writable;
    }

    /** The file length in bytes, as last set or read. */
    public long length() {
        return length;
    }

    /** Sets the file length ({@code ftruncate(2)}): grows with zeros or cuts. */
    public void length(final long newLength) {
        Native.ftruncate(fd, newLength);
        length = newLength;
    }

    /** Reserves disk blocks for the whole file, so that writes into its pages cannot hit ENOSPC later. */
    public void allocate() {
        Native.posixFallocate(fd, 0, length);
    }

    /** Forces the file's data to stable storage ({@code fdatasync(2)}). */
    public void force() {
        Native.fdatasync(fd);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.close(fd);
        }
    }
}
