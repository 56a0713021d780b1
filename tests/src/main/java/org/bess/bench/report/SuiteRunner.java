package org.bess.bench.report;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
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
    private final List<Metric> metrics = new ArrayList<>();
    private Path metricsFile;

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
     * The runs of the benchmarks in JMH's list whose name ({@code package.Class.method}) contains a match of
     * {@code include}, one per method and set of parameter values, in the order the suite interleaves them: by class,
     * then by parameter set (in the declared order of the values), then the bess methods, then their peers, each
     * system's methods together with its {@code Write} first, then by name.
     *
     * @param include a regular expression.
     * @return the runs of one round.
     */
    public static List<BenchmarkRun> findRuns(final String include) {
        return findRuns(include, Map.of());
    }

    /**
     * As {@link #findRuns(String)}, with the declared values of some parameters replaced.
     *
     * @param include a regular expression.
     * @param overrides values by parameter name, used instead of the declared ones by every benchmark declaring it.
     * @return the runs of one round.
     */
    public static List<BenchmarkRun> findRuns(final String include, final Map<String, List<String>> overrides) {
        return findRuns(include, Map.of(), overrides);
    }

    /**
     * As {@link #findRuns(String)}, with the parameter sets of a {@link SuitePlan} and the values of some parameters
     * replaced.
     *
     * @param include a regular expression.
     * @param planned parameter sets by simple class name (see {@link SuitePlan#paramSets}); a class not named keeps
     *     its declared values.
     * @param overrides values by parameter name, used instead of the declared and planned ones by every benchmark
     *     declaring it.
     * @return the runs of one round.
     */
    public static List<BenchmarkRun> findRuns(
            final String include,
            final Map<String, List<Map<String, List<String>>>> planned,
            final Map<String, List<String>> overrides) {
        final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        // class -> params text -> runs
        final Map<String, Map<String, List<BenchmarkRun>>> byClass = new TreeMap<>();
        final Set<String> seen = new HashSet<>();
        for (final BenchmarkListEntry entry : BenchmarkList.defaultList()
                .find(
                        OutputFormatFactory.createFormatInstance(quiet, VerboseMode.SILENT),
                        List.of(include),
                        List.of())) {
            if (!seen.add(entry.getUsername())) {
                continue;
            }
            final List<String> jvmArgs = new ArrayList<>();
            jvmArgs.addAll(entry.getJvmArgsPrepend().orElse(List.of()));
            jvmArgs.addAll(entry.getJvmArgs().orElse(List.of()));
            jvmArgs.addAll(entry.getJvmArgsAppend().orElse(List.of()));
            final String className =
                    entry.getUsername().substring(0, entry.getUsername().lastIndexOf('.'));
            final String simpleClass = className.substring(className.lastIndexOf('.') + 1);
            final Set<String> paramsSeen = new HashSet<>();
            for (final Map<String, List<String>> variant : planned.getOrDefault(simpleClass, List.of(Map.of()))) {
                final Map<String, String[]> declared =
                        new TreeMap<>(entry.getParams().orElse(Map.of()));
                for (final Map.Entry<String, String[]> param : declared.entrySet()) {
                    List<String> values = overrides.get(param.getKey());
                    if (values == null) {
                        values = variant.get(param.getKey());
                    }
                    if (values != null) {
                        param.setValue(values.toArray(new String[0]));
                    }
                }
                for (final Map<String, String> params : computeParamSets(declared)) {
                    final BenchmarkRun run = new BenchmarkRun(entry.getUsername(), params, List.copyOf(jvmArgs));
                    if (paramsSeen.add(run.paramsText())) {
                        byClass.computeIfAbsent(run.benchmarkClass(), k -> new LinkedHashMap<>())
                                .computeIfAbsent(run.paramsText(), k -> new ArrayList<>())
                                .add(run);
                    }
                }
            }
        }
        final List<BenchmarkRun> runs = new ArrayList<>();
        for (final Map<String, List<BenchmarkRun>> byParams : byClass.values()) {
            for (final List<BenchmarkRun> sameParams : byParams.values()) {
                // bess first; then each system's methods together, its Write first (the KV readers read the store
                // the write left), then by name
                sameParams.sort(Comparator.comparing(
                                (BenchmarkRun r) -> !r.method().startsWith(Comparisons.BESS_PREFIX))
                        .thenComparing(r -> system(r.method()))
                        .thenComparing(r -> !Comparisons.operation(r.method()).equals("Write"))
                        .thenComparing(BenchmarkRun::method));
                runs.addAll(sameParams);
            }
        }
        return runs;
    }

    private static String system(final String method) {
        return method.substring(
                0, method.length() - Comparisons.operation(method).length());
    }

    /**
     * Every combination of the declared parameter values, names sorted, values in their declared order. A parameter
     * without declared values (an enum left to JMH) makes one unrestricted run instead.
     *
     * @param declared the values of each parameter, as in JMH's benchmark list.
     * @return the parameter sets; one empty set when there are no parameters.
     */
    static List<Map<String, String>> computeParamSets(final Map<String, String[]> declared) {
        List<Map<String, String>> sets = new ArrayList<>();
        sets.add(new LinkedHashMap<>());
        for (final String name : new TreeMap<>(declared).keySet()) {
            final String[] values = declared.get(name);
            if (values == null || values.length == 0) {
                return List.of(Map.of());
            }
            final List<Map<String, String>> extended = new ArrayList<>();
            for (final Map<String, String> set : sets) {
                for (final String value : values) {
                    final Map<String, String> next = new LinkedHashMap<>(set);
                    next.put(name, value);
                    extended.add(next);
                }
            }
            sets = extended;
        }
        return sets;
    }

    /**
     * Runs one benchmark with one set of parameter values and records its scores under {@code round}; a failure is
     * recorded and printed, not thrown, so that one broken benchmark does not lose the others' results.
     *
     * @param round the round label of the scores.
     * @param run the benchmark and its parameter values.
     */
    public void run(final String round, final BenchmarkRun run) {
        run(
                round,
                run,
                new SuitePlan.RunSettings(
                        null,
                        options.warmupIterations(),
                        options.warmupMs(),
                        options.measureIterations(),
                        options.measureMs()));
    }

    /**
     * As {@link #run(String, BenchmarkRun)}, with the given JMH settings.
     *
     * @param round the round label of the scores.
     * @param run the benchmark and its parameter values.
     * @param settings the mode (null: the benchmark's) and iterations.
     */
    public void run(final String round, final BenchmarkRun run, final SuitePlan.RunSettings settings) {
        final String benchmark = run.benchmark();
        final ChainedOptionsBuilder builder = new OptionsBuilder();
        for (final Map.Entry<String, String> param : run.params().entrySet()) {
            builder.param(param.getKey(), param.getValue());
        }
        if (settings.mode() != null) {
            builder.mode(settings.mode());
        }
        builder.include("^" + Pattern.quote(benchmark) + "$")
                .forks(options.forks())
                .warmupIterations(settings.warmupIterations())
                .warmupTime(TimeValue.milliseconds(Math.max(1, settings.warmupMs())))
                .measurementIterations(settings.measureIterations())
                .measurementTime(TimeValue.milliseconds(Math.max(1, settings.measureMs())))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT);
        if (options.forks() > 0 && !options.jvmArgs().isEmpty()) {
            builder.jvmArgsPrepend(options.jvmArgs().toArray(new String[0]));
        }
        final Path metricLines = metricsFile();
        if (options.forks() > 0) {
            builder.jvmArgsPrepend("-D" + Metric.FILE_PROP_NAME + "=" + metricLines);
        } else {
            System.setProperty(Metric.FILE_PROP_NAME, metricLines.toString());
        }
        final Collection<RunResult> results;
        try {
            Files.write(metricLines, new byte[0]); // nothing left over from a failed run
            results = new Runner(builder.build()).run();
            collectMetricLines(round, metricLines);
        } catch (final RunnerException | IOException | RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            // JMH's BenchmarkException carries the benchmark's own exception as a suppressed one
            if (cause.getSuppressed().length > 0) {
                cause = cause.getSuppressed()[0];
            }
            final String failure = "round " + round + ": " + benchmark + " " + run.paramsText() + " failed: " + cause;
            failures.add(failure);
            progress.println(failure);
            return;
        } finally {
            if (options.forks() == 0) {
                System.clearProperty(Metric.FILE_PROP_NAME);
            }
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
            for (final String label : result.getSecondaryResults().keySet()) {
                if (isReported(label)) {
                    final Result<?> secondary = result.getSecondaryResults().get(label);
                    metrics.add(new Metric(
                            round,
                            score.benchmark(),
                            score.params(),
                            label,
                            secondary.getScore(),
                            secondary.getScoreUnit()));
                }
            }
            progress.println(String.format(
                    Locale.ROOT,
                    "  %-6s %s.%s%s: %s %s",
                    round,
                    score.simpleClass(),
                    score.method(),
                    score.params().isEmpty() ? "" : " " + score.params(),
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
     * The metrics recorded so far: the median and 99th percentile of sampled times, and what the benchmarks wrote into
     * the metrics file (see {@link Metric}), in the order they were measured.
     *
     * @return the live list of metrics.
     */
    public List<Metric> metrics() {
        return metrics;
    }

    /**
     * Whether a secondary result of JMH goes into the report: of the percentiles of a sampled time only the median and
     * the 99th, and every other secondary result (counters of {@code @AuxCounters}).
     *
     * @param label the secondary result's label, e.g. {@code p0.99}.
     * @return true when the report shows it.
     */
    static boolean isReported(final String label) {
        final boolean percentile = label.startsWith("p0.") || label.startsWith("p1.");
        return !percentile || label.equals("p0.50") || label.equals("p0.99");
    }

    private Path metricsFile() {
        if (metricsFile == null) {
            try {
                metricsFile = Files.createTempFile("bess-bench-metrics-", ".tsv");
                metricsFile.toFile().deleteOnExit();
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot create the metrics file of the suite", e);
            }
        }
        return metricsFile;
    }

    private void collectMetricLines(final String round, final Path file) throws IOException {
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (final String line : lines) {
            if (!line.isBlank()) {
                metrics.add(Metric.parse(round, line));
            }
        }
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
        final Map<String, String> values = new LinkedHashMap<>();
        for (final String key : new TreeSet<>(params.getParamsKeys())) {
            values.put(key, params.getParam(key));
        }
        return BenchmarkRun.computeParamsText(values);
    }
}
