package org.bess.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The storage engine at scale, in a child JVM limited to a 256 MiB heap with a cache far smaller than the data:
 * {@link ScaleWorkload} builds objects with references across three files in three areas, moves a file to another
 * area, removes the emptied area, compacts, closes, reopens and checks every object and reference through the API. The
 * work directory is kept under {@code target/scale-it/} when the test fails.
 */
class ScaleIT {
    private static final String JAVA =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private static Path workDir(final String name) throws IOException {
        final Path dir = Path.of("target", "scale-it", name + "-" + System.currentTimeMillis());
        Files.createDirectories(dir);
        return dir.toAbsolutePath();
    }

    private static String run(final String name, final int objects, final int cacheMiB, final int timeoutMinutes)
            throws IOException, InterruptedException {
        final Path dir = workDir(name);
        final Path out = dir.resolve("child.out");
        final List<String> command = new ArrayList<>(List.of(
                JAVA,
                "-Xmx256m",
                "--add-opens",
                "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens",
                "java.base/java.nio=ALL-UNNAMED",
                "--add-opens",
                "java.base/sun.nio.ch=ALL-UNNAMED",
                "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + dir.resolve("hs_err_child.log"),
                "-cp",
                System.getProperty("java.class.path"),
                ScaleWorkload.class.getName(),
                dir.toString(),
                Integer.toString(objects),
                Integer.toString(cacheMiB)));
        final long start = System.nanoTime();
        final Process child = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        final boolean finished;
        try {
            finished = child.waitFor(timeoutMinutes, TimeUnit.MINUTES);
        } finally {
            child.destroyForcibly();
        }
        final String output = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(finished)
                .as("child finished in %d min; kept in %s; output:%n%s", timeoutMinutes, dir, output)
                .isTrue();
        assertThat(child.exitValue())
                .as("child exit code; kept in %s; output:%n%s", dir, output)
                .isZero();
        assertThat(output).as("child summary").contains("scale ok: objects=" + objects / 3 * 3);
        final String summary = output.lines()
                        .filter(l -> l.startsWith("scale ok:"))
                        .findFirst()
                        .orElseThrow()
                + " wallMs=" + (System.nanoTime() - start) / 1_000_000;
        System.out.println(summary);
        deleteTree(dir);
        return summary;
    }

    private static void deleteTree(final Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (final Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldKeepEveryObjectAndReferenceWhenAMillionObjectsAreMovedCompactedAndReopened() throws Exception {
        final String summary = run("million", 1_000_002, 32, 9);

        assertThat(summary).contains("referencesChecked=" + 2 * 1_000_002).contains("fillersFreed=33334");
    }

    @Test
    @Tag("slow")
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void shouldKeepEveryObjectAndReferenceWhenThreeMillionObjectsAreMovedCompactedAndReopened() throws Exception {
        final String summary = run("three-million", 3_000_000, 64, 29);

        assertThat(summary).contains("referencesChecked=" + 2 * 3_000_000);
    }
}
