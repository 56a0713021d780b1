package org.bess.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.nativeshim.AddressSpace;
import org.bess.nativeshim.MappedFile;
import org.bess.nativeshim.Native;
import org.bess.nativeshim.Protection;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The prices the frame design is built on (DESIGN.md §4): what it costs to change the protection of one mapped page,
 * to map one file page again at a fixed address, and to check a frame's state in software instead. The first two are
 * system calls that change page tables (and, with several threads, shoot down TLBs); the third is an array read and a
 * compare, which is why the hot path checks frame states in software and keeps {@code mprotect} for turning stray
 * writes into loud failures.
 *
 * <p>The page under {@code mprotect} is touched once at setup, so its page-table entry exists, as for a frame in use.
 * The remapped page is not touched: a remap drops the entry, and a first touch would measure a page fault too.
 *
 * <p>Two I/O primitives price the alternatives to mapping: a 4 KiB {@code pread} of a random page of a 64 MiB file in
 * the page cache (what a read-through buffer pool pays per miss of its own cache), and a 4 KiB {@code pwrite} followed
 * by {@code fdatasync} (the floor of any durable commit). Their files live under {@code bess.bench.dir} (default: the
 * working directory), a real file system rather than a {@code tmpfs} {@code /tmp} where a sync costs nothing.
 *
 * <p>One state per thread; the files live in temporary directories deleted at teardown.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        // appended, not replacing: these are requirements of the code under test (Agrona 2.x, LmdbJava), and a
        // -jvmArgs given on the command line for tuning must not drop them
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
@State(Scope.Thread)
public class CalibrationBenchmark {
    /** A frame that is not mapped. */
    static final byte FRAME_UNMAPPED = 0;
    /** A frame mapped for reading. */
    static final byte FRAME_READ = 1;
    /** A frame mapped for reading and writing. */
    static final byte FRAME_WRITE = 2;

    private static final int FRAME_COUNT = 1 << 16;
    private static final int FRAME_MASK = FRAME_COUNT - 1;
    private static final long RESERVATION_LENGTH = 1L << 30;
    private static final long PROTECT_OFFSET = 0;
    private static final long REMAP_OFFSET = 256L << 20;
    private static final long SEED = 0x5EED_BE55L;
    /** The page length of the I/O primitives, whatever the virtual-memory page size. */
    static final int IO_PAGE_LENGTH = 4096;

    private Path dir;
    private MappedFile file;
    private AddressSpace space;
    private int pageLength;
    private boolean readOnly;
    private byte[] frameStates;
    private int frameIndex;

    /**
     * Creates a two-page file, maps page 0 read-write (touched) and page 1 (untouched) in a reservation, and fills the
     * frame-state table with a seeded mix of states.
     *
     * @throws IOException when the temporary directory cannot be created.
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        pageLength = Native.pageSize();
        dir = Files.createTempDirectory("bess-bench-");
        file = MappedFile.create(dir.resolve("calibration.dat"), 2L * pageLength, 0600);
        space = AddressSpace.reserve(RESERVATION_LENGTH);
        final long protectedPage = space.mapFile(PROTECT_OFFSET, pageLength, file.fd(), 0, Protection.READ_WRITE);
        new UnsafeBuffer(protectedPage, pageLength).putLongVolatile(0, 1L); // pre-touch: the entry exists
        space.mapFile(REMAP_OFFSET, pageLength, file.fd(), pageLength, Protection.READ_WRITE);

        frameStates = new byte[FRAME_COUNT];
        final SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < FRAME_COUNT; i++) {
            frameStates[i] = (byte) random.nextInt(FRAME_WRITE + 1);
        }
    }

    /**
     * Releases the reservation and deletes the file.
     *
     * @throws IOException when the file or directory cannot be deleted.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        space.release();
        file.close();
        Files.deleteIfExists(file.path());
        Files.deleteIfExists(dir);
    }

    /** One {@code mprotect(2)} of one mapped page, alternating between read-write and read-only. */
    @Benchmark
    public void mprotectOnePage() {
        readOnly = !readOnly;
        space.protect(PROTECT_OFFSET, pageLength, readOnly ? Protection.READ : Protection.READ_WRITE);
    }

