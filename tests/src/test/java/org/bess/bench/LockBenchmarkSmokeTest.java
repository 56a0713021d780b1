package org.bess.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** Runs {@link LockBenchmark} once, briefly and in this JVM, and checks each case produced a score; no thresholds. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LockBenchmarkSmokeTest {
    @Test
    void shouldRunEveryLockBenchmarkOnceAndGetAScore() throws Exception {
        // forks 0: in this JVM, which surefire started with the daemon's --add-opens flags (bess.test.argLine)
        final Options options = new OptionsBuilder()
                .include(LockBenchmark.class.getName().replace(".", "\\.") + "\\..*")
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
            final String name = result.getParams().getBenchmark();
            ran.add(name.substring(name.lastIndexOf('.') + 1));
            assertThat(result.getPrimaryResult().getScore())
                    .as("score of %s", name)
                    .isFinite()
                    .isPositive();
        }
        assertThat(ran).containsExactlyInAnyOrder("uncontendedLockRelease", "contendedShared", "contendedExclusive");
    }
}
