package org.bess.bench.report;

/**
 * One primary score of one JMH run: a benchmark method with one set of parameters, in one round of the suite.
 *
 * @param round the round: {@link #CALIBRATION_START}, {@link #CALIBRATION_END} or a round number from 1.
 * @param benchmark the JMH benchmark name, {@code package.Class.method} (or {@code .group} for a group).
 * @param params the parameters as {@code name=value} joined by {@code ,}; empty when the benchmark has none.
 * @param mode the JMH mode's short label, e.g. {@code avgt} or {@code thrpt}.
 * @param score the primary score, in {@code unit}.
 * @param error the half-width of JMH's 99.9% confidence interval, or NaN when there were too few iterations.
 * @param unit the score unit as JMH prints it, e.g. {@code us/op} or {@code ops/s}.
 */
public record Score(
        String round, String benchmark, String params, String mode, double score, double error, String unit) {
    /** The round label of the calibration run at the start of the suite. */
    public static final String CALIBRATION_START = "start";
    /** The round label of the calibration run at the end of the suite. */
    public static final String CALIBRATION_END = "end";

    /**
     * The benchmark class, fully qualified.
     *
     * @return the part of {@link #benchmark()} before its last dot.
     */
    public String benchmarkClass() {
        return benchmark.substring(0, benchmark.lastIndexOf('.'));
    }

    /**
     * The benchmark class without its package, as printed in the report.
     *
     * @return the simple name of {@link #benchmarkClass()}.
     */
    public String simpleClass() {
        final String className = benchmarkClass();
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /**
     * The benchmark method (or group) name.
     *
     * @return the part of {@link #benchmark()} after its last dot.
     */
    public String method() {
        return benchmark.substring(benchmark.lastIndexOf('.') + 1);
    }

    /**
     * Whether this score is from a calibration run rather than a round.
     *
     * @return true for the start and end calibration runs.
     */
    public boolean isCalibration() {
        return CALIBRATION_START.equals(round) || CALIBRATION_END.equals(round);
    }

    /**
     * The score as time per operation in nanoseconds, whatever the mode: time units are converted, and a throughput
     * ({@code ops/<unit>}) is inverted. This is what ratios are computed from, so that below 1 always means faster.
     *
     * @return nanoseconds per operation.
     * @throws IllegalArgumentException when the unit is neither {@code <time>/op} nor {@code ops/<time>}.
     */
    public double nsPerOp() {
        if (unit.endsWith("/op")) {
            return score * nsPerUnit(unit.substring(0, unit.length() - "/op".length()));
        }
        if (unit.startsWith("ops/")) {
            return nsPerUnit(unit.substring("ops/".length())) / score;
        }
        throw new IllegalArgumentException(
                "score unit is not a time per operation nor a throughput: unit=" + unit + ", benchmark=" + benchmark);
    }

    private double nsPerUnit(final String timeUnit) {
        switch (timeUnit) {
            case "ns":
                return 1;
            case "us":
                return 1e3;
            case "ms":
                return 1e6;
            case "s":
                return 1e9;
            case "min":
                return 60e9;
            default:
                throw new IllegalArgumentException(
                        "unknown time unit in score unit: unit=" + unit + ", benchmark=" + benchmark);
        }
    }
}
