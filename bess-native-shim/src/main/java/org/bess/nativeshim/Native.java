package org.bess.nativeshim;

import java.nio.file.Path;
import java.util.Locale;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The checked facade over libc: every call that can fail throws a {@link NativeException} naming the call, the errno
 * and the arguments instead of returning {@code -1} or {@code MAP_FAILED}. Constants are those of Linux (x86_64 and
 * aarch64 share them); loading this class on another system fails with a clear message.
 *
 * <p>Thread safe: these are plain system calls; callers own the ranges and descriptors they pass.
 */
public final class Native {
    /** No access. */
    public static final int PROT_NONE = 0;
    /** Read access. */
    public static final int PROT_READ = 1;
    /** Write access. */
    public static final int PROT_WRITE = 2;

    /** Share the mapping with the file and other processes. */
    public static final int MAP_SHARED = 0x01;
    /** Copy-on-write private mapping. */
    public static final int MAP_PRIVATE = 0x02;
    /** Place the mapping exactly at the given address, replacing what was there. */
    public static final int MAP_FIXED = 0x10;
    /** Not backed by a file. */
    public static final int MAP_ANONYMOUS = 0x20;
    /** Do not reserve swap for the mapping. */
    public static final int MAP_NORESERVE = 0x4000;

    /** Write back synchronously. */
    public static final int MS_SYNC = 4;

    /** Expect access soon: start read-ahead. */
    public static final int MADV_WILLNEED = 3;
    /** Drop the pages (anonymous memory reads as zero again). */
    public static final int MADV_DONTNEED = 4;
    /** Expect sequential access: aggressive read-ahead, pages behind may be dropped early. */
    public static final int MADV_SEQUENTIAL = 2;
    /** Populate the page tables writable now (Linux 5.14+; EINVAL before), as write faults would. */
    public static final int MADV_POPULATE_WRITE = 23;
    /** {@code posix_fadvise} advice: the range will not be needed; its clean page-cache pages are dropped. */
    public static final int POSIX_FADV_DONTNEED = 4;

    /** Open for reading only. */
    public static final int O_RDONLY = 0;
    /** Open for reading and writing. */
    public static final int O_RDWR = 2;
    /** Create when missing. */
    public static final int O_CREAT = 0100;
    /** With {@link #O_CREAT}: fail when the file exists. */
    public static final int O_EXCL = 0200;
    /** Close on exec, so child processes do not inherit the descriptor. */
    public static final int O_CLOEXEC = 02000000;

    private static final int SC_PAGESIZE = 30;

    private static final Runtime RUNTIME;
    private static final LibC.Calls LIBC;
    private static final int PAGE_SIZE;

