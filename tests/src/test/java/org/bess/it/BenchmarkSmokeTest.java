package org.bess.it;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Runs every benchmark of the suite once, briefly and in this JVM, so that a broken benchmark (a failing setup, a
 * native call that throws) fails {@code mvn verify}. It asserts that each benchmark produced a score and nothing about
 * how large it is: a slow machine must not fail the build.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BenchmarkSmokeTest {
    private static final String SUITE = "org\\.bess\\.bench\\..*";

    @Test
    void shouldRunEveryBenchmarkOfTheSuiteOnceAndGetAScore() throws Exception {
        final Set<String> expected = new TreeSet<>();
        for (final BenchmarkListEntry entry : BenchmarkList.defaultList()
                .find(
                        OutputFormatFactory.createFormatInstance(quiet(), VerboseMode.SILENT),
                        List.of(SUITE),
                        List.of())) {
            expected.add(entry.getUsername());
        }
        assertThat(expected)
                .as("benchmarks found in META-INF/BenchmarkList")
                .isNotEmpty()
                .contains("org.bess.bench.CalibrationBenchmark.mprotectOnePage");

        // another benchmark run on a shared machine holds JMH's lock: a smoke pass with no thresholds need not wait
        System.setProperty("jmh.ignoreLock", "true");
        // forks 0: in this JVM, which surefire started with the daemon's --add-opens flags (bess.test.argLine)
        final Options options = new OptionsBuilder()
                .include(SUITE)
                .forks(0)
                // tiny sizes for the large-object benchmarks (a parameter a benchmark does not declare is ignored)
                .param("objectMiB", "2")
                .param("count", "2000")
                .param("entries", "2000")
                .param("chunkKiB", "256")
                .param("cacheMiB", "4")
                .param("config", "tiny")
                .param("logMiB", "2")
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        final Collection<RunResult> results = new Runner(options).run();

        final Set<String> ran = new TreeSet<>();
        for (final RunResult result : results) {
            ran.add(result.getParams().getBenchmark());
            final double score = result.getPrimaryResult().getScore();
            assertThat(score)
                    .as("score of %s", result.getParams().getBenchmark())
                    .isFinite()
                    .isPositive();
        }
        assertThat(ran).isEqualTo(expected);
    }

    private static PrintStream quiet() {
        return new PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    }
}
