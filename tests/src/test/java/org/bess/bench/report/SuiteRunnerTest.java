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
    void shouldTakeParameterValuesFromTheCommandLineAndSmallerDataSetsForQuick() {
        assertThat(SuiteOptions.parse(new String[] {"--quick"}).params()).isEqualTo(SuiteOptions.QUICK_PARAMS);
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
