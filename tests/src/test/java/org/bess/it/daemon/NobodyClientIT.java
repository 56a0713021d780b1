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

    /** Copies what ControlProbe needs (bess-client, agrona, the probe) into a world-readable directory. */
    private static void copyClientClassPath(final Path into) throws IOException {
        Files.createDirectories(into);
        final List<String> entries = new ArrayList<>();
        for (final String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            final Path p = Path.of(e);
            final String s = p.toString();
            if (s.contains("bess-client") || s.contains("agrona")) {
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
