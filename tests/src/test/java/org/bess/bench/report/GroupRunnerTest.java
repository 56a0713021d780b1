package org.bess.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.annotations.Mode;

class GroupRunnerTest {
    private static final String FRAME_STATE = SuiteRunner.CALIBRATION_CLASS + ".checkFrameState";

    @Test
    void shouldReadBackThePlanItWrote() {
        final List<GroupRunner.Planned> group = List.of(
                new GroupRunner.Planned(
                        "1",
                        new BenchmarkRun(
                                "org.bess.bench.KvBenchmark.bessWrite", Map.of("entries", "20", "order", "seq")),
                        new SuitePlan.RunSettings(Mode.SingleShotTime, 1, 0, 1, 0)),
                new GroupRunner.Planned(
                        "2", new BenchmarkRun(FRAME_STATE, Map.of()), new SuitePlan.RunSettings(null, 2, 500, 3, 400)));

        assertThat(GroupRunner.parsePlan(GroupRunner.planLines(group))).isEqualTo(group);
        assertThat(catchThrowable(() -> GroupRunner.parsePlan(List.of("1\tx.y.z"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("8 tab-separated fields");
        assertThat(catchThrowable(() -> GroupRunner.parsePlan(List.of("1\tx.y.z\t\tnope\t1\t1\t1\t1"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not parse");
    }

    @Test
    void shouldCarryScoresMetricsAndFailuresBackFromTheChild() {
        final SuiteOptions options = SuiteOptions.parse(new String[] {"--forks", "0"});
        final SuiteRunner child = new SuiteRunner(options, System.out);
        child.scores().add(new Score("1", FRAME_STATE, "", "avgt", 2.5, Double.NaN, "ns/op"));
        child.metrics().add(new Metric("1", FRAME_STATE, "a=1", "peakRssMiB", 300, "MiB"));
        child.failures().add("round 1: x failed:\tbecause\nof this");

        final SuiteRunner parent = new SuiteRunner(options, System.out);
        GroupRunner.readResults(GroupRunner.resultLines(child), parent);

        assertThat(parent.scores()).isEqualTo(child.scores());
        assertThat(parent.metrics()).isEqualTo(child.metrics());
        assertThat(parent.failures()).containsExactly("round 1: x failed: because of this");
        assertThat(catchThrowable(() -> GroupRunner.readResults(List.of("X\t1"), parent)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("neither S, M nor F");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldRunAGroupInAChildJvmAndCollectItsScoresInRoundOrder() {
        final SuiteOptions options = SuiteOptions.parse(new String[] {"--forks", "1"});
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        final SuiteRunner runner;
        try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            runner = new SuiteRunner(options, out);
            final SuitePlan.RunSettings tiny = new SuitePlan.RunSettings(null, 0, 0, 1, 50);
            // found in JMH's list, with the @Fork JVM options (--add-opens) the child needs
            final BenchmarkRun run = SuiteRunner.findRuns(FRAME_STATE).get(0);
            GroupRunner.runGroup(
                    runner,
                    options,
                    List.of(new GroupRunner.Planned("1", run, tiny), new GroupRunner.Planned("2", run, tiny)),
                    out);
        }

        assertThat(runner.failures())
                .as(printed.toString(StandardCharsets.UTF_8))
                .isEmpty();
        assertThat(runner.scores()).extracting(Score::round).containsExactly("1", "2");
        assertThat(runner.scores()).allSatisfy(s -> assertThat(s.score()).isPositive());
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("CalibrationBenchmark.checkFrameState");
    }
}
