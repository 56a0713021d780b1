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
        final List<BenchmarkRun> runs = SuiteRunner.findRuns("DurableCommitBenchmark");

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
}
