package org.bess.nativeshim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every binding, end to end with real arguments, so that a mis-bound parameter shows up here and not in production. */
class NativeTest {
    private static final int PAGE = Native.pageSize();

    @TempDir
    Path dir;

    @Test
    void shouldReportThePageSize() {
        assertThat(PAGE).isEqualTo(4096);
    }

    @Test
    void shouldPassAllSixMmapArgumentsIncludingANonZeroOffset() throws IOException {
        final Path file = dir.resolve("six.dat");
        final byte[] content = new byte[3 * PAGE];
        content[2 * PAGE + 7] = 77;
        Files.write(file, content);
        try (MappedFile mf = MappedFile.open(file, false)) {
            final long address = Native.mmap(0, PAGE, Native.PROT_READ, Native.MAP_SHARED, mf.fd(), 2L * PAGE);
            try {
                assertThat(Pointer.wrap(Native.runtime(), address).getByte(7)).isEqualTo((byte) 77);
                Native.madvise(address, PAGE, Native.MADV_WILLNEED);
                Native.msync(address, PAGE, Native.MS_SYNC);
                Native.mprotect(address, PAGE, Native.PROT_NONE);
            } finally {
                Native.munmap(address, PAGE);
            }
        }
    }

    @Test
    void shouldRoundTripPwriteAndPreadAtAnOffset() throws IOException {
        try (MappedFile mf = MappedFile.create(dir.resolve("rw.dat"), 2L * PAGE, 0600)) {
            final long buffer = Native.mmap(
                    0, PAGE, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0);
            try {
                final Pointer p = Pointer.wrap(Native.runtime(), buffer);
                p.putLong(0, 0x0102_0304_0506_0708L);
                assertThat(Native.pwrite(mf.fd(), buffer, 8, PAGE + 16)).isEqualTo(8);
                mf.force();
                Native.fsync(mf.fd());
                p.putLong(0, 0);
                assertThat(Native.pread(mf.fd(), buffer, 8, PAGE + 16)).isEqualTo(8);
                assertThat(p.getLong(0)).isEqualTo(0x0102_0304_0506_0708L);
                assertThat(Native.pread(mf.fd(), buffer, 8, 10L * PAGE)).isZero();
            } finally {
                Native.munmap(buffer, PAGE);
            }
        }
        final byte[] onDisk = Files.readAllBytes(dir.resolve("rw.dat"));
        assertThat(onDisk[PAGE + 16]).isEqualTo((byte) 8);
    }

    @Test
    void shouldCreateFilesWithTheRequestedPermissionsWhateverTheUmask() throws IOException {
        try (MappedFile a = MappedFile.create(dir.resolve("a"), PAGE, 0600);
                MappedFile b = MappedFile.create(dir.resolve("b"), PAGE, 0660)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(a.path())))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(b.path())))
                    .isEqualTo("rw-rw----");
            assertThat(Files.size(a.path())).isEqualTo(PAGE);
        }
    }

    @Test
    void shouldGrowAndAllocateAFile() throws IOException {
        try (MappedFile mf = MappedFile.create(dir.resolve("grow"), PAGE, 0600)) {
            mf.length(5L * PAGE);
            mf.allocate();
            assertThat(Files.size(mf.path())).isEqualTo(5L * PAGE);
            assertThat(mf.length()).isEqualTo(5L * PAGE);
        }
    }

    @Test
    void shouldAdviseDontNeedOnARangeAndRefuseAnUnknownAdvice() throws IOException {
        try (MappedFile file = MappedFile.create(dir.resolve("advised"), 4 * PAGE, 0600)) {
            file.force();
            // a non-zero offset and length: a mis-bound argument would surface as EINVAL here
            Native.posixFadvise(file.fd(), PAGE, 2 * PAGE, Native.POSIX_FADV_DONTNEED);
            assertErrno(() -> Native.posixFadvise(file.fd(), 0, PAGE, 99), "posix_fadvise", "EINVAL");
        }
    }

    @Test
    void shouldRefuseToCreateAFileThatExists() throws IOException {
        Files.write(dir.resolve("exists"), new byte[1]);
        assertThatThrownBy(() -> MappedFile.create(dir.resolve("exists"), PAGE, 0600))
                .isInstanceOfSatisfying(
                        NativeException.class, e -> assertThat(e.errnoName()).isEqualTo("EEXIST"))
                .hasMessageContaining("exists");
    }

    @Test
    void shouldNameTheErrnoOfEveryFailingDescriptorCall() {
        final int bad = 987_654;
        assertErrno(() -> Native.fsync(bad), "fsync", "EBADF");
        assertErrno(() -> Native.fdatasync(bad), "fdatasync", "EBADF");
        assertErrno(() -> Native.ftruncate(bad, PAGE), "ftruncate", "EBADF");
        assertErrno(() -> Native.fchmod(bad, 0600), "fchmod", "EBADF");
        assertErrno(() -> Native.close(bad), "close", "EBADF");
        assertErrno(() -> Native.posixFallocate(bad, 0, PAGE), "posix_fallocate", "EBADF");
        assertErrno(() -> Native.posixFadvise(bad, 0, PAGE, Native.POSIX_FADV_DONTNEED), "posix_fadvise", "EBADF");
        assertErrno(() -> Native.pread(bad, 0, 8, 0), "pread", "EBADF");
        assertErrno(() -> Native.pwrite(bad, 0, 8, 0), "pwrite", "EBADF");
        assertErrno(() -> Native.open(dir.resolve("missing"), Native.O_RDONLY, 0), "open", "ENOENT");
        assertErrno(() -> Native.munmap(12345, PAGE), "munmap", "EINVAL");
        assertErrno(() -> Native.madvise(12345, PAGE, Native.MADV_WILLNEED), "madvise", "EINVAL");
        assertErrno(() -> Native.msync(12345, PAGE, Native.MS_SYNC), "msync", "EINVAL");
    }

    private static void assertErrno(final Runnable call, final String name, final String errno) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.call()).isEqualTo(name);
                    assertThat(e.errnoName()).isEqualTo(errno);
                })
                .hasMessageStartingWith(name + " failed: " + errno);
    }
}
