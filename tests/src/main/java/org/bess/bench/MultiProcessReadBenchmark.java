package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.remote.SessionEndpoint;
import org.openjdk.jmh.annotations.AuxCounters;
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

/**
 * Issue 6's throughput goal, "2 client processes at least 1.7x the throughput of one on read-only work": one engine
 * and its session endpoint in the benchmark JVM, {@code processes} separate client JVMs ({@link ReadClientMain}, the
 * {@code java} of this process, this classpath) connected in shared-memory mode, each running read-only traversals
 * ({@code hops} references followed per transaction over {@code count} objects linked in one random cycle) as fast as
 * it can. The benchmark JVM only watches: each invocation sleeps {@value #WINDOW_MILLIS} ms and adds the reads the
 * clients published meanwhile to the {@code reads} counter, so JMH reports {@code :reads} as the clients' aggregate
 * reads per second (the primary score, windows per second, means nothing). The clients run from trial setup to trial
 * teardown, where they are stopped by pid. Compare {@code processes=2} with {@code processes=1}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
public class MultiProcessReadBenchmark {
    /** System property: extra JVM options of the client processes ({@code {slot}} becomes the client's number). */
    public static final String CLIENT_JVM_ARGS_PROP_NAME = "bess.bench.clientJvmArgs";

    /** The observation window of one invocation. */
    static final long WINDOW_MILLIS = 20;
    /** How long a client may take to start, connect and finish its first traversal. */
    static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(120);

    /** The engine, the endpoint, the store and the client processes. */
    @State(Scope.Benchmark)
    public static class Clients {
        /** Client processes. */
        @Param({"1", "2"})
        public int processes;

        /** Objects in the store. */
        @Param("4096")
        public int count;

        /** References followed per read transaction. */
        @Param("256")
        public int hops;

        Path dir;
        BessServer server;
        SessionEndpoint endpoint;
        MappedByteBuffer counter;
        final List<Process> children = new ArrayList<>();

        /** Starts the engine and endpoint, loads the store, starts the clients and waits for their first reads. */
        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = StorageBenchmarkSupport.newDirectory("bess-procs-");
            final Path node = dir.resolve("node");
            server = BessServer.start(new Context().nodeDir(node).cacheSizeBytes(128L << 20));
            endpoint = SessionEndpoint.start(server, node.resolve(SessionEndpoint.SOCKET_NAME));
            final Path root = dir.resolve("objects.root");
            final Path refs = dir.resolve("refs.bin");
            load(root, refs);
            final Path counterFile = dir.resolve("counters.bin");
            try (FileChannel ch = FileChannel.open(
                    counterFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                counter = ch.map(FileChannel.MapMode.READ_WRITE, 0, (long) processes * ReadClientMain.SLOT_BYTES);
            }
            for (int i = 0; i < processes; i++) {
                children.add(startClient(node, root, refs, counterFile, i));
            }
            awaitFirstReads();
        }

        private void load(final Path root, final Path refsFile) throws IOException {
            final int[] next = ClientModeSupport.cycle(count);
            final ByteBuffer words = ByteBuffer.allocate(count * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            try (Session loader = server.openSession()) {
                final Database d = loader.createDatabase(root, 16L << 20);
                final TypeId t = d.defineType("Node", 64, new int[0]);
                try (Transaction w = loader.begin()) {
                    final BessFile f = w.createFile(d, "nodes");
                    for (int i = 0; i < count; i++) {
                        final ObjectRef o = w.allocate(f, t);
                        o.putLong(0, i);
                        o.putInt(8, next[i]);
                        words.putLong(o.ref().word());
                    }
                    w.commit();
                }
            }
            Files.write(refsFile, words.array());
        }

        private Process startClient(
                final Path node, final Path root, final Path refs, final Path counterFile, final int slot)
                throws IOException {
            final String java = ProcessHandle.current()
                    .info()
                    .command()
                    .orElseThrow(() -> new IllegalStateException("the java command of this process is unknown"));
            final List<String> command = new ArrayList<>(List.of(java));
            // extra client JVM options, e.g. a flight recording:
            // -Dbess.bench.clientJvmArgs="-XX:StartFlightRecording=..."
            final String extra =
                    System.getProperty(CLIENT_JVM_ARGS_PROP_NAME, "").trim();
            if (!extra.isEmpty()) {
                command.addAll(
                        List.of(extra.replace("{slot}", Integer.toString(slot)).split("\\s+")));
            }
            command.addAll(List.of(
                    "-XX:-CreateCoredumpOnCrash",
                    "-XX:ErrorFile=" + dir.resolve("client-" + slot + ".hs_err.log"),
                    "--add-opens",
                    "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/java.nio=ALL-UNNAMED",
                    "--add-opens",
                    "java.base/sun.nio.ch=ALL-UNNAMED",
                    "-cp",
                    System.getProperty("java.class.path"),
                    ReadClientMain.class.getName(),
                    node.toString(),
                    root.toString(),
                    refs.toString(),
                    counterFile.toString(),
                    Integer.toString(slot),
                    Integer.toString(hops)));
            return new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("client-" + slot + ".out").toFile())
                    .start();
        }

        private void awaitFirstReads() {
            final long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
            long pause = TimeUnit.MILLISECONDS.toNanos(1);
            for (int i = 0; i < processes; i++) {
                while (read(i) == 0) {
                    final Process p = children.get(i);
                    if (!p.isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException("client " + i + " (pid " + p.pid() + ") "
                                + (p.isAlive()
                                        ? "read nothing in " + START_TIMEOUT_NANOS / 1_000_000_000 + " s"
                                        : "exited with " + p.exitValue())
                                + ": " + output(i));
                    }
                    LockSupport.parkNanos(pause);
                    pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(100));
                }
            }
        }

        long read(final int slot) {
            return (long) ReadClientMain.LONGS.getAcquire(counter, slot * ReadClientMain.SLOT_BYTES);
        }

        long total() {
            long sum = 0;
            for (int i = 0; i < processes; i++) {
                sum += read(i);
            }
            return sum;
        }

        private String output(final int slot) {
            try {
                final Path out = dir.resolve("client-" + slot + ".out");
                return Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "(no output)";
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Checks that every client still runs (a client that died would make the score a lie). */
        @TearDown(Level.Iteration)
        public void checkAlive() {
            for (int i = 0; i < children.size(); i++) {
                if (!children.get(i).isAlive()) {
                    throw new IllegalStateException("client " + i + " exited: " + output(i));
                }
            }
        }

        /** Stops the clients by pid, then the endpoint and the engine, and deletes the store. */
        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            try {
                for (final Process p : children) {
                    ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroy);
                }
                for (final Process p : children) {
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        p.waitFor(10, TimeUnit.SECONDS);
                    }
                }
                children.clear();
            } finally {
                try {
                    endpoint.close();
                } finally {
                    server.close();
                    StorageBenchmarkSupport.deleteTree(dir);
                }
            }
        }
    }

    /** The reads the clients published, per second of observation. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Reads {
        /** Objects read by all clients (JMH reports it per second). */
        public long reads;

        /** Clears the count at the start of each iteration. */
        @Setup(Level.Iteration)
        public void clear() {
            reads = 0;
        }
    }

    /**
     * Watches the clients for one window and counts the reads they published meanwhile.
     *
     * @return the clients' total reads so far.
     */
    @Benchmark
    public long bessClientReads(final Clients c, final Reads r) throws InterruptedException {
        final long before = c.total();
        Thread.sleep(WINDOW_MILLIS);
        final long after = c.total();
        r.reads += after - before;
        return after;
    }
}
