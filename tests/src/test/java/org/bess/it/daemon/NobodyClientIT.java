package org.bess.it.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client run as {@code nobody} ({@code runuser -u nobody}) against a server run as the test's user (root in CI): by
 * default it cannot even reach the socket (the socket directory is {@code 0700}); with other uids allowed it reaches
 * it and {@code SO_PEERCRED} refuses it ({@code NOT_AUTHORISED}); with its uid allowed it is served. Skipped, saying
 * why, where {@code runuser} or root is missing.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NobodyClientIT {
    private Path work;
    private Path classes;

    @BeforeEach
    void setUp() throws Exception {
        final Path runuser = Path.of("/usr/sbin/runuser");
        Assumptions.assumeTrue(
                Files.isExecutable(runuser) || Files.isExecutable(Path.of("/sbin/runuser")),
                "skipped: runuser is not available, so no client can be run as another user");
        Assumptions.assumeTrue(
                RawClient.ownId("unix:uid") == 0, "skipped: runuser needs root and the tests do not run as root");
        // a tree nobody can search and read: the node directory and a copy of the client's classes
        work = Files.createTempDirectory("bess-nobody-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx--x--x"));
        classes = work.resolve("cp");
        copyClientClassPath(classes);
    }

    @AfterEach
    void tearDown() throws IOException {
        if (work != null) {
            DaemonProcess.removeShm(work.resolve("node"));
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Copies what ControlProbe and SessionClientChild need (bess-client, the native shim and JNR, agrona, slf4j-api,
     * the probes) into a world-readable directory.
     */
    private static void copyClientClassPath(final Path into) throws IOException {
        Files.createDirectories(into);
        final List<String> entries = new ArrayList<>();
        for (final String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            final Path p = Path.of(e);
            final String s = p.toString();
            if (s.contains("bess-client")
                    || s.contains("bess-native-shim")
                    || s.contains("agrona")
                    || s.contains("slf4j-api")
                    || s.contains("/com/github/jnr/")
                    || s.contains("/org/ow2/asm/")) {
                final Path target = into.resolve("e" + entries.size() + (Files.isDirectory(p) ? "" : ".jar"));
                copyTree(p, target);
                entries.add(target.toString());
            } else if (s.endsWith("test-classes") && Files.isDirectory(p.resolve("org/bess/it/daemon"))) {
                final Path target = into.resolve("probe");
                copyTree(p.resolve("org/bess/it/daemon"), target.resolve("org/bess/it/daemon"));
                entries.add(target.toString());
            }
        }
        Files.writeString(into.resolve("classpath"), String.join(":", entries), StandardCharsets.UTF_8);
        try (Stream<Path> s = Files.walk(into)) {
            for (final Path p : (Iterable<Path>) s::iterator) {
                Files.setPosixFilePermissions(
                        p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    private static void copyTree(final Path from, final Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            Files.createDirectories(to.getParent());
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        try (Stream<Path> s = Files.walk(from)) {
            for (final Path p : (Iterable<Path>) s::iterator) {
                final Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Runs ControlProbe as nobody; returns its exit code and output. */
    private String probeAsNobody(final Path node, final int expectedExit) throws Exception {
        final String cp = Files.readString(classes.resolve("classpath"), StandardCharsets.UTF_8);
        final List<String> command = new ArrayList<>(List.of("runuser", "-u", "nobody", "--", DaemonProcess.JAVA));
        command.addAll(DaemonProcess.OPENS); // Agrona's buffers need jdk.internal.misc
        command.addAll(
                List.of("-XX:-UsePerfData", "-Xmx64m", "-cp", cp, ControlProbe.class.getName(), node.toString()));
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final boolean done = p.waitFor(60, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(done).as("probe finished: %s", out).isTrue();
        assertThat(p.exitValue()).as("probe exit code; output: %s", out).isEqualTo(expectedExit);
        return out;
    }

    /** Starts SessionClientChild as nobody. */
    private ClientProcess sessionClientAsNobody(final Path node) throws Exception {
        final String cp = Files.readString(classes.resolve("classpath"), StandardCharsets.UTF_8);
        final List<String> command = new ArrayList<>(List.of("runuser", "-u", "nobody", "--", DaemonProcess.JAVA));
        command.addAll(DaemonProcess.OPENS);
        command.addAll(List.of(
                "-XX:-UsePerfData",
                "-Xmx64m",
                "-Djava.io.tmpdir=/tmp",
                "-cp",
                cp,
                SessionClientChild.class.getName(),
                node.toString()));
        return ClientProcess.of(
                new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    @Test
    void shouldRefuseASessionClientRunAsNobodyUnlessItsUidIsAllowed() throws Exception {
        final Path node = work.resolve("node");
        Files.createDirectories(node);
        Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rwx--x--x"));
        final String root = work.resolve("nobody.root").toString();
        final String base = DaemonIT.TEST_CONFIG;
        try (DaemonProcess d = DaemonProcess.start(node, base);
                ClientProcess c = sessionClientAsNobody(node)) {
            assertThat(c.error("connect copy"))
                    .as("the session socket's directory is not searchable by nobody")
                    .contains("cannot connect to the node server")
                    .contains("Permission denied");
            c.send("exit"); // runuser waits for its child: end the child itself
            c.expect("bye", 60);
            assertThat(d.terminate()).isZero();
        }
        try (DaemonProcess d = DaemonProcess.start(node, base + "allow.uids=12345\n");
                ClientProcess c = sessionClientAsNobody(node)) {
            assertThat(c.error("connect copy"))
                    .as("SO_PEERCRED names nobody, who is not on the allow-list")
                    .contains("not authorised: peer=nobody");
            assertThat(d.daemonLog()).contains("refused peer nobody");
            c.send("exit"); // runuser waits for its child: end the child itself
            c.expect("bye", 60);
            assertThat(d.terminate()).isZero();
        }
        try (DaemonProcess d = DaemonProcess.start(node, base + "allow.uids=nobody\n");
                ClientProcess c = sessionClientAsNobody(node)) {
            c.ok("connect copy");
            c.ok("create " + root);
            c.ok("begin");
            c.ok("write 65534");
            c.ok("commit");
            assertThat(c.ok("read")).isEqualTo("ok 65534");
            assertThat(d.daemonLog()).containsPattern("client \\d+ connected: peer=nobody/\\S+, uid=65534");
            assertThat(DaemonIT.admin(0, "clients", "--node-dir", node.toString()))
                    .containsPattern("(?m)^\\d+\\s+65534\\s+\\d+\\s+\\d+\\s+copy\\s+session");
            c.send("exit");
            c.expect("bye", 60);
            assertThat(d.terminate()).isZero();
        }
    }

    @Test
    void shouldRefuseNobodyUnlessItsUidIsAllowed() throws Exception {
        final Path node = work.resolve("node");
        Files.createDirectories(node);
        Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rwx--x--x"));
        final String base = DaemonIT.TEST_CONFIG;
        try (DaemonProcess d = DaemonProcess.start(node, base)) {
            assertThat(probeAsNobody(node, 3))
                    .contains("probe: refused SERVER_LOST")
                    .contains("Permission denied");
            assertThat(d.terminate()).isZero();
        }
        try (DaemonProcess d = DaemonProcess.start(node, base + "allow.uids=12345\n")) {
            assertThat(probeAsNobody(node, 3))
                    .contains("probe: refused NOT_AUTHORISED")
                    .contains("not authorised: user=nobody");
            assertThat(d.daemonLog()).contains("connection refused (NOT_AUTHORISED)");
            assertThat(d.terminate()).isZero();
        }
        try (DaemonProcess d = DaemonProcess.start(node, base + "allow.uids=nobody\n")) {
            assertThat(probeAsNobody(node, 0)).contains("probe: ok");
            assertThat(d.daemonLog()).containsPattern("client \\d+ \\(uid=65534, pid=\\d+, mode=control\\): HELLO");
            assertThat(d.terminate()).isZero();
        }
    }
}
