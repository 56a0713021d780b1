package org.bess.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.bess.bench.report.ComparisonsTest.score;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReportWriterTest {
    private static final String CALIBRATION = "org.bess.bench.CalibrationBenchmark.";

    private static List<Score> scores() {
        return List.of(
                new Score(Score.CALIBRATION_START, CALIBRATION + "mprotectOnePage", "", "avgt", 812.25, 3.5, "ns/op"),
                score("1", "bessCommit", "objects=1", 12.5),
                score("1", "lmdbCommit", "objects=1", 50),
                score("2", "bessCommit", "objects=1", 15),
                score("2", "lmdbCommit", "objects=1", 40),
                new Score(Score.CALIBRATION_END, CALIBRATION + "mprotectOnePage", "", "avgt", 905.5, 4, "ns/op"));
    }

    private static Report report() {
        final List<Score> scores = scores();
        return new Report(
                "2026-11-21 06:40 UTC",
                "1 min 2 s",
                new MachineInfo(2, "Test CPU", "7.8 GiB", "Linux 6.1.0 (amd64)", "OpenJDK 17.0.15"),
                "./bess bench --quick",
                "2 rounds",
                List.of("- `KvBenchmark`: [{entries=[20000]}]"),
                "1.00 0.50 0.25",
                "2.00 1.00 0.50",
                scores,
                Comparisons.computeComparisons(scores),
                List.of(),
                metrics());
    }

    private static List<Metric> metrics() {
        final String bess = "org.bess.bench.KvBenchmark.bessReadKey";
        return List.of(
                new Metric("1", bess, "entries=100", "peakRssMiB", 300, "MiB"),
                new Metric("1", bess, "entries=100", "dataOverRaw", 1.5, "x"),
                new Metric("2", bess, "entries=100", "peakRssMiB", 500, "MiB"),
                new Metric("3", bess, "entries=100", "peakRssMiB", 350, "MiB"));
    }

    @Test
    void shouldWriteTheComparisonTableWithMedianRatioAndSpread() {
        assertThat(ReportWriter.comparisonTable(report().comparisons()))
                .isEqualTo("| workload | params | bess | bess score | peer | peer score | bess/peer time (median) "
                        + "| spread (min–max) | rounds |\n"
                        + "| --- | --- | --- | ---: | --- | ---: | ---: | --- | ---: |\n"
                        // ratios 0.25 and 0.375: median 0.3125, rounded half up
                        + "| DurableCommitBenchmark | objects=1 | bessCommit | 13.75 us/op | lmdbCommit | 45.00 us/op "
                        + "| 0.313 | 0.250–0.375 | 2 |\n");
    }

    private static Score timed(final String benchmark, final String params, final double value, final String unit) {
        return new Score("1", benchmark, params, "avgt", value, Double.NaN, unit);
    }

    @Test
    void shouldWriteTheGoalsWithTheirDistanceAndWhetherTheyAreMet() {
        final List<Score> scores = List.of(
                timed("org.bess.bench.DurableCommit08Benchmark.bessCommit", "objects=1", 30, "us/op"),
                timed("org.bess.bench.DurableCommit08Benchmark.lmdbCommit", "objects=1", 100, "us/op"),
                timed("org.bess.bench.oo7.Oo7Benchmark.bess", "config=small,op=T1", 10, "ms/op"),
                timed("org.bess.bench.oo7.Oo7Benchmark.heap", "config=small,op=T1", 4, "ms/op"),
                timed("org.bess.bench.oo7.Oo7Benchmark.bess", "config=small,op=T6", 10, "ms/op"),
                timed("org.bess.bench.oo7.Oo7Benchmark.heap", "config=small,op=T6", 1, "ms/op"));

        final String table = ReportWriter.goalTable(Comparisons.computeComparisons(scores));

        assertThat(table)
                .contains("| durable commits >= 5x lmdbjava at 8 committers | DurableCommit08Benchmark.bessCommit /"
                        + " lmdbCommit | objects=1 | 0.300 | 0.300–0.300 | <= 0.200 | 1.500 | **no** |")
                .contains(
                        "| OO7 hot T1 <= 2x plain heap objects | Oo7Benchmark.bess / heap | config=small,op=T1 | 2.500 |")
                .doesNotContain("op=T6");
        assertThat(ReportWriter.goalTable(List.of())).contains("No comparison of a goal ran");
    }

    @Test
    void shouldPrintWhatRanAndTheTotalWallTime() {
        assertThat(ReportWriter.markdown(report()))
                .contains("## What ran\n\n- `KvBenchmark`: [{entries=[20000]}]\n")
                .contains("## Goals")
                .endsWith("Total wall time of the suite: 1 min 2 s (load average 1.00 0.50 0.25 at the start,"
                        + " 2.00 1.00 0.50 at the end).\n");
    }

    @Test
    void shouldWriteTheCalibrationAtStartAndEndSideBySide() {
        assertThat(ReportWriter.calibrationTable(scores()))
                .isEqualTo("| primitive | params | start | end |\n"
                        + "| --- | --- | ---: | ---: |\n"
                        + "| mprotectOnePage |  | 812.3 ns/op | 905.5 ns/op |\n");
    }

    @Test
    void shouldLeaveOutTheEndColumnBeforeTheEndCalibrationRan() {
        assertThat(ReportWriter.calibrationTable(scores().subList(0, 1)))
                .isEqualTo("| primitive | params | start |\n"
                        + "| --- | --- | ---: |\n"
                        + "| mprotectOnePage |  | 812.3 ns/op |\n");
    }

    @Test
    void shouldWriteTheMarkdownWithMachineCommandLoadAndEveryTable() {
        final String markdown = ReportWriter.markdown(report());

        assertThat(markdown)
                .startsWith("# bess benchmark report, 2026-11-21 06:40 UTC\n")
                .contains("- Command: `./bess bench --quick`\n")
                .contains("- Machine: 2 cores (Test CPU), 7.8 GiB memory, Linux 6.1.0 (amd64)\n")
                .contains("- JDK: OpenJDK 17.0.15\n")
                .contains("1.00 0.50 0.25 at the start, 2.00 1.00 0.50 at the end")
                .contains("below 1 means bess is faster")
                .contains("## Calibration\n\n| primitive |")
                .contains("## Comparisons\n\n| workload |")
                .contains("| start | CalibrationBenchmark.mprotectOnePage |  | avgt | 812.3 | 3.500 | ns/op |\n")
                .contains("| 2 | DurableCommitBenchmark.lmdbCommit | objects=1 | avgt | 40.00 |  | us/op |\n")
                .contains("## Percentiles, resources and counters\n\n")
                .contains("| KvBenchmark | entries=100 | bessReadKey | peakRssMiB | 350.0 MiB | 300.0–500.0 | 3 |\n")
                .doesNotContain("## Without a peer")
                .doesNotContain("## Failures");
    }

    @Test
    void shouldListTheMedianOfBenchmarksWithoutAPeer() {
        final List<Score> scores = List.of(
                new Score("1", "org.bess.bench.LockBenchmark.uncontendedLockRelease", "", "avgt", 300, 1, "ns/op"),
                score("1", "bessCommit", "objects=1", 12.5),
                score("1", "lmdbCommit", "objects=1", 50),
                new Score("2", "org.bess.bench.LockBenchmark.uncontendedLockRelease", "", "avgt", 500, 1, "ns/op"));

        assertThat(ReportWriter.unpairedTable(scores, Comparisons.computeComparisons(scores)))
                .isEqualTo("| benchmark | params | score (median) | rounds |\n"
                        + "| --- | --- | ---: | ---: |\n"
                        + "| LockBenchmark.uncontendedLockRelease |  | 400.0 ns/op | 2 |\n");
        assertThat(ReportWriter.unpairedTable(scores(), report().comparisons())).isEmpty();
    }

    @Test
    void shouldWriteOneCsvRowPerScoreWithFullPrecision() {
        assertThat(ReportWriter.csv(scores()))
                .isEqualTo(ReportWriter.CSV_HEADER + "\n"
                        + "start,CalibrationBenchmark,mprotectOnePage,,avgt,812.25,3.5,ns/op\n"
                        + "1,DurableCommitBenchmark,bessCommit,objects=1,avgt,12.5,,us/op\n"
                        + "1,DurableCommitBenchmark,lmdbCommit,objects=1,avgt,50.0,,us/op\n"
                        + "2,DurableCommitBenchmark,bessCommit,objects=1,avgt,15.0,,us/op\n"
                        + "2,DurableCommitBenchmark,lmdbCommit,objects=1,avgt,40.0,,us/op\n"
                        + "end,CalibrationBenchmark,mprotectOnePage,,avgt,905.5,4.0,ns/op\n");
    }

    @Test
    void shouldWriteOneRowPerMetricWithItsMedianAndSpreadOverRounds() {
        assertThat(ReportWriter.metricTable(metrics()))
                .isEqualTo("| workload | params | method | metric | median | spread (min–max) | rounds |\n"
                        + "| --- | --- | --- | --- | ---: | --- | ---: |\n"
                        + "| KvBenchmark | entries=100 | bessReadKey | peakRssMiB | 350.0 MiB | 300.0–500.0 | 3 |\n"
                        + "| KvBenchmark | entries=100 | bessReadKey | dataOverRaw | 1.500 x | 1.500–1.500 | 1 |\n");
        assertThat(ReportWriter.metricTable(List.of())).isEmpty();
    }

    @Test
    void shouldAppendTheMetricsToTheCsvAfterTheScores() {
        assertThat(ReportWriter.csv(List.of(), metrics().subList(0, 1)))
                .isEqualTo(ReportWriter.CSV_HEADER + "\n"
                        + "1,KvBenchmark,bessReadKey:peakRssMiB,entries=100,metric,300.0,,MiB\n");
    }

    @Test
    void shouldReadBackTheMetricLinesBenchmarksWrite() {
        final String line = Metric.format(
                "org.bess.bench.KvBenchmark.lmdbWrite", "order=seq,valueSize=100", "peakRssMiB", 123.25, "MiB");

        assertThat(Metric.parse("2", line))
                .isEqualTo(new Metric(
                        "2",
                        "org.bess.bench.KvBenchmark.lmdbWrite",
                        "order=seq,valueSize=100",
                        "peakRssMiB",
                        123.25,
                        "MiB"));
        assertThat(catchThrowable(() -> Metric.parse("1", "a\tb")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 tab-separated fields");
        assertThat(catchThrowable(() -> Metric.parse("1", "a\tb\tc\tNaNo\tMiB")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a number");
    }

    @Test
    void shouldQuoteCsvFieldsWithCommas() {
        final Score score = new Score("1", "org.bess.bench.KvBenchmark.bessRead", "a=1,b=2", "avgt", 1, 0, "ns/op");

        assertThat(ReportWriter.csv(List.of(score))).contains(",\"a=1,b=2\",");
    }

    @Test
    void shouldFormatNumbersWithThreeOrFourSignificantDigits() {
        assertThat(ReportWriter.formatNumber(12345.6)).isEqualTo("12346");
        assertThat(ReportWriter.formatNumber(123.45)).isEqualTo("123.5");
        assertThat(ReportWriter.formatNumber(1.2345)).isEqualTo("1.235");
        assertThat(ReportWriter.formatNumber(0.012345)).isEqualTo("0.0123");
    }
}
