package org.bess.it.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link SessionClientChild} JVM: commands go to its stdin, answers come back line by line. Stopped by its own
 * handle (never by name).
 */
final class ClientProcess implements AutoCloseable {
    final Process process;
    private final PrintStream in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder transcript = new StringBuilder();

    private ClientProcess(final Process process) {
        this.process = process;
        this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        final Thread reader = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        String l;
                        while ((l = r.readLine()) != null) {
                            lines.add(l);
                        }
                    } catch (final IOException e) {
                        lines.add("reader failed: " + e);
                    }
                },
                "client-" + process.pid() + "-out");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a client JVM on {@code nodeDir} and waits for its first line. */
    static ClientProcess start(final Path nodeDir, final String... extraJvmArgs) throws IOException {
        final List<String> command = new ArrayList<>();
        command.add(DaemonProcess.JAVA);
        command.addAll(DaemonProcess.OPENS);
        command.addAll(List.of(extraJvmArgs));
        command.addAll(List.of(
                "-Xmx96m",
                "-XX:-CreateCoredumpOnCrash",
                "-XX:-UsePerfData",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                SessionClientChild.class.getName(),
                nodeDir.toString()));
        final ClientProcess c = new ClientProcess(
                new ProcessBuilder(command).redirectErrorStream(true).start());
        c.expect("ok started", 60);
        return c;
    }

    /** Wraps a started SessionClientChild process (for example one run as another user) and waits for its first line. */
    static ClientProcess of(final Process process) {
        final ClientProcess c = new ClientProcess(process);
        try {
            c.expect("ok started", 60);
        } catch (final AssertionError e) {
            c.close();
            throw e;
        }
        return c;
    }

    long pid() {
        return process.pid();
    }

    /** Sends a command without waiting for its answer. */
    void send(final String command) {
        transcript.append("> ").append(command).append('\n');
        in.println(command);
    }

    /** Sends a command and returns its answer, which must start with {@code ok}. */
    String ok(final String command) {
        send(command);
        return expect("ok", 60);
    }

    /** Sends a command and returns its answer, which must start with {@code error}. */
    String error(final String command) {
        send(command);
        return expect("error", 60);
    }

    /** The next answer line (skipping log lines), which must start with {@code prefix}. */
    String expect(final String prefix, final int seconds) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            final String l;
            try {
                l = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            if (l == null) {
                throw new AssertionError("no answer starting with '" + prefix + "' within " + seconds + " s from pid "
                        + pid() + "; transcript:\n" + transcript);
            }
            transcript.append(l).append('\n');
            if (l.startsWith("ok") || l.startsWith("error") || l.startsWith("bye")) {
                assertThat(l)
                        .as("answer of pid %d; transcript:%n%s", pid(), transcript)
                        .startsWith(prefix);
                return l;
            }
        }
    }

    /** Whether an answer line arrived (without consuming it). */
    boolean hasAnswer() {
        return !lines.isEmpty();
    }

    /** Sends SIGSTOP or SIGCONT. */
    void signal(final String name) throws IOException, InterruptedException {
        final Process k = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).start();
        assertThat(k.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(k.exitValue()).as("kill -%s %d", name, pid()).isZero();
    }

    String transcript() {
        return transcript.toString();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                signal("CONT"); // a stopped process ignores SIGKILL's exit until continued on some kernels
            } catch (final IOException | InterruptedException | AssertionError e) {
                // it may be gone already
            }
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
