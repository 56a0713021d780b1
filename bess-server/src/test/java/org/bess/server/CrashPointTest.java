package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.Session;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Crash at named points (TESTING.md row 2), then crash again inside recovery (row 6), then recover: every
 * acknowledged transfer is present, the one in flight is whole or absent, and the check is clean.
 */
@Timeout(300)
class CrashPointTest {
    private static final int ACCOUNTS = 32;

    @TempDir
    Path dir;

    private Process child(final Path out, final List<String> props, final Class<?> main, final String... args)
            throws IOException {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens",
                "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-XX:-CreateCoredumpOnCrash"));
        command.addAll(props);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
    }

    @ParameterizedTest(name = "{0} #{1}, then {2} during recovery")
    @CsvSource({
        "commit.afterAppend, 20, recovery.afterRedo",
        "commit.afterForce, 30, recovery.afterClr",
        "writeBack.afterLogForce, 5, recovery.afterClr",
        "checkpoint.afterFlush, 2, recovery.afterRedo",
    })
    void shouldRecoverAcknowledgedTransfersAfterACrashAtAPointAndACrashInRecovery(
            final String point, final int occurrence, final String recoveryPoint) throws Exception {
        final Path node = dir.resolve("node");
        final Path root = dir.resolve("bank.root");
        final Path out = dir.resolve("workload.out");
        final Process workload = child(
                out,
                List.of("-Dbess.fault." + point + "=" + occurrence, "-Dbess.checkpoint.log.bytes=48k"),
                BankWorkload.class,
                node.toString(),
                root.toString(),
                Integer.toString(ACCOUNTS),
                "11",
                "0");
        try {
            assertThat(workload.waitFor(120, TimeUnit.SECONDS))
                    .as("the fault point was reached")
                    .isTrue();
        } finally {
            workload.destroyForcibly();
        }
        assertThat(workload.exitValue()).as(Files.readString(out)).isEqualTo(FaultPoints.HALT_STATUS);

        final Path recoveryOut = dir.resolve("recovery.out");
        final Process recovery = child(
                recoveryOut, List.of("-Dbess.fault." + recoveryPoint + "=1"), RecoveryChild.class, node.toString());
        try {
            assertThat(recovery.waitFor(120, TimeUnit.SECONDS)).isTrue();
        } finally {
            recovery.destroyForcibly();
        }
        assertThat(recovery.exitValue()).as(Files.readString(recoveryOut)).isIn(0, FaultPoints.HALT_STATUS);

        final long[] expected = new long[ACCOUNTS];
        Arrays.fill(expected, BankWorkload.INITIAL);
        long[] inFlight = null;
        for (final String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            final String[] p = line.split(" ", -1);
            if (p[0].equals("try")) {
                inFlight = new long[] {Long.parseLong(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4])};
            } else if (p[0].equals("ack") && inFlight != null) {
                expected[(int) inFlight[0]] -= inFlight[2];
                expected[(int) inFlight[1]] += inFlight[2];
                inFlight = null;
            }
        }
        final long[] actual;
        try (Session s = BessServer.embedded(new Context().nodeDir(node).cacheSizeBytes(2L << 20))) {
            actual = BankWorkload.balances(s, s.openDatabase(root), ACCOUNTS);
        }
        final long[] withInFlight = expected.clone();
        if (inFlight != null) {
            withInFlight[(int) inFlight[0]] -= inFlight[2];
            withInFlight[(int) inFlight[1]] += inFlight[2];
        }
        assertThat(Arrays.equals(actual, expected) || Arrays.equals(actual, withInFlight))
                .as(
                        "balances after recovery: %s, expected %s (or with the transfer in flight %s)",
                        Arrays.toString(actual), Arrays.toString(expected), Arrays.toString(withInFlight))
                .isTrue();
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).problems())
                .isEmpty();
    }
}
