package org.bess.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs each storage benchmark (bess and its lmdbjava peer) once, briefly, in this JVM and on 2,000 values instead of
 * 1M, so that a broken benchmark (a failing load, a wrong value found by a setup check, an exception in the engine)
 * fails {@code mvn verify}. It asserts that each produced a score and nothing about its size: ratios are for real runs.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StorageBenchmarkSmokeTest {
    private static final String SUITE = "org\\.bess\\.bench\\.Storage.*Benchmark\\..*";

    @Test
    void shouldRunEveryStorageBenchmarkOnceAndGetAScore() throws Exception {
        final Set<String> expected = new TreeSet<>();
        for (final BenchmarkListEntry entry : BenchmarkList.defaultList()
                .find(
                        OutputFormatFactory.createFormatInstance(quiet(), VerboseMode.SILENT),
                        List.of(SUITE),
                        List.of())) {
            expected.add(entry.getUsername());
        }
        assertThat(expected)
                .as("storage benchmarks found in META-INF/BenchmarkList")
                .contains(
                        "org.bess.bench.StorageAllocationBenchmark.bessAllocate",
                        "org.bess.bench.StorageAllocationBenchmark.lmdbPut",
                        "org.bess.bench.StorageReadBenchmark.bessReadByRef",
                        "org.bess.bench.StorageReadBenchmark.lmdbGet",
                        "org.bess.bench.StorageScanBenchmark.bessScan",
                        "org.bess.bench.StorageScanBenchmark.lmdbCursorScan");

        // forks 0: in this JVM, which surefire started with the --add-opens flags (bess.test.argLine)
        final Options options = new OptionsBuilder()
                .include(SUITE)
                .param("count", "2000")
                .param("commitEvery", "500")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        final Collection<RunResult> results = new Runner(options).run();

        final Set<String> ran = new TreeSet<>();
        for (final RunResult result : results) {
            ran.add(result.getParams().getBenchmark());
            assertThat(result.getPrimaryResult().getScore())
                    .as("score of %s", result.getParams().getBenchmark())
                    .isFinite()
                    .isPositive();
        }
        assertThat(ran).isEqualTo(expected);
    }

    private static PrintStream quiet() {
        return new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    }
}
