package org.bess.bench.report;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Renders a {@link Report} as markdown and its scores as CSV. Pure: text in, text out. Numbers are printed with
 * {@link Locale#ROOT} and three or four significant digits.
 */
public final class ReportWriter {
    /** The header row of the CSV. */
    public static final String CSV_HEADER = "round,class,method,params,mode,score,error,unit";

    private static final String NL = "\n";

    private ReportWriter() {}

    /**
     * The whole markdown report: machine, JDK, command, load, how to read it, calibration, comparisons, benchmarks
     * without a peer, failures and every raw score.
     *
     * @param report what to render.
     * @return the markdown text.
     */
    public static String markdown(final Report report) {
        final MachineInfo machine = report.machine();
        final StringBuilder md = new StringBuilder();
        md.append("# bess benchmark report, ")
                .append(report.startedAt())
                .append(NL)
                .append(NL);
        md.append("- Date: ")
                .append(report.startedAt())
                .append(" (took ")
                .append(report.duration())
                .append(')')
                .append(NL);
        md.append("- Command: `").append(report.commandLine()).append('`').append(NL);
        md.append("- Machine: ")
                .append(machine.cores())
                .append(" cores (")
                .append(machine.cpuModel())
                .append("), ")
                .append(machine.memory())
                .append(" memory, ")
                .append(machine.kernel())
                .append(NL);
        md.append("- JDK: ").append(machine.jdk()).append(NL);
        md.append("- Load average (1, 5, 15 min): ")
                .append(report.loadAtStart())
                .append(" at the start, ")
                .append(report.loadAtEnd())
                .append(" at the end")
                .append(NL);
        md.append("- Settings: ").append(report.settings()).append(NL).append(NL);
        md.append("## What ran").append(NL).append(NL);
        for (final String line : report.plan()) {
            md.append(line).append(NL);
        }
        md.append(NL);
        md.append("Each comparison is a `bess*` method against another method (the peer) of the same benchmark class")
                .append(" with the same parameters. The methods of one class and parameter set ran in one JVM,")
                .append(" interleaved in rounds (round 1: bess, peers; round 2: bess, peers; ...),")
                .append(" each method as its own JMH run")
                .append(" with its own trial setup. The ratio is bess's time per operation over the")
                .append(" peer's (throughput scores are inverted into time per operation first), so **below 1 means")
                .append(" bess is faster**. It is the median of the per-round ratios; the spread is their minimum and")
                .append(" maximum. Scores are the medians over rounds, in JMH's units.")
                .append(NL)
                .append(NL);
        md.append("## Calibration").append(NL).append(NL);
        md.append(calibrationTable(report.scores())).append(NL);
        md.append("## Goals").append(NL).append(NL);
        md.append("The issue's goals as time ratios bess/peer (a throughput goal \"at least 5x\" is a time ratio of")
                .append(" at most 0.2); `distance` is the measured ratio over the goal's, above 1 means the goal is")
                .append(" missed by that factor.")
                .append(NL)
                .append(NL);
        md.append(goalTable(report.comparisons())).append(NL);
        md.append("## Comparisons").append(NL).append(NL);
        md.append(comparisonTable(report.comparisons())).append(NL);
        final String unpaired = unpairedTable(report.scores(), report.comparisons());
        if (!unpaired.isEmpty()) {
            md.append("## Without a peer").append(NL).append(NL);
            md.append("Benchmarks of a class without both a `bess*` method and a peer: the median score over rounds.")
                    .append(NL)
                    .append(NL);
            md.append(unpaired).append(NL);
        }
        if (!report.metrics().isEmpty()) {
            md.append("## Percentiles, resources and counters").append(NL).append(NL);
            md.append("What a run measured besides its score: `p0.50` and `p0.99` of sampled times (JMH `SampleTime`),")
                    .append(" and what the benchmark wrote at the end of its fork: `peakRssMiB` is `VmHWM` of")
                    .append(" `/proc/self/status` (the JVM's peak resident memory, heap and mapped files included),")
                    .append(" space on disk against the raw data, and engine counters over the measurement")
                    .append(" iterations. The median over rounds, with the minimum and maximum.")
                    .append(NL)
                    .append(NL);
            md.append(metricTable(report.metrics())).append(NL);
        }
        if (!report.failures().isEmpty()) {
            md.append("## Failures").append(NL).append(NL);
            for (final String failure : report.failures()) {
                md.append("- ").append(failure).append(NL);
            }
            md.append(NL);
        }
        md.append("## Raw scores").append(NL).append(NL);
        md.append(rawTable(report.scores()));
        md.append(NL)
                .append("Total wall time of the suite: ")
                .append(report.duration())
                .append(" (load average ")
                .append(report.loadAtStart())
                .append(" at the start, ")
                .append(report.loadAtEnd())
                .append(" at the end).")
                .append(NL);
        return md.toString();
    }

    /** One goal of the issue: which comparisons it applies to and the largest time ratio that meets it. */
    private record Goal(String text, String benchmarkClass, String paramsPart, String bess, String peer, double max) {}

    private static final List<Goal> GOALS = List.of(
            new Goal(
                    "hot read by reference <= 0.5x lmdbjava get",
                    "StorageReadBenchmark",
                    "",
                    "bessReadByRef",
                    "lmdbGet",
                    0.5),
            new Goal(
                    "hot read by reference <= 0.5x lmdbjava get",
                    "StorageReadBenchmark",
                    "",
                    "bessReadLongByRef",
                    "lmdbGetLong",
                    0.5),
            new Goal(
                    "hot read by reference <= 0.5x lmdbjava get", "KvBenchmark", "", "bessReadKey", "lmdbReadKey", 0.5),
            new Goal("OO7 hot T1 <= 2x plain heap objects", "Oo7Benchmark", "op=T1", "bess", "heap", 2.0),
            new Goal("OO7 hot T1 <= 0.2x OO7 on lmdbjava", "Oo7Benchmark", "op=T1", "bess", "lmdb", 0.2),
            new Goal(
                    "durable commits >= 5x lmdbjava at 8 committers",
                    "DurableCommit08Benchmark",
                    "",
                    "bessCommit",
                    "lmdbCommit",
                    0.2),
            new Goal(
                    "durable commits >= 5x lmdbjava at 16 committers",
                    "DurableCommit16Benchmark",
                    "",
                    "bessCommit",
                    "lmdbCommit",
                    0.2));

    /**
     * The table of the goals: for each comparison a goal applies to, the median ratio, its spread, the goal's
     * ratio and whether it is met.
     *
     * @param comparisons all comparisons of the run.
     * @return a markdown table, or a sentence when no comparison of a goal ran.
     */
    public static String goalTable(final List<Comparison> comparisons) {
        final StringBuilder md = new StringBuilder();
        md.append("| goal | workload | params | bess/peer time (median) | spread | goal | distance | met |")
                .append(NL);
        md.append("| --- | --- | --- | ---: | --- | ---: | ---: | --- |").append(NL);
        int rows = 0;
        for (final Goal goal : GOALS) {
            for (final Comparison c : comparisons) {
                if (c.benchmarkClass().equals(goal.benchmarkClass())
                        && c.bessMethod().equals(goal.bess())
                        && c.peerMethod().equals(goal.peer())
                        && (goal.paramsPart().isEmpty()
                                || ("," + c.params() + ",").contains("," + goal.paramsPart() + ","))) {
                    rows++;
                    md.append("| ")
                            .append(goal.text())
                            .append(" | ")
                            .append(c.benchmarkClass())
                            .append('.')
                            .append(c.bessMethod())
                            .append(" / ")
                            .append(c.peerMethod())
                            .append(" | ")
                            .append(c.params())
                            .append(" | ")
                            .append(formatNumber(c.medianRatio()))
                            .append(" | ")
                            .append(formatNumber(c.minRatio()))
                            .append('–')
                            .append(formatNumber(c.maxRatio()))
                            .append(" | <= ")
                            .append(formatNumber(goal.max()))
                            .append(" | ")
                            .append(formatNumber(c.medianRatio() / goal.max()))
                            .append(" | ")
                            .append(c.medianRatio() <= goal.max() ? "yes" : "**no**")
                            .append(" |")
                            .append(NL);
                }
            }
        }
        if (rows == 0) {
            return "No comparison of a goal ran (see `--include`)." + NL;
        }
        return md.toString();
    }

    /**
     * The comparison table: workload, params, bess method and score, peer method and score, median ratio, spread.
     *
     * @param comparisons the rows.
     * @return a markdown table, or a sentence when there is no comparison.
     */
    public static String comparisonTable(final List<Comparison> comparisons) {
        if (comparisons.isEmpty()) {
            return "No comparisons: no benchmark class with both a bess method and a peer ran." + NL;
        }
        final StringBuilder md = new StringBuilder();
        md.append("| workload | params | bess | bess score | peer | peer score | bess/peer time (median) ")
                .append("| spread (min–max) | rounds |")
                .append(NL);
        md.append("| --- | --- | --- | ---: | --- | ---: | ---: | --- | ---: |").append(NL);
        for (final Comparison c : comparisons) {
            md.append("| ")
                    .append(c.benchmarkClass())
                    .append(" | ")
                    .append(c.params())
                    .append(" | ")
                    .append(c.bessMethod())
                    .append(" | ")
                    .append(formatNumber(c.bessScore()))
                    .append(' ')
                    .append(c.bessUnit())
                    .append(" | ")
                    .append(c.peerMethod())
                    .append(" | ")
                    .append(formatNumber(c.peerScore()))
                    .append(' ')
                    .append(c.peerUnit())
                    .append(" | ")
                    .append(formatNumber(c.medianRatio()))
                    .append(" | ")
                    .append(formatNumber(c.minRatio()))
                    .append('–')
                    .append(formatNumber(c.maxRatio()))
                    .append(" | ")
                    .append(c.roundCount())
                    .append(" |")
                    .append(NL);
        }
        return md.toString();
    }

    /**
     * The table of the benchmarks of the rounds that are in no comparison, with their median score over rounds.
     *
     * @param scores all scores; calibration scores are left out.
     * @param comparisons the comparisons computed from {@code scores}.
     * @return a markdown table, or empty when every benchmark is in a comparison.
     */
    public static String unpairedTable(final List<Score> scores, final List<Comparison> comparisons) {
        final Set<String> paired = new HashSet<>();
        for (final Comparison c : comparisons) {
            paired.add(c.benchmarkClass() + "." + c.bessMethod() + "\n" + c.params());
            paired.add(c.benchmarkClass() + "." + c.peerMethod() + "\n" + c.params());
        }
        final Map<String, List<Score>> unpaired = new LinkedHashMap<>();
        for (final Score score : scores) {
            final String key = score.simpleClass() + "." + score.method() + "\n" + score.params();
            if (!score.isCalibration() && !paired.contains(key)) {
                unpaired.computeIfAbsent(key, k -> new ArrayList<>()).add(score);
            }
        }
        if (unpaired.isEmpty()) {
            return "";
        }
        final StringBuilder md = new StringBuilder();
        md.append("| benchmark | params | score (median) | rounds |").append(NL);
        md.append("| --- | --- | ---: | ---: |").append(NL);
        for (final List<Score> rounds : unpaired.values()) {
            final Score first = rounds.get(0);
            final double[] sorted =
                    rounds.stream().mapToDouble(Score::score).sorted().toArray();
            md.append("| ")
                    .append(first.simpleClass())
                    .append('.')
                    .append(first.method())
                    .append(" | ")
                    .append(first.params())
                    .append(" | ")
                    .append(formatNumber(Comparisons.computeMedian(sorted)))
                    .append(' ')
                    .append(first.unit())
                    .append(" | ")
                    .append(sorted.length)
                    .append(" |")
                    .append(NL);
        }
        return md.toString();
    }

    /**
     * The table of metrics: one row per benchmark, parameter set and metric, with the median over rounds and the
     * spread, in the order they were first measured.
     *
     * @param metrics the metrics of every round.
     * @return a markdown table, or empty when there is no metric.
     */
    public static String metricTable(final List<Metric> metrics) {
        final Map<String, List<Metric>> rows = new LinkedHashMap<>();
        for (final Metric m : metrics) {
            rows.computeIfAbsent(m.benchmark() + "\n" + m.params() + "\n" + m.name(), k -> new ArrayList<>())
                    .add(m);
        }
        if (rows.isEmpty()) {
            return "";
        }
        final StringBuilder md = new StringBuilder();
        md.append("| workload | params | method | metric | median | spread (min–max) | rounds |")
                .append(NL);
        md.append("| --- | --- | --- | --- | ---: | --- | ---: |").append(NL);
        for (final List<Metric> rounds : rows.values()) {
            final Metric first = rounds.get(0);
            final double[] sorted =
                    rounds.stream().mapToDouble(Metric::value).sorted().toArray();
            md.append("| ")
                    .append(first.simpleClass())
                    .append(" | ")
                    .append(first.params())
                    .append(" | ")
                    .append(first.method())
                    .append(" | ")
                    .append(first.name())
                    .append(" | ")
                    .append(formatNumber(Comparisons.computeMedian(sorted)))
                    .append(' ')
                    .append(first.unit())
                    .append(" | ")
                    .append(formatNumber(sorted[0]))
                    .append('–')
                    .append(formatNumber(sorted[sorted.length - 1]))
                    .append(" | ")
                    .append(sorted.length)
                    .append(" |")
                    .append(NL);
        }
        return md.toString();
    }

    /**
     * The calibration table: each calibration benchmark's score at the start and at the end of the suite (a column
     * only when some score of it exists, so that the start table can be printed before the end ran).
     *
     * @param scores all scores; only the calibration ones are used.
     * @return a markdown table, or a sentence when no calibration ran.
     */
    public static String calibrationTable(final List<Score> scores) {
        final Map<String, Score[]> rows = new LinkedHashMap<>();
        for (final Score score : scores) {
            if (score.isCalibration()) {
                final Score[] row = rows.computeIfAbsent(score.method() + "\n" + score.params(), k -> new Score[2]);
                row[Score.CALIBRATION_START.equals(score.round()) ? 0 : 1] = score;
            }
        }
        if (rows.isEmpty()) {
            return "No calibration ran." + NL;
        }
        final boolean hasStart = rows.values().stream().anyMatch(row -> row[0] != null);
        final boolean hasEnd = rows.values().stream().anyMatch(row -> row[1] != null);
        final StringBuilder md = new StringBuilder();
        md.append("| primitive | params |")
                .append(hasStart ? " start |" : "")
                .append(hasEnd ? " end |" : "")
                .append(NL);
        md.append("| --- | --- |")
                .append(hasStart ? " ---: |" : "")
                .append(hasEnd ? " ---: |" : "")
                .append(NL);
        for (final Score[] row : rows.values()) {
            final Score any = row[0] != null ? row[0] : row[1];
            md.append("| ")
                    .append(any.method())
                    .append(" | ")
                    .append(any.params())
                    .append(" |");
            if (hasStart) {
                md.append(' ').append(scoreText(row[0])).append(" |");
            }
            if (hasEnd) {
                md.append(' ').append(scoreText(row[1])).append(" |");
            }
            md.append(NL);
        }
        return md.toString();
    }

    /**
     * The table of every score, in the order the runs happened.
     *
     * @param scores the rows.
     * @return a markdown table.
     */
    public static String rawTable(final List<Score> scores) {
        final StringBuilder md = new StringBuilder();
        md.append("| round | benchmark | params | mode | score | error (99.9%) | unit |")
                .append(NL);
        md.append("| --- | --- | --- | --- | ---: | ---: | --- |").append(NL);
        for (final Score s : scores) {
            md.append("| ")
                    .append(s.round())
                    .append(" | ")
                    .append(s.simpleClass())
                    .append('.')
                    .append(s.method())
                    .append(" | ")
                    .append(s.params())
                    .append(" | ")
                    .append(s.mode())
                    .append(" | ")
                    .append(formatNumber(s.score()))
                    .append(" | ")
                    .append(Double.isNaN(s.error()) ? "" : formatNumber(s.error()))
                    .append(" | ")
                    .append(s.unit())
                    .append(" |")
                    .append(NL);
        }
        return md.toString();
    }

    /**
     * The CSV of every score and metric: {@value #CSV_HEADER}, one row per score, then one per metric (mode
     * {@code metric}, method {@code method:name}), full precision.
     *
     * @param scores the score rows.
     * @param metrics the metric rows.
     * @return the CSV text, header first.
     */
    public static String csv(final List<Score> scores, final List<Metric> metrics) {
        final StringBuilder csv = new StringBuilder(csv(scores));
        for (final Metric m : metrics) {
            csv.append(csvField(m.round()))
                    .append(',')
                    .append(csvField(m.simpleClass()))
                    .append(',')
                    .append(csvField(m.method() + ":" + m.name()))
                    .append(',')
                    .append(csvField(m.params()))
                    .append(",metric,")
                    .append(m.value())
                    .append(",,")
                    .append(csvField(m.unit()))
                    .append(NL);
        }
        return csv.toString();
    }

    /**
     * The CSV of every score: {@value #CSV_HEADER}, one row per score, full precision.
     *
     * @param scores the rows.
     * @return the CSV text, header first.
     */
    public static String csv(final List<Score> scores) {
        final StringBuilder csv = new StringBuilder(CSV_HEADER).append(NL);
        for (final Score s : scores) {
            csv.append(csvField(s.round()))
                    .append(',')
                    .append(csvField(s.simpleClass()))
                    .append(',')
                    .append(csvField(s.method()))
                    .append(',')
                    .append(csvField(s.params()))
                    .append(',')
                    .append(csvField(s.mode()))
                    .append(',')
                    .append(s.score())
                    .append(',')
                    .append(Double.isNaN(s.error()) ? "" : Double.toString(s.error()))
                    .append(',')
                    .append(csvField(s.unit()))
                    .append(NL);
        }
        return csv.toString();
    }

    /**
     * A number with three or four significant digits, without an exponent for everyday magnitudes.
     *
     * @param value the number.
     * @return e.g. {@code 1234}, {@code 123.4}, {@code 12.34}, {@code 1.234}, {@code 0.123}.
     */
    public static String formatNumber(final double value) {
        final double magnitude = Math.abs(value);
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return Double.toString(value);
        } else if (magnitude >= 1000) {
            return String.format(Locale.ROOT, "%.0f", value);
        } else if (magnitude >= 100) {
            return String.format(Locale.ROOT, "%.1f", value);
        } else if (magnitude >= 10) {
            return String.format(Locale.ROOT, "%.2f", value);
        } else if (magnitude >= 1) {
            return String.format(Locale.ROOT, "%.3f", value);
        }
        return String.format(Locale.ROOT, "%.3g", value);
    }

    private static String scoreText(final Score score) {
        return score == null ? "—" : formatNumber(score.score()) + " " + score.unit();
    }

    private static String csvField(final String field) {
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0) {
            return field;
        }
        return '"' + field.replace("\"", "\"\"") + '"';
    }
}
