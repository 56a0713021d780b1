package org.bess.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SuiteRunnerTest {
    @Test
    void shouldCombineParameterValuesInTheirDeclaredOrder() {
        final Map<String, String[]> declared =
                Map.of("size", new String[] {"100", "2026"}, "keys", new String[] {"seq", "rnd"});

        assertThat(SuiteRunner.computeParamSets(declared))
                .extracting(BenchmarkRun::computeParamsText)
                .containsExactly("keys=seq,size=100", "keys=seq,size=2026", "keys=rnd,size=100", "keys=rnd,size=2026");
        assertThat(SuiteRunner.computeParamSets(Map.of())).containsExactly(Map.of());
        assertThat(SuiteRunner.computeParamSets(Map.of("mode", new String[0]))).containsExactly(Map.of());
    }

    @Test
    void shouldInterleaveEachBessMethodWithItsPeersOneParameterSetAtATime() {
        final List<BenchmarkRun> runs = SuiteRunner.findRuns("DurableCommit01Benchmark");

        assertThat(runs)
                .extracting(r -> r.method() + " " + r.paramsText())
                .containsExactly(
                        "bessCommit objects=1",
                        "lmdbCommit objects=1",
                        "rawFdatasync objects=1",
                        "bessCommit objects=10",
                        "lmdbCommit objects=10",
                        "rawFdatasync objects=10");
    }

    @Test
    void shouldRunEachSystemsWriteBeforeItsReadsSoThatTheReadersReadTheStoreItWrote() {
        final List<BenchmarkRun> runs =
                SuiteRunner.findRuns("KvBenchmark", SuitePlan.paramSets(true), Map.of("valueSize", List.of("100")));

        assertThat(runs.subList(0, 8))
                .extracting(BenchmarkRun::method)
                .containsExactly(
                        "bessWrite",
                        "bessReadKey",
                        "bessReadRev",
                        "bessReadSeq",
                        "lmdbWrite",
                        "lmdbReadKey",
                        "lmdbReadRev",
                        "lmdbReadSeq");
    }

    @Test
    void shouldRunOverriddenParameterValuesInsteadOfTheDeclaredOnes() {
        final List<BenchmarkRun> runs = SuiteRunner.findRuns(
                "KvBenchmark.bessReadKey", Map.of("entries", List.of("1000"), "order", List.of("rand")));

        assertThat(runs)
                .extracting(BenchmarkRun::paramsText)
                .containsExactly("entries=1000,order=rand,valueSize=100", "entries=1000,order=rand,valueSize=2026");
    }

    @Test
    void shouldReportTheMedianAndThe99thPercentileAndEveryOtherSecondaryResult() {
        assertThat(SuiteRunner.isReported("p0.50")).isTrue();
        assertThat(SuiteRunner.isReported("p0.99")).isTrue();
        assertThat(SuiteRunner.isReported("p0.999")).isFalse();
        assertThat(SuiteRunner.isReported("p1.00")).isFalse();
        assertThat(SuiteRunner.isReported("commits")).isTrue();
    }

    @Test
    void shouldRunThePlannedParameterSetsOfQuickAndLetTheCommandLineOverrideThem() {
        final List<BenchmarkRun> quick =
                SuiteRunner.findRuns("KvBenchmark.bessReadKey", SuitePlan.paramSets(true), Map.of());
        assertThat(quick)
                .extracting(BenchmarkRun::paramsText)
                .containsExactly("entries=20000,order=seq,valueSize=100", "entries=20000,order=rand,valueSize=2026");
        assertThat(quick.get(0).jvmArgs()).contains("-Xmx1g");
        assertThat(SuiteRunner.findRuns(
                        "KvBenchmark.bessReadKey",
                        SuitePlan.paramSets(true),
                        Map.of("entries", List.of("1000"), "valueSize", List.of("100"))))
                .extracting(BenchmarkRun::paramsText)
                .containsExactly("entries=1000,order=seq,valueSize=100", "entries=1000,order=rand,valueSize=100");
        assertThat(SuiteRunner.findRuns("oo7.Oo7Benchmark.heap", SuitePlan.paramSets(false), Map.of()))
                .extracting(BenchmarkRun::paramsText)
                .hasSize(SuitePlan.ALL_OO7_OPS.size() + 1)
                .contains("config=small,op=Q8", "config=medium,op=T1");
    }

    @Test
    void shouldFindEveryPlannedClassAndParameterInJmhsList() {
        for (final boolean quick : new boolean[] {true, false}) {
            for (final Map.Entry<String, List<Map<String, List<String>>>> planned :
                    SuitePlan.paramSets(quick).entrySet()) {
                final List<BenchmarkRun> runs =
                        SuiteRunner.findRuns("\\." + planned.getKey() + "\\.", SuitePlan.paramSets(quick), Map.of());
                assertThat(runs)
                        .as("runs of %s (quick %s)", planned.getKey(), quick)
                        .isNotEmpty();
                for (final Map<String, List<String>> set : planned.getValue()) {
                    for (final Map.Entry<String, List<String>> param : set.entrySet()) {
                        assertThat(runs)
                                .as("%s declares %s (quick %s)", planned.getKey(), param.getKey(), quick)
                                .anyMatch(r ->
                                        param.getValue().contains(r.params().get(param.getKey())));
                    }
                }
            }
        }
    }

    @Test
    void shouldRunTheIssueWorkloadsByDefaultAndFewerCommittersInQuick() {
        final List<String> full = SuiteRunner.findRuns(
                        SuiteOptions.parse(new String[0]).include())
                .stream()
                .map(BenchmarkRun::benchmarkClass)
                .distinct()
                .toList();
        assertThat(full)
                .contains(
                        "org.bess.bench.KvBenchmark",
                        "org.bess.bench.DurableCommit04Benchmark",
                        "org.bess.bench.oo7.Oo7ColdBenchmark",
                        "org.bess.bench.oo7.Oo7ModesBenchmark")
                .doesNotContain("org.bess.bench.LockBenchmark");
        final List<String> quick = SuiteRunner.findRuns(
                        SuiteOptions.parse(new String[] {"--quick"}).include())
                .stream()
                .map(BenchmarkRun::benchmarkClass)
                .distinct()
                .toList();
        assertThat(quick)
                .contains("org.bess.bench.DurableCommit16Benchmark")
                .doesNotContain("org.bess.bench.DurableCommit04Benchmark");
    }

    @Test
    void shouldRunKvWritesAndColdOo7AsSingleShotsUnlessTheTestsSetTheIterations() {
        final BenchmarkRun write = new BenchmarkRun("org.bess.bench.KvBenchmark.bessWrite", Map.of());
        assertThat(SuitePlan.settings(write, SuiteOptions.parse(new String[] {"--quick"})))
                .isEqualTo(new SuitePlan.RunSettings(org.openjdk.jmh.annotations.Mode.SingleShotTime, 1, 0, 1, 0));
        assertThat(SuitePlan.settings(write, SuiteOptions.parse(new String[] {"--iterations", "1"}))
                        .mode())
                .isNull();
    }

    @Test
    void shouldTakeParameterValuesFromTheCommandLine() {
        assertThat(SuiteOptions.parse(new String[] {"--quick"}).params()).isEmpty();
        assertThat(SuiteOptions.parse(new String[] {"--quick", "--param", "entries=1000000,2"})
                        .params())
                .isEqualTo(Map.of("entries", List.of("1000000", "2")));
        assertThat(SuiteOptions.parse(new String[0]).params()).isEmpty();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                        () -> SuiteOptions.parse(new String[] {"--param", "entries"})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NAME=V1,V2");
    }
}
