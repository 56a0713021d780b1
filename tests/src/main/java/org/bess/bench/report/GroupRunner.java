package org.bess.bench.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Mode;

/**
 * Runs one group of the suite (the methods of one benchmark class with one parameter set, over every round) in one
 * child JVM, so that the systems of a comparison alternate in one process (round 1: bess, peer; round 2: bess, peer;
 * ...) and the group pays for one JVM start instead of one per method and round. Inside the child each method runs as
 * its own JMH run in that JVM ({@code forks(0)}), with its own trial setup and teardown; what the JIT compiled for the
 * first round stays compiled for the next ones, for every system alike. The child writes its scores, metrics and
 * failures to a file the suite reads back; its progress lines go to the suite's output.
 *
 * <p>A run in the same JVM as other systems' runs shares their JIT and heap: the profile of a shared call site (e.g.
 * {@code Oo7Store.run}) sees every system, and the heap keeps what earlier runs left committed, which the peak RSS of a
 * later run includes (the KV benchmarks close the other system's store and reset the peak before they load). That is
 * the price of interleaving in one process, as the issue asks; a class-and-parameters group holds only the systems of
 * one comparison.
 */
public final class GroupRunner {
    private static final String TAB = "\t";
    private static final String SCORE = "S";
    private static final String METRIC = "M";
    private static final String FAILURE = "F";

    private GroupRunner() {}

    /**
     * One run of a group: a benchmark with its parameters, in a round, with its JMH settings.
     *
     * @param round the round label.
     * @param run the benchmark and its parameters.
     * @param settings its JMH settings.
     */
    public record Planned(String round, BenchmarkRun run, SuitePlan.RunSettings settings) {}

    /**
     * Runs a group: in the suite's JVM when {@code options.forks()} is 0 (tests), else in one child JVM.
     *
     * @param runner the runner whose scores, metrics and failures receive the results.
     * @param options the suite's options.
     * @param group the runs, in order.
     * @param progress where progress lines go.
     */
    public static void runGroup(
            final SuiteRunner runner,
            final SuiteOptions options,
            final List<Planned> group,
            final PrintStream progress) {
        if (group.isEmpty()) {
            return;
        }
        if (options.forks() == 0) {
            for (final Planned p : group) {
                runner.run(p.round(), p.run(), p.settings());
            }
            return;
        }
        final String name =
                group.get(0).run().benchmarkClass() + " " + group.get(0).run().paramsText();
        try {
            final Path plan = Files.createTempFile("bess-bench-group-", ".plan");
            final Path results = Files.createTempFile("bess-bench-group-", ".results");
            try {
                Files.write(plan, planLines(group), StandardCharsets.UTF_8);
                final int status = runChild(options, group, plan, results, progress);
                final int before = runner.scores().size() + runner.failures().size();
                readResults(Files.readAllLines(results, StandardCharsets.UTF_8), runner);
                if (status != 0) {
                    final String failure = "group " + name + ": the benchmark JVM exited with status " + status;
                    runner.failures().add(failure);
                    progress.println(failure);
                } else if (runner.scores().size() + runner.failures().size() == before) {
                    runner.failures().add("group " + name + ": the benchmark JVM wrote no result");
                }
            } finally {
                Files.deleteIfExists(plan);
                Files.deleteIfExists(results);
            }
        } catch (final IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            final String failure = "group " + name + " failed: " + e;
            runner.failures().add(failure);
            progress.println(failure);
        }
    }

