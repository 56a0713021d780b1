package org.bess.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.annotations.Mode;

/**
 * What {@code ./bess bench} runs by default, and with which parameters and iterations: the workloads of issue 7 (KV,
 * OO7 hot, cold and in the three session modes, durable commits, the hot read by reference), in a full and a
 * {@code --quick} version. The quick version keeps every workload but runs representative parameter sets on smaller
 * data, so that it finishes in under 10 minutes on 2 cores; the report's "What ran" section prints the plan, so a
 * reader sees which parameter sets a number comes from. {@code --include} and {@code --param} still select and
 * override anything.
 */
public final class SuitePlan {
    /** The benchmarks of a full run: every workload of issue 7, and the hot read by reference of the storage engine. */
    public static final String FULL_INCLUDE = "^org\\.bess\\.bench\\.(CalibrationBenchmark|KvBenchmark"
            + "|DurableCommit\\d\\dBenchmark|StorageReadBenchmark|oo7\\.Oo7(Cold|Modes)?Benchmark)\\.";

    /** The benchmarks of {@code --quick}: as the full run, with 1, 8 and 16 committers only. */
    public static final String QUICK_INCLUDE = "^org\\.bess\\.bench\\.(CalibrationBenchmark|KvBenchmark"
            + "|DurableCommit(01|08|16)Benchmark|StorageReadBenchmark|oo7\\.Oo7(Cold|Modes)?Benchmark)\\.";

    /** Every OO7 operation implemented (Q2, Q3, Q4 need an index bess lacks: see {@code Oo7Operation}). */
    static final List<String> ALL_OO7_OPS =
            List.of("T1", "T6", "T2a", "T2b", "T2c", "T3a", "T8", "T9", "Q1", "Q5", "Q6", "Q7", "Q8");

    /** Entries of the KV workloads in {@code --quick}. */
    static final String QUICK_KV_ENTRIES = "20000";

    /** Entries of the KV workloads in a full run, for both value sizes (the size). */
    static final String FULL_KV_ENTRIES = "1000000";

    /** Objects of the hot read by reference in {@code --quick}. */
    static final String QUICK_READ_COUNT = "100000";

    /** The OO7 operations skipped, with the reason, for the report. */
    public static final String SKIPPED_OO7 = "OO7 Q2 and Q3 (1% and 10% range queries on the atomic parts' build date)"
            + " and Q4 (lookup of documents by title, then their base assemblies through the reverse \"used in\""
            + " lists) are not run: they need a secondary index (a B+-tree on build date, an index on title) and"
            + " reverse lists that bess does not have; over a scan, Q2 and Q3 would be Q7 with a comparison.";

    private SuitePlan() {}

    /**
     * The parameter sets a class runs with by default: each map is expanded into the combinations of its values, and a
     * parameter a map does not name keeps its declared values. A class not listed runs its declared parameters.
     *
     * @param quick whether {@code --quick} was given.
     * @return parameter sets by simple class name.
     */
    public static Map<String, List<Map<String, List<String>>>> paramSets(final boolean quick) {
        final Map<String, List<Map<String, List<String>>>> plan = new LinkedHashMap<>();
        if (quick) {
            // one small-value sequential set and one large-value random set: both value sizes and both orders
            plan.put(
                    "KvBenchmark",
                    List.of(
                            Map.of(
                                    "entries", List.of(QUICK_KV_ENTRIES),
                                    "valueSize", List.of("100"),
                                    "order", List.of("seq")),
                            Map.of(
                                    "entries", List.of(QUICK_KV_ENTRIES),
                                    "valueSize", List.of("2026"),
                                    "order", List.of("rand"))));
            plan.put("StorageReadBenchmark", List.of(Map.of("count", List.of(QUICK_READ_COUNT))));
            for (final String committers : List.of("01", "08", "16")) {
                plan.put("DurableCommit" + committers + "Benchmark", List.of(Map.of("objects", List.of("1"))));
            }
            plan.put(
                    "Oo7Benchmark",
                    List.of(Map.of("config", List.of("small"), "op", List.of("T1", "T6", "T2a", "Q1", "Q7"))));
            plan.put("Oo7ColdBenchmark", List.of(Map.of("config", List.of("small"), "op", List.of("T1", "T6"))));
            plan.put("Oo7ModesBenchmark", List.of(Map.of("config", List.of("small"), "op", List.of("T6"))));
        } else {
            // the size for both value sizes: 1M values of 2026 bytes are ~2 GB, ~500,000 pages, mapped in runs
            // of consecutive cache frames (a few thousand kernel mappings, under vm.max_map_count)
            plan.put(
                    "KvBenchmark",
                    List.of(Map.of(
                            "entries", List.of(FULL_KV_ENTRIES),
                            "valueSize", List.of("100", "2026"),
                            "order", List.of("seq", "rand"))));
            for (final String committers : List.of("01", "02", "04", "08", "16")) {
                plan.put("DurableCommit" + committers + "Benchmark", List.of(Map.of("objects", List.of("1"))));
            }
            plan.put(
                    "Oo7Benchmark",
                    List.of(
                            Map.of("config", List.of("small"), "op", ALL_OO7_OPS),
                            Map.of("config", List.of("medium"), "op", List.of("T1"))));
            plan.put("Oo7ColdBenchmark", List.of(Map.of("config", List.of("small"), "op", List.of("T1", "T6", "Q1"))));
            // a client-mode T1 opens every object through a request (about 100x embedded): T6 and Q7 show the same
            plan.put("Oo7ModesBenchmark", List.of(Map.of("config", List.of("small"), "op", List.of("T6", "Q7"))));
        }
        return plan;
    }

