package org.bess.nativeshim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AddressSpaceTest {
    private static final int PAGE = Native.pageSize();

    @TempDir
    Path dir;

    private static Pointer at(final long address) {
        return Pointer.wrap(Native.runtime(), address);
    }

    private Path fileWithPages(final int pages) throws IOException {
        final byte[] content = new byte[pages * PAGE];
        for (int p = 0; p < pages; p++) {
            for (int i = 0; i < PAGE; i++) {
                content[p * PAGE + i] = (byte) (p * 31 + i);
            }
        }
        final Path file = dir.resolve("pages.dat");
        Files.write(file, content);
        return file;
    }

    @Test
    void shouldReadTheBytesAtTheFileOffsetWhenMappingAtANonZeroOffset() throws IOException {
        final Path file = fileWithPages(8);
        try (MappedFile mf = MappedFile.open(file, false);
                AddressSpace space = AddressSpace.reserve(64L * PAGE)) {
            final long address = space.mapFile(10L * PAGE, 2L * PAGE, mf.fd(), 5L * PAGE, Protection.READ);
            assertThat(address).isEqualTo(space.baseAddress() + 10L * PAGE);
            final byte[] read = new byte[2 * PAGE];
            at(address).get(0, read, 0, read.length);
            final byte[] expected = new byte[2 * PAGE];
            System.arraycopy(Files.readAllBytes(file), 5 * PAGE, expected, 0, expected.length);
            assertThat(read).isEqualTo(expected);
        }
    }

    @Test
    void shouldShowWritesThroughOneVirtualAddressAtTheOtherWhenBothMapTheSamePage() throws IOException {
        final Path file = fileWithPages(4);
        try (MappedFile mf = MappedFile.open(file, true);
                AddressSpace space = AddressSpace.reserve(32L * PAGE)) {
            final long a = space.mapFile(3L * PAGE, PAGE, mf.fd(), 2L * PAGE, Protection.READ_WRITE);
            final long b = space.mapFile(20L * PAGE, PAGE, mf.fd(), 2L * PAGE, Protection.READ_WRITE);
            at(a).putLong(128, 0x1122_3344_5566_7788L);
            assertThat(at(b).getLong(128)).isEqualTo(0x1122_3344_5566_7788L);
            at(b).putInt(4000, 0xCAFE);
            assertThat(at(a).getInt(4000)).isEqualTo(0xCAFE);
            Native.msync(a, PAGE, Native.MS_SYNC);
        }
        final byte[] onDisk = Files.readAllBytes(file);
        assertThat(onDisk[2 * PAGE + 128]).isEqualTo((byte) 0x88);
    }

    @Test
    void shouldKillAChildWithSigsegvOnAWriteToAReadOnlyPageAndLeaveTheFileUnchanged() throws Exception {
        final Path file = fileWithPages(2);
        final byte[] before = Files.readAllBytes(file);

        final ChildJvm.Result result = ChildJvm.run(dir, StrayWriteProbe.class, file.toString());

        assertThat(result.output()).contains(StrayWriteProbe.WROTE_READ_WRITE).doesNotContain(StrayWriteProbe.SURVIVED);
        assertThat(result.exitCode())
                .as("child exit code; output:%n%s", result.output())
                .isNotZero();
        assertThat(result.crashReport()).contains("SIGSEGV").contains("SEGV_ACCERR");
        final Matcher m = Pattern.compile("read-only page at 0x([0-9a-f]+)").matcher(result.output());
        assertThat(m.find()).isTrue();
        assertThat(result.crashReport().toLowerCase(java.util.Locale.ROOT))
                .as("the fault address is the read-only page")
                .containsPattern("si_addr: 0x0*" + m.group(1));

        final byte[] after = Files.readAllBytes(file);
        assertThat(after[0]).as("the read-write page took the write").isEqualTo(StrayWriteProbe.PROBE_BYTE);
        assertThat(java.util.Arrays.copyOfRange(after, PAGE, 2 * PAGE))
                .as("the read-only page is unchanged on disk")
                .isEqualTo(java.util.Arrays.copyOfRange(before, PAGE, 2 * PAGE));
    }

    @Test
    void shouldNotRaiseResidentMemoryByMoreThanAFewMibWhenReserving64Gib() throws IOException {
        final long before = residentKib();
        try (AddressSpace space = AddressSpace.reserve(64L << 30)) {
            assertThat(space.length()).isEqualTo(64L << 30);
            final long after = residentKib();
            assertThat(after - before).as("VmRSS growth in KiB").isLessThan(4 * 1024);
        }
    }

    @Test
    void shouldReturnARangeToReservedWhenUnmapped() throws IOException {
        final Path file = fileWithPages(1);
        try (MappedFile mf = MappedFile.open(file, true);
                AddressSpace space = AddressSpace.reserve(8L * PAGE)) {
            final long address = space.mapFile(PAGE, PAGE, mf.fd(), 0, Protection.READ_WRITE);
            assertThat(mapsLine(address))
                    .contains("rw-s")
                    .contains(file.getFileName().toString());
            space.unmap(PAGE, PAGE);
            assertThat(mapsLine(address))
                    .contains("---p")
                    .doesNotContain(file.getFileName().toString());
            final long again = space.mapFile(PAGE, PAGE, mf.fd(), 0, Protection.READ);
            assertThat(at(again).getByte(1)).isEqualTo((byte) 1);
            assertThat(mapsLine(address)).contains("r--s");
        }
    }

    /** The /proc/self/maps line of the mapping that contains the address. */
    private static String mapsLine(final long address) throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.US_ASCII)) {
            final int dash = line.indexOf('-');
            final long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
            final long end = Long.parseUnsignedLong(line.substring(dash + 1, line.indexOf(' ')), 16);
            if (address >= start && address < end) {
                return line;
            }
        }
        throw new AssertionError("no mapping contains 0x" + Long.toHexString(address));
    }

    @Test
    void shouldNameEbadfWhenMappingABadDescriptor() {
        try (AddressSpace space = AddressSpace.reserve(8L * PAGE)) {
            assertThatThrownBy(() -> space.mapFile(0, PAGE, 987_654, 0, Protection.READ))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errnoName())
                            .isEqualTo("EBADF"))
                    .hasMessageContaining("mmap")
                    .hasMessageContaining("fd=987654");
        }
    }

    @Test
    void shouldNameEinvalWhenMappingPastTheEndOfTheReservation() throws IOException {
        final Path file = fileWithPages(2);
        try (MappedFile mf = MappedFile.open(file, false);
                AddressSpace space = AddressSpace.reserve(4L * PAGE)) {
            assertThatThrownBy(() -> space.mapFile(3L * PAGE, 2L * PAGE, mf.fd(), 0, Protection.READ))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errnoName())
                            .isEqualTo("EINVAL"))
                    .hasMessageContaining("outside the reservation");
            assertThatThrownBy(() -> space.protect(-PAGE, PAGE, Protection.READ))
                    .isInstanceOf(NativeException.class)
                    .hasMessageContaining("mprotect");
        }
    }

    @Test
    void shouldNameEinvalWhenMappingAtAnUnalignedAddress() throws IOException {
        final Path file = fileWithPages(2);
        try (MappedFile mf = MappedFile.open(file, false);
                AddressSpace space = AddressSpace.reserve(4L * PAGE)) {
            assertThatThrownBy(() -> space.mapFile(100, PAGE, mf.fd(), 0, Protection.READ))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errnoName())
                            .isEqualTo("EINVAL"));
            assertThatThrownBy(() -> space.mapFile(0, PAGE, mf.fd(), 100, Protection.READ))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errnoName())
                            .isEqualTo("EINVAL"))
                    .hasMessageContaining("offset=100");
            assertThatThrownBy(() -> space.protect(10, PAGE, Protection.READ))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errnoName())
                            .isEqualTo("EINVAL"));
        }
    }

    @Test
    void shouldRefuseUseAfterRelease() {
        final AddressSpace space = AddressSpace.reserve(4L * PAGE);
        space.release();
        space.release();
        assertThatThrownBy(() -> space.protect(0, PAGE, Protection.READ)).isInstanceOf(IllegalStateException.class);
    }

    static long residentKib() throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
