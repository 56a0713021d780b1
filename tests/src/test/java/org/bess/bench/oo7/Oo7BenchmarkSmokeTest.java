package org.bess.bench.oo7;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
 * Runs every OO7 benchmark method once, briefly, in this JVM, on the tiny configuration and for every operation (not
 * only the ones the suite runs by default), so that a broken benchmark or operation fails {@code mvn verify}. It
 * asserts that each run produced a score and nothing about its size.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class Oo7BenchmarkSmokeTest {
    private static final String SUITE = "org\\.bess\\.bench\\.oo7\\..*";

    @Test
    void shouldRunEveryOo7BenchmarkForEveryOperationAndGetAScore() throws Exception {
        final Set<String> expected = new TreeSet<>();
        for (final BenchmarkListEntry entry : BenchmarkList.defaultList()
                .find(
                        OutputFormatFactory.createFormatInstance(quiet(), VerboseMode.SILENT),
                        List.of(SUITE),
                        List.of())) {
            expected.add(entry.getUsername());
        }
        assertThat(expected)
                .contains(
                        "org.bess.bench.oo7.Oo7Benchmark.bess",
                        "org.bess.bench.oo7.Oo7Benchmark.heap",
                        "org.bess.bench.oo7.Oo7Benchmark.lmdb",
                        "org.bess.bench.oo7.Oo7ColdBenchmark.bess",
                        "org.bess.bench.oo7.Oo7ColdBenchmark.lmdb");

        final String[] ops =
                Arrays.stream(Oo7Operation.values()).map(Enum::name).toArray(String[]::new);
        // forks 0: in this JVM, which surefire started with the --add-opens flags (bess.test.argLine)
        final Options options = new OptionsBuilder()
                .include(SUITE)
                .param("config", "tiny")
                .param("op", ops)
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(50))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        final Collection<RunResult> results = new Runner(options).run();

        final Set<String> ran = new TreeSet<>();
        for (final RunResult result : results) {
            ran.add(result.getParams().getBenchmark() + " " + result.getParams().getParam("op"));
            assertThat(result.getPrimaryResult().getScore())
                    .as(
                            "score of %s %s",
                            result.getParams().getBenchmark(),
                            result.getParams().getParam("op"))
                    .isFinite()
                    .isPositive();
        }
        final Set<String> wanted = new TreeSet<>();
        for (final String benchmark : expected) {
            for (final String op : ops) {
                wanted.add(benchmark + " " + op);
            }
        }
        assertThat(ran).isEqualTo(wanted);
    }

    private static PrintStream quiet() {
        return new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    }
}