    /**
     * The JMH settings of one run: the suite's iterations, except where a workload needs its own: the KV {@code write}
     * (a fresh store per invocation; at 1M entries one pass takes seconds to minutes) runs single shots, and cold OO7
     * runs single shots on a store reopened before each.
     *
     * @param run the benchmark and its parameters.
     * @param options the suite's options.
     * @return the settings.
     */
    public static RunSettings settings(final BenchmarkRun run, final SuiteOptions options) {
        final RunSettings base = new RunSettings(
                null, options.warmupIterations(), options.warmupMs(), options.measureIterations(), options.measureMs());
        if (options.testSettings()) {
            return base; // the hidden options of the tests: tiny runs, whatever the workload
        }
        final String simpleClass =
                run.benchmarkClass().substring(run.benchmarkClass().lastIndexOf('.') + 1);
        if (simpleClass.equals("KvBenchmark") && run.method().endsWith("Write")) {
            // quick: 20,000 entries, one warmup shot is cheap; full: 1M entries, a pass is long enough to compile
            return new RunSettings(Mode.SingleShotTime, options.quick() ? 1 : 0, 0, 1, 0);
        }
        if (simpleClass.equals("KvBenchmark")
                && !options.quick()
                && "2026".equals(run.params().get("valueSize"))) {
            // 1M values of 2026 bytes: a bess pass takes seconds (frames remapped on most reads): single shots
            return new RunSettings(Mode.SingleShotTime, 1, 0, 2, 0);
        }
        if (simpleClass.equals("Oo7ColdBenchmark")) {
            return new RunSettings(Mode.SingleShotTime, 1, 0, options.quick() ? 3 : 5, 0);
        }
        if (options.quick() && simpleClass.startsWith("Oo7")) {
            // a hot T1 takes 30-200 ms: half-second warmups leave it in the interpreter and C1 in round 1
            return new RunSettings(null, base.warmupIterations(), 1000, base.measureIterations(), base.measureMs());
        }
        return base;
    }

    /**
     * The plan in words, for the report.
     *
     * @param options the suite's options.
     * @return markdown lines.
     */
    public static List<String> describe(final SuiteOptions options) {
        final List<String> lines = new ArrayList<>();
        for (final Map.Entry<String, List<Map<String, List<String>>>> e :
                paramSets(options.quick()).entrySet()) {
            final List<Map<String, List<String>>> sets = new ArrayList<>();
            for (final Map<String, List<String>> set : e.getValue()) {
                sets.add(new TreeMap<>(set)); // names sorted, as in the tables
            }
            lines.add("- `" + e.getKey() + "`: " + sets);
        }
        lines.add("- Other classes: their declared parameters; `--param` overrides: "
                + (options.params().isEmpty() ? "none" : options.params()));
        lines.add("- `KvBenchmark.*Write`: single shots, " + (options.quick() ? "1 warmup shot" : "no warmup shot")
                + " and 1 measured shot per round (each shot writes every entry into a fresh store);"
                + " `Oo7ColdBenchmark`: single shots, 1 warmup and " + (options.quick() ? 3 : 5)
                + " measured shots per round, each on a store reopened with its files dropped from the page cache"
                + (options.quick()
                        ? "; hot OO7: 1000 ms warmup iterations."
                        : "; KV readers of 2026-byte values: single shots, 1 warmup and 2 measured per round."));
        lines.add("- Data sizes: KV "
                + (options.quick()
                        ? QUICK_KV_ENTRIES + " (fewer than the issue's 1,000,000: the full run has those)"
                        : "1,000,000 (both value sizes, as the issue asks)")
                + " entries per store (raw data = entries x (4 + valueSize) bytes); hot read by reference "
                + (options.quick() ? QUICK_READ_COUNT : "1,000,000") + " objects of 100 bytes; OO7 small = 500"
                + " composite parts, 10,000 atomic parts, 3 connections each"
                + (options.quick() ? "" : "; medium = 100,000 atomic parts (hot T1 only)") + ".");
        lines.add("- Order in each round: the bess methods, then each peer system's; a system's `Write` before its"
                + " reads, which read the store the write left (KV: written once per system and round).");
        lines.add("- " + SKIPPED_OO7);
        return lines;
    }

    /**
     * The JMH settings of one run.
     *
     * @param mode the mode replacing the benchmark's, or null to keep it.
     * @param warmupIterations warmup iterations.
     * @param warmupMs length of a warmup iteration (ignored by single shots).
     * @param measureIterations measurement iterations.
     * @param measureMs length of a measurement iteration (ignored by single shots).
     */
    public record RunSettings(Mode mode, int warmupIterations, long warmupMs, int measureIterations, long measureMs) {}
}
