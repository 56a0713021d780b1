package org.bess.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.agrona.IoUtil;
import org.bess.client.Session;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Restart time against the time to read the same log (the goal: restart at most twice the read). A child JVM
 * ({@link RestartLogMain}) commits small-object transactions until the log holds {@code logMiB} MiB since the last
 * checkpoint and halts; each iteration restores that crashed node and then either starts the engine on it
 * ({@code bessRestart}: the log's open scan with analysis, redo of every record, undo, the end-of-recovery checkpoint
 * that writes the redone pages back and forces them; the engine is then ready, and is closed after the measurement) or
 * reads its log segments sequentially ({@code sequentialLogRead}: a plain {@code pread} loop of 1 MiB, the goal's
 * floor; {@code sequentialLogMap}: every segment mapped and every 8 bytes read, the cheapest way to see each byte).
 * All three read the same log bytes, from files the restore just wrote: warm in the page cache, or (param {@code
 * cache=cold}) dropped from it first, as after a power loss. The report pairs them (bess method against peer): the
 * ratio is restart / read.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
@State(Scope.Benchmark)
public class RestartBenchmark {
    /** MiB of log to recover. */
    @Param("64")
    public int logMiB;

    /**
     * {@code warm}: the restored files stay in the kernel's page cache (a process crash); {@code cold}: they are
     * dropped from it before each iteration ({@code fdatasync} + {@code posix_fadvise(DONTNEED)} on these files only),
     * as after a power loss, so restart and the sequential read both read the log from the device.
     */
    @Param({"warm", "cold"})
    public String cache;

    private Path dir;
    /** Where the log writer ran: the log names the database by these absolute paths, so restarts run here. */
    private Path live;
    /** The crashed node and database as the writer left them. */
    private Path golden;

    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);

    /** Writes the log in a child JVM that halts, and keeps a copy of the crashed node and database. */
    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException {
        dir = BenchFiles.tempDir("bess-restart-");
        live = dir.resolve("live");
        golden = dir.resolve("golden");
        Files.createDirectories(live.resolve("db"));
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens",
                "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens",
                "java.base/java.nio=ALL-UNNAMED",
                "--add-opens",
                "java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                RestartLogMain.class.getName(),
                live.resolve("node").toString(),
                live.resolve("db").resolve("r.root").toString(),
                Integer.toString(logMiB)));
        final Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("writer.out").toFile())
                .start();
        try {
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(
                        "the log writer failed: " + Files.readString(dir.resolve("writer.out")));
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            // the writer halts, so its cache directory (named as Context.cacheDir names it) stays behind
            BenchFiles.deleteTree(Path.of("/dev/shm")
                    .resolve("bess-"
                            + Integer.toHexString(live.resolve("node")
                                    .toAbsolutePath()
                                    .normalize()
                                    .hashCode())
                            + "-" + p.pid()));
        }
        copy(live, golden);
    }

    /** Restores the crashed node and database at their original paths, outside the measurement. */
    @Setup(Level.Iteration)
    public void restore() throws IOException {
        BenchFiles.deleteTree(live);
        copy(golden, live);
        if ("cold".equals(cache)) {
            org.bess.bench.oo7.Oo7Files.dropPageCache(live);
        }
    }

    private static void copy(final Path from, final Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (final Path p : (Iterable<Path>) files.sorted(Comparator.naturalOrder())::iterator) {
                final Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Deletes everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        BenchFiles.deleteTree(dir);
    }

    /** The engine a restart started: closed after the measurement (a clean stop is not part of restart). */
    private Session restarted;

    /** Restart: the engine starts on the crashed node and recovers it; it is ready when this returns. */
    @Benchmark
    public void bessRestart(final Blackhole bh) {
        // one invocation per iteration (single shot); an engine still open would hold the node
        closeRestarted();
        final long cpu0 = CPU_FILE == null ? 0 : THREADS.getCurrentThreadCpuTime();
        final long process0 = CPU_FILE == null ? 0 : PROCESS.getProcessCpuTime();
        restarted =
                BessServer.embedded(new Context().nodeDir(live.resolve("node")).cacheSizeBytes(64L << 20));
        bh.consume(BessServer.recoverySummary(restarted));
        if (CPU_FILE != null) {
            recordCpu(
                    THREADS.getCurrentThreadCpuTime() - cpu0,
                    PROCESS.getProcessCpuTime() - process0,
                    BessServer.recoverySummary(restarted));
        }
    }

    /**
     * Where {@code bessRestart} appends the restarting thread's CPU time, the whole process's (the restart's helper
     * threads: redo's applier, the frame population; also the JIT's, 10 ms granularity) in ms, and the engine's
     * summary, one line per restart (system property {@code bess.bench.restartCpu}; unset: nothing is recorded): CPU
     * time is the steadier number on a machine shared with other work, and on two cores the restart's wall is about
     * the larger of the restarting thread's CPU and the helpers'.
     */
    private static final String CPU_FILE = System.getProperty("bess.bench.restartCpu");

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private static final com.sun.management.OperatingSystemMXBean PROCESS = (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private static void recordCpu(final long nanos, final long processNanos, final Object summary) {
        try {
            Files.writeString(
                    Path.of(CPU_FILE),
                    String.format(
                            java.util.Locale.ROOT,
                            "cpu_ms=%.1f process_cpu_ms=%.1f %s%n",
                            nanos / 1e6,
                            processNanos / 1e6,
                            summary),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Stops the engine the restart started, outside the measurement. */
    @TearDown(Level.Iteration)
    public void closeRestarted() {
        if (restarted != null) {
            restarted.close();
            restarted = null;
        }
    }

    /** The floor: every log segment read from start to end with {@code pread} into a 1 MiB buffer. */
    @Benchmark
    public long sequentialLogRead() throws IOException {
        long total = 0;
        try (Stream<Path> files = Files.list(live.resolve("node").resolve("log"))) {
            for (final Path p : (Iterable<Path>) files.sorted()::iterator) {
                if (!p.getFileName().toString().startsWith("log-")) {
                    continue;
                }
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    long position = 0;
                    while (true) {
                        buffer.clear();
                        final int n = ch.read(buffer, position);
                        if (n <= 0) {
                            break;
                        }
                        position += n;
                        total += buffer.get(0);
                    }
                }
            }
        }
        return total;
    }

    /** Every log segment mapped read-only and read 8 bytes at a time from start to end. */
    @Benchmark
    public long sequentialLogMap() throws IOException {
        long total = 0;
        try (Stream<Path> files = Files.list(live.resolve("node").resolve("log"))) {
            for (final Path p : (Iterable<Path>) files.sorted()::iterator) {
                if (!p.getFileName().toString().startsWith("log-")) {
                    continue;
                }
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    final MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
                    final LongBuffer longs = m.order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
                    while (longs.hasRemaining()) {
                        total += longs.get();
                    }
                    IoUtil.unmap(m);
                }
            }
        }
        return total;
    }
}
