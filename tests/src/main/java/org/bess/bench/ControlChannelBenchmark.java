package org.bess.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.wire.ControlConnection;
import org.bess.client.wire.ControlProtocol;
import org.bess.client.wire.CounterValue;
import org.bess.server.daemon.CountersFile;
import org.bess.server.daemon.NodeLock;
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

/**
 * The node server's control channel from a client process: a {@code PING} and a {@code STAT} round trip over the Unix
 * domain socket to a node server running in a child JVM, against reading the same counters straight from the
 * counters file (what {@code bess-admin stat} does, no request).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
@State(Scope.Benchmark)
public class ControlChannelBenchmark {
    private Path nodeDir;
    private Process server;
    private ControlConnection connection;
    private CountersFile counters;
    private long payload;

    /** Starts a node server in a child JVM (16 MiB cache) and connects to it. */
    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException {
        nodeDir = Files.createTempDirectory("bess-bench-control-");
        Files.writeString(nodeDir.resolve("bess.conf"), "cache.size=16m\n");
        final List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--add-opens",
                "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens",
                "java.base/java.nio=ALL-UNNAMED",
                "--add-opens",
                "java.base/sun.nio.ch=ALL-UNNAMED",
                "-Xmx128m",
                "-XX:-UsePerfData",
                "-cp",
                System.getProperty("java.class.path"),
                "org.bess.server.daemon.NodeServerMain",
                "--node-dir",
                nodeDir.toString()));
        server = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(nodeDir.resolve("server.out").toFile())
                .start();
        try {
            // the ready line comes after the socket listens (its file exists from bind, a moment before listen)
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long sleep = 1;
            while (!Files.readString(nodeDir.resolve("server.out")).contains("bess server: ready")) {
                if (!server.isAlive() || System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException(
                            "node server did not start: " + Files.readString(nodeDir.resolve("server.out")));
                }
                Thread.sleep(sleep);
                sleep = Math.min(100, sleep * 2);
            }
            connection = ControlConnection.open(nodeDir, ControlProtocol.MODE_CONTROL);
            counters = CountersFile.openReadOnly(Path.of(NodeLock.peek(nodeDir).getProperty("counters")));
        } catch (final IOException | InterruptedException | RuntimeException e) {
            // JMH skips the tear-down of a failed set-up: stop the child here, never leave it running
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Stops the server with SIGTERM and removes its node directory. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException, InterruptedException {
        if (counters != null) {
            counters.close();
        }
        if (connection != null) {
            connection.close();
        }
        server.destroy();
        if (!server.waitFor(60, TimeUnit.SECONDS)) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        final String shm = NodeLock.peek(nodeDir).getProperty("shm");
        if (shm != null) {
            BenchFiles.deleteTree(Path.of(shm)); // the counters file stays after a stop, for bess-admin stat
        }
        BenchFiles.deleteTree(nodeDir);
    }

    /** A {@code PING} round trip. */
    @Benchmark
    public long ping() {
        return connection.ping(payload++);
    }

    /** A {@code STAT} round trip (20 counters). */
    @Benchmark
    public List<CounterValue> stat() {
        return connection.stat();
    }

    /** The same counters read from the mapped counters file, no request. */
    @Benchmark
    public List<CounterValue> countersFromFile() {
        return counters.read();
    }
}
