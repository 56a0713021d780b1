package org.bess.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * ({@code bessRestart}: analysis, redo of every record, undo, end-of-recovery checkpoint, close) or reads its log
 * segments sequentially with a plain {@code pread} loop of 1 MiB ({@code sequentialLogRead}). Both read files the copy
 * just wrote (warm in the page cache). The report pairs them (bess method against peer): the ratio is restart / read.
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
        }
        copy(live, golden);
    }

    /** Restores the crashed node and database at their original paths, outside the measurement. */
    @Setup(Level.Iteration)
    public void restore() throws IOException {
        BenchFiles.deleteTree(live);
        copy(golden, live);
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

    /** Restart: the engine starts on the crashed node, recovers it, and stops. */
    @Benchmark
    public void bessRestart(final Blackhole bh) throws IOException {
        try (Session s =
                BessServer.embedded(new Context().nodeDir(live.resolve("node")).cacheSizeBytes(64L << 20))) {
            bh.consume(BessServer.recoverySummary(s));
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
}
