package org.bess.bench.report;

import java.nio.file.Path;
import java.util.Locale;

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
        int forks) {
    /** The usage text printed by {@code --help}. */
    public static final String USAGE = String.join(
            "\n",
            "usage: ./bess bench [--quick] [--rounds N] [--include REGEX] [--out DIR]",
            "",
            "Runs the JMH suite in interleaved rounds (each bess method, then its peers, round after round),",
            "with the calibration primitives at the start and the end, and writes",
            "DIR/<yyyy-MM-dd'T'HH-mm>.md and .csv.",
            "",
            "  --quick          short runs: 2 rounds, 1 x 1 s warmup and 2 x 1 s measurement per run",
            "  --rounds N       rounds of interleaved runs (default 3, quick 2)",
            "  --include REGEX  only the benchmarks whose name (package.Class.method) contains a match",
            "                   (default: all); the calibration always runs",
            "  --out DIR        where to write the report (default bench-results)",
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
        String include = ".*";
        Path outDir = Path.of("bench-results");
        Integer warmupIterations = null;
        Long warmupMs = null;
        Integer measureIterations = null;
        Long measureMs = null;
        int forks = 1;
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
                case "--forks":
                    forks = nonNegative(arg, value(args, ++i, arg));
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + arg + " (see --help)");
            }
        }
        if (warmupMs != null && warmupMs == 0) {
            warmupIterations = 0;
        }
        return new SuiteOptions(
                quick,
                rounds != null ? rounds : quick ? 2 : 3,
                include,
                outDir,
                help,
                warmupIterations != null ? warmupIterations : quick ? 1 : 2,
                warmupMs != null ? warmupMs : 1000,
                measureIterations != null ? measureIterations : quick ? 2 : 3,
                measureMs != null ? measureMs : 1000,
                forks);
    }

    /**
     * The run settings in words, for the report.
     *
     * @return e.g. {@code 2 rounds; each run: 1 fork, 1 x 1000 ms warmup, 2 x 1000 ms measurement}.
     */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%d rounds; each JMH run: %d fork(s), %d x %d ms warmup, %d x %d ms measurement; include `%s`",
                rounds,
                forks,
                warmupIterations,
                warmupMs,
                measureIterations,
                measureMs,
                include);
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
