package org.bess.bench.report;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The command-line options of {@link BenchSuite}. The hidden options {@code --warmup-ms}, {@code --measure-ms},
 * {@code --iterations} and {@code --forks} exist for tests, which need tiny in-process runs.
 *
 * @param quick whether {@code --quick} was given.
 * @param rounds the rounds of interleaved runs.
 * @param include the regular expression the benchmark names must contain a match of.
 * @param outDir the directory the report is written into.
 * @param help whether {@code --help} was given.
 * @param warmupIterations warmup iterations of each JMH run.
 * @param warmupMs the length of one warmup iteration.
 * @param measureIterations measurement iterations of each JMH run.
 * @param measureMs the length of one measurement iteration.
 * @param forks forks of each JMH run (0 runs in this JVM).
 * @param params parameter values that replace the declared ones (and the {@link SuitePlan}'s) of every benchmark
 *     declaring that parameter, by name: those of {@code --param}.
 * @param testSettings whether {@code --warmup-ms}, {@code --measure-ms} or {@code --iterations} was given: then every
 *     run uses these settings, and the plan's per-workload settings (single shots) are not applied.
 * @param jvmArgs JVM options of {@code --jvm-arg} for the benchmark JVMs, before the benchmarks' own (e.g. JFR).
 */
public record SuiteOptions(
        boolean quick,
        int rounds,
        String include,
        Path outDir,
        boolean help,
        int warmupIterations,
        long warmupMs,
        int measureIterations,
        long measureMs,
        int forks,
        Map<String, List<String>> params,
        boolean testSettings,
        List<String> jvmArgs) {
    /** Length of a warmup or measurement iteration in {@code --quick}, in milliseconds. */
    public static final long QUICK_ITERATION_MS = 500;

    /** The usage text printed by {@code --help}. */
    public static final String USAGE = String.join(
            "\n",
            "usage: ./bess bench [--quick] [--rounds N] [--include REGEX] [--param NAME=V1,V2] [--out DIR]",
            "                    [--jvm-arg OPTION]",
            "",
            "Runs the issue-7 workloads (KV, OO7 hot/cold/modes, durable commits, hot read by reference):",
            "one JVM per benchmark class and parameter set, in which the bess methods and their peers run",
            "interleaved in rounds (A B A B ...), with the calibration primitives at the start and the end;",
            "writes DIR/<yyyy-MM-dd'T'HH-mm>.md and .csv. Expected time on 2 cores: --quick under 10 minutes,",
            "a full run 30-70 minutes (31 min on a quiet machine in session 7).",
            "",
            "  --quick          2 rounds of short runs (2 x 0.5 s warmup, 2 x 0.5 s measurement) on",
            "                   representative parameter sets and smaller data (the report lists them)",
            "  --rounds N       rounds of interleaved runs (default 3, quick 2)",
            "  --include REGEX  only the benchmarks whose name (package.Class.method) contains a match",
            "                   (default: the issue-7 workloads); the calibration always runs",
            "  --param N=V,...  run every benchmark that declares parameter N with these values instead of",
            "                   its declared or planned ones (repeatable), e.g. --param entries=1000000",
            "  --out DIR        where to write the report (default bench-results)",
            "  --jvm-arg OPT    a JVM option for the benchmark JVMs (repeatable), e.g. for JFR",
            "  --help           this text",
            "");

    /**
     * Parses the arguments of {@link BenchSuite}.
     *
     * @param args the command-line arguments.
     * @return the options, with the defaults of {@code --quick} or of a full run for what was not given.
     * @throws IllegalArgumentException for an unknown option or a missing or malformed value.
     */
    public static SuiteOptions parse(final String[] args) {
        boolean quick = false;
        boolean help = false;
        Integer rounds = null;
        String include = null;
        final java.util.ArrayList<String> jvmArgs = new java.util.ArrayList<>();
        Path outDir = Path.of("bench-results");
        Integer warmupIterations = null;
        Long warmupMs = null;
        Integer measureIterations = null;
        Long measureMs = null;
        int forks = 1;
        final Map<String, List<String>> params = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            switch (arg) {
                case "--quick":
                    quick = true;
                    break;
                case "--help":
                case "-h":
                    help = true;
                    break;
                case "--rounds":
                    rounds = positive(arg, value(args, ++i, arg));
                    break;
                case "--include":
                    include = value(args, ++i, arg);
                    break;
                case "--out":
                    outDir = Path.of(value(args, ++i, arg));
                    break;
                case "--warmup-ms":
                    warmupMs = (long) nonNegative(arg, value(args, ++i, arg));
                    break;
                case "--measure-ms":
                    measureMs = (long) positive(arg, value(args, ++i, arg));
                    break;
                case "--iterations":
                    measureIterations = positive(arg, value(args, ++i, arg));
                    break;
                case "--param":
                    putParam(params, value(args, ++i, arg));
                    break;
                case "--jvm-arg":
                    jvmArgs.add(value(args, ++i, arg));
                    break;
                case "--forks":
                    forks = nonNegative(arg, value(args, ++i, arg));
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + arg + " (see --help)");
            }
        }
        final boolean testSettings = warmupMs != null || measureMs != null || measureIterations != null;
        if (warmupMs != null && warmupMs == 0) {
            warmupIterations = 0;
        }
        return new SuiteOptions(
                quick,
                rounds != null ? rounds : quick ? 2 : 3,
                include != null ? include : quick ? SuitePlan.QUICK_INCLUDE : SuitePlan.FULL_INCLUDE,
                outDir,
                help,
                warmupIterations != null ? warmupIterations : 2,
                warmupMs != null ? warmupMs : quick ? QUICK_ITERATION_MS : 1000,
                measureIterations != null ? measureIterations : quick ? 2 : 3,
                measureMs != null ? measureMs : quick ? QUICK_ITERATION_MS : 1000,
                forks,
                Map.copyOf(params),
                testSettings,
                List.copyOf(jvmArgs));
    }

    /**
     * The run settings in words, for the report.
     *
     * @return e.g. {@code 2 rounds; each run: 1 fork, 1 x 1000 ms warmup, 2 x 1000 ms measurement}.
     */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%d rounds; %s; each run: %d x %d ms warmup, %d x %d ms measurement (unless the plan says"
                        + " otherwise); include"
                        + " `%s`%s%s",
                rounds,
                forks == 0 ? "in the suite's JVM" : "one JVM per class and parameter set, all rounds in it",
                warmupIterations,
                warmupMs,
                measureIterations,
                measureMs,
                include,
                params.isEmpty() ? "" : "; params " + new TreeMap<>(params),
                jvmArgs.isEmpty() ? "" : "; JVM options " + jvmArgs);
    }

    private static void putParam(final Map<String, List<String>> params, final String text) {
        final int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new IllegalArgumentException("--param needs NAME=V1,V2,...: value=" + text);
        }
        params.put(text.substring(0, eq), List.of(text.substring(eq + 1).split(",", -1)));
    }

    private static String value(final String[] args, final int index, final String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException("missing value after " + option);
        }
        return args[index];
    }

    private static int positive(final String option, final String text) {
        final int value = nonNegative(option, text);
        if (value == 0) {
            throw new IllegalArgumentException(option + " must be positive: value=" + text);
        }
        return value;
    }

    private static int nonNegative(final String option, final String text) {
        try {
            final int value = Integer.parseInt(text);
            if (value < 0) {
                throw new IllegalArgumentException(option + " must not be negative: value=" + text);
            }
            return value;
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number: value=" + text, e);
        }
    }
}
