package org.bess.nativeshim;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;

/**
 * The raw libc functions, as JNR-FFI binds them. Package-private: callers go through {@link Native}, which checks
 * every return code.
 *
 * <p>Every function whose first argument is an address takes it as a {@link Pointer}, never as a {@code long}: with
 * all-primitive signatures, jffi 1.3.13's fast invoker passes a garbage sixth argument (mmap then fails with EINVAL).
 */
final class LibC {
    private LibC() {}

    /** The bound functions. Public only because JNR-FFI defines its implementation in another class loader. */
    @SaveError
    public interface Calls {
        long mmap(Pointer address, @size_t long length, int prot, int flags, int fd, @off_t long offset);

        int munmap(Pointer address, @size_t long length);

        int mprotect(Pointer address, @size_t long length, int prot);

        int madvise(Pointer address, @size_t long length, int advice);

        int msync(Pointer address, @size_t long length, int flags);

        int open(@In String path, int flags, int mode);

        int close(int fd);

        int fsync(int fd);

        int fdatasync(int fd);

        int ftruncate(int fd, @off_t long length);

        int fchmod(int fd, int mode);

        /** Returns 0 or an error number; does not set errno. */
        int posix_fallocate(int fd, @off_t long offset, @off_t long length);

        /** Returns 0 or an error number; does not set errno. */
        int posix_fadvise(int fd, @off_t long offset, @off_t long length, int advice);

        long pread(int fd, Pointer buffer, @size_t long count, @off_t long offset);

        long pwrite(int fd, Pointer buffer, @size_t long count, @off_t long offset);

        long sysconf(int name);

        int getpid();
    }
}