    static {
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            throw new UnsupportedOperationException(
                    "bess needs Linux (mmap, mprotect and fdatasync semantics): os=" + os);
        }
        LIBC = LibraryLoader.create(LibC.Calls.class).load("c");
        RUNTIME = Runtime.getRuntime(LIBC);
        PAGE_SIZE = (int) LIBC.sysconf(SC_PAGESIZE);
    }

    private Native() {}

    /** The operating system page size in bytes (4096 on the machines bess targets). */
    public static int pageSize() {
        return PAGE_SIZE;
    }

    /** The id of this process. */
    public static int pid() {
        return LIBC.getpid();
    }

    /**
     * {@code mmap(2)}.
     *
     * @return the address of the mapping.
     */
    public static long mmap(
            final long address, final long length, final int prot, final int flags, final int fd, final long offset) {
        final long result = LIBC.mmap(pointer(address), length, prot, flags, fd, offset);
        if (result == -1L) {
            throw new NativeException(
                    "mmap",
                    errno(),
                    "address=0x" + Long.toHexString(address) + ", length=" + length + ", prot=" + prot + ", flags=0x"
                            + Integer.toHexString(flags) + ", fd=" + fd + ", offset=" + offset);
        }
        return result;
    }

    /** {@code munmap(2)}. */
    public static void munmap(final long address, final long length) {
        if (LIBC.munmap(pointer(address), length) != 0) {
            throw new NativeException("munmap", errno(), range(address, length));
        }
    }

    /** {@code mprotect(2)}. */
    public static void mprotect(final long address, final long length, final int prot) {
        if (LIBC.mprotect(pointer(address), length, prot) != 0) {
            throw new NativeException("mprotect", errno(), range(address, length) + ", prot=" + prot);
        }
    }

    /** {@code madvise(2)}. */
    public static void madvise(final long address, final long length, final int advice) {
        if (LIBC.madvise(pointer(address), length, advice) != 0) {
            throw new NativeException("madvise", errno(), range(address, length) + ", advice=" + advice);
        }
    }

    /** {@code msync(2)}. */
    public static void msync(final long address, final long length, final int flags) {
        if (LIBC.msync(pointer(address), length, flags) != 0) {
            throw new NativeException("msync", errno(), range(address, length) + ", flags=" + flags);
        }
    }

    /**
     * {@code open(2)}.
     *
     * @param mode the permissions a created file gets (before the umask).
     * @return the file descriptor.
     */
    public static int open(final Path path, final int flags, final int mode) {
        final int fd = LIBC.open(path.toString(), flags | O_CLOEXEC, mode);
        if (fd < 0) {
            throw new NativeException(
                    "open",
                    errno(),
                    "path=" + path + ", flags=0" + Integer.toOctalString(flags) + ", mode=0"
                            + Integer.toOctalString(mode));
        }
        return fd;
    }

    /** {@code close(2)}. */
    public static void close(final int fd) {
        if (LIBC.close(fd) != 0) {
            throw new NativeException("close", errno(), "fd=" + fd);
        }
    }

    /** {@code fsync(2)}. */
    public static void fsync(final int fd) {
        if (LIBC.fsync(fd) != 0) {
            throw new NativeException("fsync", errno(), "fd=" + fd);
        }
    }

    /** {@code fdatasync(2)}. */
    public static void fdatasync(final int fd) {
        if (LIBC.fdatasync(fd) != 0) {
            throw new NativeException("fdatasync", errno(), "fd=" + fd);
        }
    }

    /** {@code ftruncate(2)}. */
    public static void ftruncate(final int fd, final long length) {
        if (LIBC.ftruncate(fd, length) != 0) {
            throw new NativeException("ftruncate", errno(), "fd=" + fd + ", length=" + length);
        }
    }

    /** {@code fchmod(2)}. */
    public static void fchmod(final int fd, final int mode) {
        if (LIBC.fchmod(fd, mode) != 0) {
            throw new NativeException("fchmod", errno(), "fd=" + fd + ", mode=0" + Integer.toOctalString(mode));
        }
    }

    /** {@code posix_fallocate(3)}: reserves disk blocks so that later writes cannot fail for lack of space. */
    public static void posixFallocate(final int fd, final long offset, final long length) {
        final int rc = LIBC.posix_fallocate(fd, offset, length);
        if (rc != 0) {
            throw new NativeException("posix_fallocate", rc, "fd=" + fd + ", offset=" + offset + ", length=" + length);
        }
    }

    /**
     * {@code posix_fadvise(2)}: advice on a file range ({@code length} 0 means to the end of the file); with {@link
     * #POSIX_FADV_DONTNEED} the kernel drops the range's clean pages from its page cache (dirty pages are written back
     * first only if synced before the call), which is how the cold benchmarks empty the cache of one file without
     * touching the rest of the machine.
     */
    public static void posixFadvise(final int fd, final long offset, final long length, final int advice) {
        final int rc = LIBC.posix_fadvise(fd, offset, length, advice);
        if (rc != 0) {
            throw new NativeException(
                    "posix_fadvise",
                    rc,
                    "fd=" + fd + ", offset=" + offset + ", length=" + length + ", advice=" + advice);
        }
    }

    /**
     * {@code pread(2)} into native memory.
     *
     * @return the number of bytes read (0 at end of file).
     */
    public static long pread(final int fd, final long address, final long count, final long offset) {
        final long n = LIBC.pread(fd, pointer(address), count, offset);
        if (n < 0) {
            throw new NativeException(
                    "pread", errno(), "fd=" + fd + ", " + range(address, count) + ", offset=" + offset);
        }
        return n;
    }

    /**
     * {@code pwrite(2)} from native memory.
     *
     * @return the number of bytes written.
     */
    public static long pwrite(final int fd, final long address, final long count, final long offset) {
        final long n = LIBC.pwrite(fd, pointer(address), count, offset);
        if (n < 0) {
            throw new NativeException(
                    "pwrite", errno(), "fd=" + fd + ", " + range(address, count) + ", offset=" + offset);
        }
        return n;
    }

    /** The JNR runtime of the bound libc, for code of this package that wraps native addresses. */
    static Runtime runtime() {
        return RUNTIME;
    }

    private static Pointer pointer(final long address) {
        return address == 0 ? null : Pointer.wrap(RUNTIME, address);
    }

    private static int errno() {
        return LastError.getLastError(RUNTIME);
    }

    private static String range(final long address, final long length) {
        return "address=0x" + Long.toHexString(address) + ", length=" + length;
    }
}
