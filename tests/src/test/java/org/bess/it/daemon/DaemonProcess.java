package org.bess.it.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.bess.server.daemon.NodeServerMain;

/**
 * A node server in a child JVM ({@code org.bess.server.daemon.NodeServerMain} on the test class path), for the daemon
 * system tests. Every process started is stopped by its own handle (never by name).
 */
final class DaemonProcess implements AutoCloseable {
    static final String JAVA = ProcessHandle.current().info().command().orElse("java");
    static final List<String> OPENS = List.of(
            "--add-opens",
            "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens",
            "java.base/java.nio=ALL-UNNAMED",
            "--add-opens",
            "java.base/sun.nio.ch=ALL-UNNAMED");
    private static int started;

    final Path nodeDir;
    final Process process;
    final Path output;

    private DaemonProcess(final Path nodeDir, final Process process, final Path output) {
        this.nodeDir = nodeDir;
        this.process = process;
        this.output = output;
    }

    /** Starts a server on {@code nodeDir} (its config written first when given) and waits until it is ready. */
    static DaemonProcess start(final Path nodeDir, final String config) throws IOException, InterruptedException {
        final DaemonProcess d = launch(nodeDir, config);
        try {
            await(() -> d.output().contains("bess server: ready") || !d.process.isAlive(), 60_000, "server ready");
        } catch (final AssertionError | InterruptedException e) {
            d.close(); // never leave a child behind
            throw e;
        }
        if (!d.process.isAlive()) {
            throw new AssertionError("server exited with " + d.process.exitValue() + ":\n" + d.output());
        }
        return d;
    }

    /** Starts a server without waiting. */
    static DaemonProcess launch(final Path nodeDir, final String config) throws IOException {
        Files.createDirectories(nodeDir);
        if (config != null) {
            Files.writeString(nodeDir.resolve("bess.conf"), config, StandardCharsets.UTF_8);
        }
        final Path out = nodeDir.resolveSibling(nodeDir.getFileName() + "-server-" + (++started) + ".out");
        final List<String> command = new ArrayList<>();
        command.add(JAVA);
        command.addAll(OPENS);
        command.addAll(List.of(
                "-Xmx128m",
                "-XX:-CreateCoredumpOnCrash",
                "-XX:-UsePerfData",
                "-cp",
                System.getProperty("java.class.path"),
                NodeServerMain.class.getName(),
                "--node-dir",
                nodeDir.toString()));
        final Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        return new DaemonProcess(nodeDir, p, out);
    }

    long pid() {
        return process.pid();
    }

    String output() {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (final IOException e) {
            return "<unreadable: " + e + ">";
        }
    }

    String daemonLog() {
        try {
            final Path log = nodeDir.resolve(NodeServerMain.LOG_DIR).resolve(NodeServerMain.LOG_FILE);
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (final IOException e) {
            return "<unreadable: " + e + ">";
        }
    }

    /** SIGTERM, then the exit code (bounded wait). */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("server did not stop within 60 s of SIGTERM:\n" + daemonLog());
        }
        return process.exitValue();
    }

    /** SIGKILL, then the exit code. */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Removes the shared-memory directory a server of {@code nodeDir} used (its counters file outlives it). */
    static void removeShm(final Path nodeDir) throws IOException {
        if (!Files.exists(nodeDir.resolve(org.bess.server.daemon.NodeLock.FILE_NAME))) {
            return;
        }
        final String shm = org.bess.server.daemon.NodeLock.peek(nodeDir).getProperty("shm");
        if (shm != null && Files.isDirectory(Path.of(shm))) {
            try (java.util.stream.Stream<Path> s = Files.walk(Path.of(shm))) {
                s.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Waits for a condition with backoff (1 ms doubling to 100 ms), failing after {@code timeoutMs}. */
    static void await(final BooleanSupplier condition, final long timeoutMs, final String what)
            throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        long sleep = 1;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for: " + what);
            }
            Thread.sleep(sleep);
            sleep = Math.min(100, sleep * 2);
        }
    }
}
