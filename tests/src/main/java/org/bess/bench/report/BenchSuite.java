package org.bess.bench.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The benchmark suite of {@code ./bess bench}: calibration, interleaved rounds of every bess method and its peers,
 * calibration again, then the report ({@code <out>/<yyyy-MM-dd'T'HH-mm>.md} and {@code .csv}). Machines are shared and
 * noisy, so the systems of a comparison alternate in time (round 1: bess, peer; round 2: bess, peer; ...) and the
 * report gives the median ratio over rounds with its spread, and the calibration primitives before and after, which
 * show whether the machine changed speed during the run. See {@link SuiteOptions#USAGE} for the options.
 */
public final class BenchSuite {
    /** The system property the launcher sets to the command line the user typed. */
    public static final String COMMAND_PROP_NAME = "bess.bench.command";

    private static final DateTimeFormatter FILE_NAME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm", Locale.ROOT);
    private static final DateTimeFormatter HUMAN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z", Locale.ROOT);

    private BenchSuite() {}

    /**
     * Runs the suite and exits: 0 when every benchmark ran, 1 when some failed (the report is written anyway), 2 for a
     * usage error.
     *
     * @param args see {@link SuiteOptions#USAGE}.
     * @throws IOException when the report cannot be written.
     */
    public static void main(final String[] args) throws IOException {
        System.exit(run(args, System.out));
    }

    /**
     * Runs the suite, printing progress, the path of the report and the comparison table to {@code out}.
     *
     * @param args see {@link SuiteOptions#USAGE}.
     * @param out where progress and results are printed.
     * @return the exit status: 0 when every benchmark ran, 1 when some failed, 2 for a usage error.
     * @throws IOException when the report cannot be written.
     */
    public static int run(final String[] args, final PrintStream out) throws IOException {
        final SuiteOptions options;
        try {
            options = SuiteOptions.parse(args);
        } catch (final IllegalArgumentException e) {
            out.println("bench: " + e.getMessage());
            out.print(SuiteOptions.USAGE);
            return 2;
        }
        if (options.help()) {
            out.print(SuiteOptions.USAGE);
            return 0;
        }
        final ZonedDateTime startedAt = ZonedDateTime.now();
        final long startNs = System.nanoTime();
        final String loadAtStart = MachineInfo.loadAverage();
        final List<BenchmarkRun> calibration =
                SuiteRunner.findRuns("^" + Pattern.quote(SuiteRunner.CALIBRATION_CLASS + ".") + ".*");
        // class and parameter set -> runs of one round, in the order of findRuns (bess first, then its peers)
        final Map<String, List<BenchmarkRun>> groups = new LinkedHashMap<>();
        int runCount = 0;
        for (final BenchmarkRun run :
                SuiteRunner.findRuns(options.include(), SuitePlan.paramSets(options.quick()), options.params())) {
            if (!run.benchmarkClass().equals(SuiteRunner.CALIBRATION_CLASS)) {
                groups.computeIfAbsent(run.benchmarkClass() + " " + run.paramsText(), k -> new ArrayList<>())
                        .add(run);
                runCount++;
            }
        }
        out.println("bench: " + calibration.size() + " calibration runs, then " + runCount + " benchmark runs in "
                + groups.size() + " groups x " + options.rounds() + " rounds, then calibration again; "
                + options.describe());

        final SuiteRunner runner = new SuiteRunner(options, out);
        runCalibration(runner, options, calibration, Score.CALIBRATION_START, out);
        int groupNumber = 0;
        for (final Map.Entry<String, List<BenchmarkRun>> group : groups.entrySet()) {
            groupNumber++;
            out.println("group " + groupNumber + " of " + groups.size() + ": " + group.getKey() + " ("
                    + formatDuration(Duration.ofNanos(System.nanoTime() - startNs)) + " so far)");
            final List<GroupRunner.Planned> planned = new ArrayList<>();
            for (int round = 1; round <= options.rounds(); round++) {
                for (final BenchmarkRun run : group.getValue()) {
                    planned.add(
                            new GroupRunner.Planned(Integer.toString(round), run, SuitePlan.settings(run, options)));
                }
            }
            GroupRunner.runGroup(runner, options, planned, out);
        }
        runCalibration(runner, options, calibration, Score.CALIBRATION_END, out);

        final List<Comparison> comparisons = Comparisons.computeComparisons(runner.scores());
        final Report report = new Report(
                startedAt.format(HUMAN),
                formatDuration(Duration.ofNanos(System.nanoTime() - startNs)),
                MachineInfo.collect(),
                System.getProperty(COMMAND_PROP_NAME, "BenchSuite " + String.join(" ", args)),
                options.describe(),
                SuitePlan.describe(options),
                loadAtStart,
                MachineInfo.loadAverage(),
                runner.scores(),
                comparisons,
                runner.failures(),
                runner.metrics());
        final Path markdown = write(options.outDir(), startedAt.format(FILE_NAME), report);
        out.println();
        out.println("bench: report written to " + markdown + " (and .csv)");
        out.println();
        out.print(ReportWriter.goalTable(comparisons));
        out.println();
        out.print(ReportWriter.comparisonTable(comparisons));
        if (!runner.metrics().isEmpty()) {
            out.println();
            out.print(ReportWriter.metricTable(runner.metrics()));
        }
        out.println();
        out.println("bench: total wall time " + report.duration() + " (load average " + loadAtStart + " at the start, "
                + report.loadAtEnd() + " at the end)");
        if (!runner.failures().isEmpty()) {
            out.println("bench: " + runner.failures().size() + " benchmark run(s) failed; see the report");
            return 1;
        }
        return 0;
    }

    private static void runCalibration(
            final SuiteRunner runner,
            final SuiteOptions options,
            final List<BenchmarkRun> calibration,
            final String round,
            final PrintStream out) {
        out.println("calibration (" + round + ")");
        final int before = runner.scores().size();
        final List<GroupRunner.Planned> planned = new ArrayList<>();
        for (final BenchmarkRun run : calibration) {
            planned.add(new GroupRunner.Planned(
                    round,
                    run,
                    new SuitePlan.RunSettings(
                            null,
                            options.warmupIterations(),
                            options.warmupMs(),
                            options.measureIterations(),
                            options.measureMs())));
        }
        GroupRunner.runGroup(runner, options, planned, out);
        out.print(ReportWriter.calibrationTable(
                runner.scores().subList(before, runner.scores().size())));
    }

    /**
     * Writes the markdown report and the CSV beside it, under a name that does not exist yet.
     *
     * @param outDir the directory, created when missing.
     * @param baseName the file name without extension, e.g. {@code 2026-11-21T06-40}.
     * @param report the report.
     * @return the path of the markdown file.
     * @throws IOException when a file cannot be written.
     */
    static Path write(final Path outDir, final String baseName, final Report report) throws IOException {
        Files.createDirectories(outDir);
        String name = baseName;
        // two runs in one minute must not overwrite each other
        for (int i = 2;
                Files.exists(outDir.resolve(name + ".md")) || Files.exists(outDir.resolve(name + ".csv"));
                i++) {
            name = baseName + "-" + i;
        }
        final Path markdown = outDir.resolve(name + ".md");
        Files.writeString(markdown, ReportWriter.markdown(report), StandardCharsets.UTF_8);
        Files.writeString(
                outDir.resolve(name + ".csv"),
                ReportWriter.csv(report.scores(), report.metrics()),
                StandardCharsets.UTF_8);
        return markdown;
    }

    private static String formatDuration(final Duration duration) {
        return duration.toMinutes() + " min " + duration.toSecondsPart() + " s";
    }
}
