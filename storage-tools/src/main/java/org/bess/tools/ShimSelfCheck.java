package org.bess.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.nativeshim.AddressSpace;
import org.bess.nativeshim.MappedFile;
import org.bess.nativeshim.Native;
import org.bess.nativeshim.Protection;
import org.bess.nativeshim.StrayWriteProbe;

/**
 * The steps of the demo's shim self-check, each printing one line and throwing {@link CheckFailedException} when what
 * it shows does not hold. The order matters: the file and both frames must exist before the probe runs, and the file
 * is checked only after the probe has died.
 *
 * <p>Not thread safe; one use, then {@link #close()}.
 */
final class ShimSelfCheck implements AutoCloseable {
    /** The reservation: as large as a node's address space will be, to show that it costs no memory. */
    static final long RESERVATION_LENGTH = 64L << 30;

    private static final long FRAME_A_OFFSET = 8L << 30;
    private static final long FRAME_B_OFFSET = 40L << 30;
    private static final long MAX_RSS_GROWTH_KIB = 16 * 1024;
    private static final int PAGE_COUNT = 2;
    private static final int FILE_MODE = 0600;
    private static final int VALUE_OFFSET = 64;
    private static final long VALUE = 0x0BE5_5F00_D0CA_FE01L;
    private static final long PROBE_TIMEOUT_S = 60;
    private static final Pattern PROBE_ADDRESS = Pattern.compile("read-only page at 0x([0-9a-f]+)");
    private static final Pattern FAULT_ADDRESS = Pattern.compile("si_addr: 0x([0-9a-fA-F]+)");

    private final Path nodeDir;
    private final PrintStream out;
    private final int pageLength = Native.pageSize();
    private AddressSpace space;
    private MappedFile file;
    private UnsafeBuffer frameA;
    private UnsafeBuffer frameB;

    ShimSelfCheck(final Path nodeDir, final PrintStream out) {
        this.nodeDir = nodeDir;
        this.out = out;
    }

    /** Runs every step; returns normally only when all of them passed. */
    void run() throws IOException, InterruptedException {
        reserve();
        createFile();
        mapPageZeroTwice();
        shareThroughBothFrames();
        protectFrameB();
        final long pageOneCrc = crc32(Files.readAllBytes(file.path()), 1);
        runStrayWriteProbe();
        checkFile(pageOneCrc);
    }

    private void reserve() throws IOException {
        final long beforeKib = residentKib();
        space = AddressSpace.reserve(RESERVATION_LENGTH);
        final long afterKib = residentKib();
        step(
                "reserve",
                "%d GiB of address space at 0x%x: VmRSS %,d -> %,d KiB (%+,d KiB)",
                RESERVATION_LENGTH >> 30,
                space.baseAddress(),
                beforeKib,
                afterKib,
                afterKib - beforeKib);
        check(afterKib - beforeKib < MAX_RSS_GROWTH_KIB, "reserving address space cost resident memory");
    }

