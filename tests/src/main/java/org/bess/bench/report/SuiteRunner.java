package org.bess.bench.report;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Finds the benchmarks of the suite in JMH's generated list and runs them one method at a time, each in its own JMH
 * run with the settings of {@link SuiteOptions}, collecting their scores and their failures. Not thread safe.
 */
public final class SuiteRunner {
    /** The benchmark class whose methods are the calibration primitives. */
    public static final String CALIBRATION_CLASS = "org.bess.bench.CalibrationBenchmark";

    private final SuiteOptions options;
    private final PrintStream progress;
    private final List<Score> scores = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    /**
     * Makes a runner.
     *
     * @param options the JMH run settings.
     * @param progress where one line per finished run is printed.
     */
    public SuiteRunner(final SuiteOptions options, final PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    /**
     * The benchmark names ({@code package.Class.method}) in JMH's list that contain a match of {@code include},
     * sorted by class, then bess methods before peers, then by name.
     *
     * @param include a regular expression.
     * @return the matching benchmark names.
     */
    public static List<String> findBenchmarks(final String include) {
        final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        final Set<String> names = new LinkedHashSet<>();
        for (final BenchmarkListEntry entry : BenchmarkList.defaultList()
                .find(
                        OutputFormatFactory.createFormatInstance(quiet, VerboseMode.SILENT),
                        List.of(include),
                        List.of())) {
            names.add(entry.getUsername());
        }
        final List<String> sorted = new ArrayList<>(names);
        sorted.sort((a, b) -> sortKey(a).compareTo(sortKey(b)));
        return sorted;
    }

    private static String sortKey(final String benchmark) {
        final int dot = benchmark.lastIndexOf('.');
        final String method = benchmark.substring(dot + 1);
        return benchmark.substring(0, dot) + (method.startsWith(Comparisons.BESS_PREFIX) ? " 0 " : " 1 ") + method;
    }

    /**
     * Runs one benchmark (every parameter combination of it) and records its scores under {@code round}; a failure is
     * recorded and printed, not thrown, so that one broken benchmark does not lose the others' results.
     *
     * @param round the round label of the scores.
     * @param benchmark the benchmark name, {@code package.Class.method}.
     */
    public void run(final String round, final String benchmark) {
        final Options jmh = new OptionsBuilder()
                .include("^" + Pattern.quote(benchmark) + "$")
                .forks(options.forks())
                .warmupIterations(options.warmupIterations())
                .warmupTime(TimeValue.milliseconds(Math.max(1, options.warmupMs())))
                .measurementIterations(options.measureIterations())
                .measurementTime(TimeValue.milliseconds(options.measureMs()))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        final Collection<RunResult> results;
        try {
            results = new Runner(jmh).run();
        } catch (final RunnerException e) {
            final Throwable cause = e.getCause() != null ? e.getCause() : e;
            final String failure = "round " + round + ": " + benchmark + " failed: " + cause;
            failures.add(failure);
            progress.println(failure);
            return;
        }
        for (final RunResult result : results) {
            final BenchmarkParams params = result.getParams();
            final Result<?> primary = result.getPrimaryResult();
            final Score score = new Score(
                    round,
                    params.getBenchmark(),
                    paramsText(params),
                    params.getMode().shortLabel(),
                    primary.getScore(),
                    primary.getScoreError(),
                    primary.getScoreUnit());
            scores.add(score);
            progress.println(String.format(
                    Locale.ROOT,
                    "  %-6s %s.%s %s: %s %s",
                    round,
                    score.simpleClass(),
                    score.method(),
                    score.params(),
                    ReportWriter.formatNumber(score.score()),
                    score.unit()));
        }
    }

    /**
     * The scores recorded so far, in the order they were measured.
     *
     * @return the live list of scores.
     */
    public List<Score> scores() {
        return scores;
    }

    /**
     * The failures recorded so far, one line each.
     *
     * @return the live list of failures.
     */
    public List<String> failures() {
        return failures;
    }

    private static String paramsText(final BenchmarkParams params) {
        final StringBuilder text = new StringBuilder();
        for (final String key : params.getParamsKeys()) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(key).append('=').append(params.getParam(key));
        }
        return text.toString();
    }
}
