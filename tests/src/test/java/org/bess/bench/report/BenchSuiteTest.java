package org.bess.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One tiny run of the whole suite, in this JVM and restricted to the calibration, so that the wiring from JMH to the
 * files is exercised in {@code mvn verify}. It asserts what the files contain, never how fast anything was.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BenchSuiteTest {
    private static final List<String> PRIMITIVES =
            List.of("mprotectOnePage", "remapOnePageFixed", "preadOnePage", "fdatasyncOnePage", "checkFrameState");

    @Test
    void shouldWriteMarkdownAndCsvWithTheCalibrationAtStartAndEnd(@TempDir final Path dir) throws IOException {
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        final int status;
        try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            status = BenchSuite.run(
                    new String[] {
                        "--include",
                        "CalibrationBenchmark",
                        "--out",
                        dir.toString(),
                        "--rounds",
                        "1",
                        "--forks",
                        "0",
                        "--warmup-ms",
                        "0",
                        "--measure-ms",
                        "50",
                        "--iterations",
                        "1"
                    },
                    out);
        }
        final String stdout = printed.toString(StandardCharsets.UTF_8);

        assertThat(status).as(stdout).isZero();
        final List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.sorted().toList();
        }
        assertThat(files).hasSize(2);
        final Path csv = files.get(0);
        final Path markdown = files.get(1);
        assertThat(csv.getFileName().toString()).endsWith(".csv");
        assertThat(markdown.getFileName().toString()).endsWith(".md");
        assertThat(stdout).contains("report written to " + markdown);

        final String md = Files.readString(markdown, StandardCharsets.UTF_8);
        final List<String> rows = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertThat(rows.get(0)).isEqualTo(ReportWriter.CSV_HEADER);
        assertThat(rows).hasSize(1 + 2 * PRIMITIVES.size());
        for (final String primitive : PRIMITIVES) {
            assertThat(md).contains("| " + primitive + " |  | ");
            assertThat(rows)
                    .anyMatch(row -> row.startsWith("start,CalibrationBenchmark," + primitive + ","))
                    .anyMatch(row -> row.startsWith("end,CalibrationBenchmark," + primitive + ","));
        }
        assertThat(md).contains("No comparisons").contains("- JDK: ");
    }

    @Test
    void shouldReportPercentilesAndWhatTheBenchmarksRecordBesideTheComparisons(@TempDir final Path dir)
            throws IOException {
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        final int status;
        try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            status = BenchSuite.run(
                    new String[] {
                        "--include", "DurableCommit01Benchmark",
                        "--param", "objects=1",
                        "--out", dir.toString(),
                        "--rounds", "1",
                        "--forks", "0",
                        "--warmup-ms", "0",
                        "--measure-ms", "200",
                        "--iterations", "1"
                    },
                    out);
        }
        final String stdout = printed.toString(StandardCharsets.UTF_8);

        assertThat(status).as(stdout).isZero();
        final String md;
        try (Stream<Path> list = Files.list(dir)) {
            md = Files.readString(
                    list.filter(p -> p.toString().endsWith(".md")).findFirst().orElseThrow(), StandardCharsets.UTF_8);
        }
        assertThat(md)
                .contains("| DurableCommit01Benchmark | objects=1 | bessCommit | ")
                .contains(" | lmdbCommit | ")
                .contains(" | rawFdatasync | ")
                .contains("| DurableCommit01Benchmark | objects=1 | bessCommit | p0.99 | ")
                .contains("| DurableCommit01Benchmark | objects=1 | bessCommit | groupSize | ")
                .contains("| DurableCommit01Benchmark | objects=1 | bessCommit | logBytesPerCommit | ")
                .contains("| DurableCommit01Benchmark | objects=1 | lmdbCommit | commitsPerSec | ")
                .contains("| DurableCommit01Benchmark | objects=1 | rawFdatasync | syncsPerSec | ");
    }
}