    private void createFile() throws IOException {
        file = MappedFile.create(nodeDir.resolve("frames.dat"), (long) PAGE_COUNT * pageLength, FILE_MODE);
        // page 1 gets a pattern, so that "unchanged" after the probe means more than "still zero"
        final byte[] pattern = new byte[pageLength];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i * 7 + 1);
        }
        try (FileChannel channel = FileChannel.open(file.path(), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(pattern), pageLength);
            channel.force(true);
        }
        final String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path()));
        step("create", "%s: %d pages of %d bytes, mode %s", file.path().getFileName(), PAGE_COUNT, pageLength, mode);
        check("rw-------".equals(mode), "the file was not created with mode 0600");
    }

    private void mapPageZeroTwice() {
        final long a = space.mapFile(FRAME_A_OFFSET, pageLength, file.fd(), 0, Protection.READ_WRITE);
        final long b = space.mapFile(FRAME_B_OFFSET, pageLength, file.fd(), 0, Protection.READ_WRITE);
        frameA = new UnsafeBuffer(a, pageLength);
        frameB = new UnsafeBuffer(b, pageLength);
        step(
                "map",
                "file page 0 at 0x%x (frame A) and at 0x%x (frame B), %d GiB apart",
                a,
                b,
                (FRAME_B_OFFSET - FRAME_A_OFFSET) >> 30);
    }

    private void shareThroughBothFrames() {
        frameA.putLongRelease(VALUE_OFFSET, VALUE); // pairs with getLongAcquire through frame B just below
        final long read = frameB.getLongAcquire(VALUE_OFFSET);
        step("share", "wrote 0x%016x through frame A, read 0x%016x through frame B", VALUE, read);
        check(read == VALUE, "the two frames do not share the file page");
        Native.msync(frameA.addressOffset(), pageLength, Native.MS_SYNC);
    }

    private void protectFrameB() throws IOException {
        space.protect(FRAME_B_OFFSET, pageLength, Protection.READ);
        final String permissions = mapsPermissions(frameB.addressOffset());
        step("protect", "frame B is read-only now (/proc/self/maps: %s), frame A read-write", permissions);
        check("r--s".equals(permissions), "mprotect did not make frame B read-only");
    }

    private void runStrayWriteProbe() throws IOException, InterruptedException {
        final Path errorFile = nodeDir.resolve("hs_err.log");
        final Path outputFile = nodeDir.resolve("probe.out");
        final List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + errorFile,
                "-cp",
                System.getProperty("java.class.path"),
                StrayWriteProbe.class.getName(),
                file.path().toString());
        final Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(outputFile.toFile())
                .start();
        final boolean exited;
        try {
            exited = process.waitFor(PROBE_TIMEOUT_S, TimeUnit.SECONDS);
        } finally {
            process.destroyForcibly(); // a no-op once it has exited; never leave a probe behind
        }
        check(exited, "the probe JVM did not finish in " + PROBE_TIMEOUT_S + " s");
        final String output = Files.readString(outputFile, StandardCharsets.UTF_8);
        check(output.contains(StrayWriteProbe.WROTE_READ_WRITE), "the probe did not make its permitted write");
        check(!output.contains(StrayWriteProbe.SURVIVED), "a write into a read-only page did not kill the probe");
        step(
                "probe",
                "a child JVM wrote page 0, then its read-only page 1: it died, %s",
                describeExit(process.exitValue()));
        check(process.exitValue() != 0, "the probe exited normally");
        final String report = Files.exists(errorFile) ? Files.readString(errorFile, StandardCharsets.UTF_8) : "";
        check(report.contains("SIGSEGV"), "the probe's crash report does not name SIGSEGV: " + errorFile);
        step(
                "crash",
                "%s names SIGSEGV%s%s",
                errorFile.getFileName(),
                report.contains("SEGV_ACCERR") ? " (SEGV_ACCERR)" : "",
                faultAddress(output, report));
    }

    private void checkFile(final long pageOneCrcBefore) throws IOException {
        final byte[] content = Files.readAllBytes(file.path());
        final long pageOneCrcAfter = crc32(content, 1);
        final ByteBuffer pageZero = ByteBuffer.wrap(content, 0, pageLength).order(ByteOrder.nativeOrder());
        final String pageOne = pageOneCrcAfter == pageOneCrcBefore
                ? String.format(Locale.ROOT, "unchanged (crc32 0x%08x)", pageOneCrcAfter)
                : String.format(Locale.ROOT, "CHANGED (crc32 0x%08x, was 0x%08x)", pageOneCrcAfter, pageOneCrcBefore);
        step(
                "file",
                "page 0 took the permitted write (0x%02x, through frame B: 0x%02x); page 1 %s",
                content[0],
                frameB.getByteVolatile(0),
                pageOne);
        check(content[0] == StrayWriteProbe.PROBE_BYTE, "the probe's permitted write to page 0 is not in the file");
        check(pageZero.getLong(VALUE_OFFSET) == VALUE, "the write through frame A is not in the file");
        check(pageOneCrcAfter == pageOneCrcBefore, "file page 1 changed: a stray write reached the file");
    }

    @Override
    public void close() {
        try {
            if (space != null) {
                space.release();
            }
        } finally {
            if (file != null) {
                file.close();
            }
        }
    }

    private void step(final String name, final String format, final Object... args) {
        out.printf(Locale.ROOT, "  %-8s %s%n", name, String.format(Locale.ROOT, format, args));
    }

    private static void check(final boolean condition, final String reason) {
        if (!condition) {
            throw new CheckFailedException(reason);
        }
    }

    private long crc32(final byte[] content, final int pageIndex) {
        final CRC32 crc = new CRC32();
        crc.update(content, pageIndex * pageLength, pageLength);
        return crc.getValue();
    }

    private static String describeExit(final int exitCode) {
        if (exitCode == 1) {
            // HotSpot's fatal-error handler exits with 1 once hs_err is written when core dumps are off
            return "exit code 1 (the JVM's crash handler)";
        }
        if (exitCode > 128) {
            final int signal = exitCode - 128;
            return "exit code " + exitCode + " (signal " + signal + ")";
        }
        return "exit code " + exitCode;
    }

    /** " at 0x...: the read-only page" when the report's fault address is the one the probe wrote to. */
    private static String faultAddress(final String probeOutput, final String report) {
        final Matcher probe = PROBE_ADDRESS.matcher(probeOutput);
        final Matcher fault = FAULT_ADDRESS.matcher(report);
        if (!probe.find() || !fault.find()) {
            return "";
        }
        final long faultAddress = Long.parseUnsignedLong(fault.group(1), 16);
        final boolean same = faultAddress == Long.parseUnsignedLong(probe.group(1), 16);
        return String.format(Locale.ROOT, " at 0x%x%s", faultAddress, same ? ", the read-only page" : "");
    }

    /** The permissions column of the {@code /proc/self/maps} line that contains the address, e.g. {@code r--s}. */
    private static String mapsPermissions(final long address) throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.US_ASCII)) {
            final int dash = line.indexOf('-');
            final int space = line.indexOf(' ');
            final long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
            final long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
            if (Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0) {
                return line.substring(space + 1, line.indexOf(' ', space + 1));
            }
        }
        return "unmapped";
    }

    /** This process's resident set size, {@code VmRSS} in {@code /proc/self/status}. */
    private static long residentKib() throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS line in /proc/self/status");
    }

    /** A step showed something other than what it should; the message is the reason for the report. */
    static final class CheckFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CheckFailedException(final String reason) {
            super(reason);
        }
    }
}