    private static int runChild(
            final SuiteOptions options,
            final List<Planned> group,
            final Path plan,
            final Path results,
            final PrintStream progress)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options.jvmArgs());
        // the benchmarks' own @Fork options (add-opens, -Xmx), once each in the order first seen
        final LinkedHashSet<String> declared = new LinkedHashSet<>();
        final List<String> jvmArgs = new ArrayList<>();
        for (final Planned p : group) {
            for (int i = 0; i < p.run().jvmArgs().size(); i++) {
                final String arg = p.run().jvmArgs().get(i);
                if (arg.equals("--add-opens") && i + 1 < p.run().jvmArgs().size()) {
                    final String target = p.run().jvmArgs().get(++i);
                    if (declared.add(arg + " " + target)) {
                        jvmArgs.add(arg);
                        jvmArgs.add(target);
                    }
                } else if (declared.add(arg)) {
                    jvmArgs.add(arg);
                }
            }
        }
        command.addAll(jvmArgs);
        command.add("-Djmh.ignoreLock=true");
        for (final String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("bess.") && !key.equals(Metric.FILE_PROP_NAME)) {
                command.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(GroupRunner.class.getName());
        command.add(plan.toString());
        command.add(results.toString());
        final Process child = new ProcessBuilder(command)
                .redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                progress.println(line);
            }
        } finally {
            if (!child.waitFor(1, TimeUnit.MINUTES)) {
                child.destroyForcibly();
                child.waitFor();
            }
        }
        return child.exitValue();
    }

    /**
     * The child JVM of a group: runs the planned runs of the file {@code args[0]} in this JVM and writes the results to
     * the file {@code args[1]}.
     *
     * @param args the plan file and the results file.
     * @throws IOException when a file cannot be read or written.
     */
    public static void main(final String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: GroupRunner PLAN_FILE RESULTS_FILE: args=" + List.of(args));
        }
        final List<Planned> group = parsePlan(Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8));
        final SuiteOptions inProcess = SuiteOptions.parse(new String[] {"--forks", "0"});
        final SuiteRunner runner = new SuiteRunner(inProcess, System.out);
        for (final Planned p : group) {
            runner.run(p.round(), p.run(), p.settings());
        }
        Files.write(Path.of(args[1]), resultLines(runner), StandardCharsets.UTF_8);
        System.out.flush();
        // a benchmark may leave non-daemon threads (an engine's flusher): the results are written, end the JVM
        System.exit(0);
    }

    /**
     * The plan file's lines: round, benchmark, parameters, mode ({@code -} for the benchmark's), warmup iterations and
     * milliseconds, measurement iterations and milliseconds, tab-separated.
     *
     * @param group the runs.
     * @return one line per run.
     */
    static List<String> planLines(final List<Planned> group) {
        final List<String> lines = new ArrayList<>();
        for (final Planned p : group) {
            final SuitePlan.RunSettings s = p.settings();
            lines.add(String.join(
                    TAB,
                    p.round(),
                    p.run().benchmark(),
                    p.run().paramsText(),
                    s.mode() == null ? "-" : s.mode().shortLabel(),
                    Integer.toString(s.warmupIterations()),
                    Long.toString(s.warmupMs()),
                    Integer.toString(s.measureIterations()),
                    Long.toString(s.measureMs())));
        }
        return lines;
    }

    /**
     * Parses the lines of {@link #planLines}.
     *
     * @param lines the lines.
     * @return the runs.
     * @throws IllegalArgumentException naming a line that does not have 8 fields or a field that does not parse.
     */
    static List<Planned> parsePlan(final List<String> lines) {
        final List<Planned> group = new ArrayList<>();
        for (final String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            final String[] f = line.split(TAB, -1);
            if (f.length != 8) {
                throw new IllegalArgumentException("plan line needs 8 tab-separated fields: line=" + line);
            }
            final Map<String, String> params = new LinkedHashMap<>();
            if (!f[2].isEmpty()) {
                for (final String pair : f[2].split(",", -1)) {
                    final int eq = pair.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("plan parameter is not name=value: line=" + line);
                    }
                    params.put(pair.substring(0, eq), pair.substring(eq + 1));
                }
            }
            try {
                group.add(new Planned(
                        f[0],
                        new BenchmarkRun(f[1], params),
                        new SuitePlan.RunSettings(
                                f[3].equals("-") ? null : Mode.deepValueOf(f[3]),
                                Integer.parseInt(f[4]),
                                Long.parseLong(f[5]),
                                Integer.parseInt(f[6]),
                                Long.parseLong(f[7]))));
            } catch (final IllegalArgumentException | IllegalStateException e) {
                throw new IllegalArgumentException("plan line does not parse: line=" + line, e);
            }
        }
        return group;
    }

    /**
     * The results file's lines: every score, metric and failure of a runner.
     *
     * @param runner the runner.
     * @return the lines.
     */
    static List<String> resultLines(final SuiteRunner runner) {
        final List<String> lines = new ArrayList<>();
        for (final Score s : runner.scores()) {
            lines.add(String.join(
                    TAB,
                    SCORE,
                    s.round(),
                    s.benchmark(),
                    s.params(),
                    s.mode(),
                    Double.toString(s.score()),
                    Double.toString(s.error()),
                    s.unit()));
        }
        for (final Metric m : runner.metrics()) {
            lines.add(String.join(
                    TAB, METRIC, m.round(), Metric.format(m.benchmark(), m.params(), m.name(), m.value(), m.unit())));
        }
        for (final String failure : runner.failures()) {
            lines.add(FAILURE + TAB + failure.replace('\t', ' ').replace('\n', ' '));
        }
        return lines;
    }

    /**
     * Adds the results of {@link #resultLines} to a runner.
     *
     * @param lines the lines.
     * @param runner the runner receiving them.
     * @throws IllegalArgumentException naming a line that does not parse.
     */
    static void readResults(final List<String> lines, final SuiteRunner runner) {
        for (final String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            final String[] f = line.split(TAB, 3);
            switch (f[0]) {
                case SCORE -> {
                    final String[] s = line.split(TAB, -1);
                    if (s.length != 8) {
                        throw new IllegalArgumentException("score line needs 8 fields: line=" + line);
                    }
                    runner.scores()
                            .add(new Score(
                                    s[1], s[2], s[3], s[4], Double.parseDouble(s[5]), Double.parseDouble(s[6]), s[7]));
                }
                case METRIC -> runner.metrics().add(Metric.parse(f[1], f[2]));
                case FAILURE -> runner.failures().add(line.substring(2));
                default -> throw new IllegalArgumentException(
                        "result line starts with neither S, M nor F: line=" + line.toUpperCase(Locale.ROOT));
            }
        }
    }
}
