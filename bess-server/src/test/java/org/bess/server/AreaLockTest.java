package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.Session;
import org.bess.exceptions.BessException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The lock on a database's areas keeps other processes out for as long as a session holds the database. */
@Timeout(120)
class AreaLockTest {
    @TempDir
    Path dir;

    /** Runs {@link OpenDatabaseProbe} in a child JVM; returns {exit code, output}. */
    private Object[] probe(final Path root, final String name) throws IOException, InterruptedException {
        final Path out = dir.resolve(name + ".out");
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens",
                "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens",
                "java.base/java.nio=ALL-UNNAMED",
                "--add-opens",
                "java.base/sun.nio.ch=ALL-UNNAMED",
                "-XX:-CreateCoredumpOnCrash",
                "-cp",
                System.getProperty("java.class.path"),
                OpenDatabaseProbe.class.getName(),
                dir.resolve(name + "-node").toString(),
                root.toString()));
        final Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child finished").isTrue();
        } finally {
            p.destroyForcibly();
        }
        return new Object[] {p.exitValue(), Files.readString(out, StandardCharsets.UTF_8)};
    }

    @Test
    void shouldKeepAnotherProcessOutWhileASessionHoldsTheDatabaseEvenAfterARefusedSecondSession() throws Exception {
        final SampleDatabase sample = SampleDatabase.create(dir);
        try (Session holder = SampleDatabase.session(dir)) {
            holder.openDatabase(sample.root);

            final Object[] before = probe(sample.root, "before");
            assertThat(before[0]).as("child output: %s", before[1]).isEqualTo(3);
            assertThat((String) before[1])
                    .contains("ILLEGAL_STATE")
                    .contains("in use")
                    .contains(sample.root.toString());

            try (Session second = BessServer.embedded(
                    new Context().nodeDir(dir.resolve("node2")).cacheSizeBytes(1L << 20))) {
                assertThatThrownBy(() -> second.openDatabase(sample.root)).isInstanceOf(BessException.class);
            }

            final Object[] after = probe(sample.root, "after");
            assertThat(after[0])
                    .as("another process must stay out after a refused open in this one; child output: %s", after[1])
                    .isEqualTo(3);
        }
        final Object[] released = probe(sample.root, "released");
        assertThat(released[0]).as("child output: %s", released[1]).isEqualTo(0);
    }
}