    /**
     * One {@code mmap(2)} with {@code MAP_FIXED} of the same file page at the same address, replacing the mapping.
     *
     * @return the address of the mapping, so that the call cannot be eliminated.
     */
    @Benchmark
    public long remapOnePageFixed() {
        return space.mapFile(REMAP_OFFSET, pageLength, file.fd(), pageLength, Protection.READ_WRITE);
    }

    /**
     * The software check that replaces a protection fault: read a frame's state and compare it with the one required.
     *
     * @param blackhole consumes the verdict.
     */
    @Benchmark
    public void checkFrameState(final Blackhole blackhole) {
        blackhole.consume(frameStates[frameIndex++ & FRAME_MASK] >= FRAME_READ);
    }

    /**
     * One 4 KiB {@code pread(2)} at a random page of a 64 MiB file whose pages are all in the page cache.
     *
     * @param file the file and the buffer read into.
     * @return the bytes read, so that the call cannot be eliminated.
     * @throws IOException when the read fails.
     */
    @Benchmark
    public int preadOnePage(final PageCacheFile file) throws IOException {
        file.page.clear();
        return file.channel.read(file.page, (long) file.random.nextInt(PageCacheFile.PAGE_COUNT) * IO_PAGE_LENGTH);
    }

    /**
     * One 4 KiB {@code pwrite(2)} at offset 0 followed by {@code fdatasync(2)} of the file.
     *
     * @param file the file and the buffer written.
     * @return the bytes written, so that the call cannot be eliminated.
     * @throws IOException when the write or the sync fails.
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int fdatasyncOnePage(final SyncFile file) throws IOException {
        file.page.clear();
        final int written = file.channel.write(file.page, 0);
        file.channel.force(false);
        return written;
    }

    private static Path ioDirectory() throws IOException {
        return Files.createTempDirectory(
                Path.of(System.getProperty("bess.bench.dir", ".")).toAbsolutePath(), "calibration-");
    }

    private static void deleteIoDirectory(final FileChannel channel, final Path dir, final Path file)
            throws IOException {
        channel.close();
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    /** A 64 MiB file written once at setup, so that its pages are in the page cache, and a direct page buffer. */
    @State(Scope.Thread)
    public static class PageCacheFile {
        /** Pages of the file: 64 MiB of 4 KiB pages. */
        static final int PAGE_COUNT = (64 << 20) / IO_PAGE_LENGTH;

        final SplittableRandom random = new SplittableRandom(SEED);
        final ByteBuffer page = ByteBuffer.allocateDirect(IO_PAGE_LENGTH);
        FileChannel channel;
        private Path dir;
        private Path path;

        /**
         * Writes the file page by page (which leaves every page in the page cache) and reads it back once.
         *
         * @throws IOException when the file cannot be created or written.
         */
        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = ioDirectory();
            path = dir.resolve("pread.dat");
            channel = FileChannel.open(
                    path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            for (int i = 0; i < PAGE_COUNT; i++) {
                page.clear();
                page.putLong(0, i);
                channel.write(page, (long) i * IO_PAGE_LENGTH);
            }
            for (int i = 0; i < PAGE_COUNT; i++) {
                page.clear();
                channel.read(page, (long) i * IO_PAGE_LENGTH);
            }
        }

        /**
         * Closes and deletes the file.
         *
         * @throws IOException when the file cannot be deleted.
         */
        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            deleteIoDirectory(channel, dir, path);
        }
    }

    /** A one-page file rewritten and synced by every operation, and a direct page buffer. */
    @State(Scope.Thread)
    public static class SyncFile {
        final ByteBuffer page = ByteBuffer.allocateDirect(IO_PAGE_LENGTH);
        FileChannel channel;
        private Path dir;
        private Path path;

        /**
         * Creates the file with one synced page, so that the benchmark overwrites allocated blocks.
         *
         * @throws IOException when the file cannot be created or written.
         */
        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = ioDirectory();
            path = dir.resolve("fdatasync.dat");
            channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            channel.write(page, 0);
            channel.force(true);
        }

        /**
         * Closes and deletes the file.
         *
         * @throws IOException when the file cannot be deleted.
         */
        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            deleteIoDirectory(channel, dir, path);
        }
    }
}
