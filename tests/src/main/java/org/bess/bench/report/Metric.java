package org.bess.bench.report;

/**
 * A measurement of a benchmark run that is not its primary score: a percentile of a sampled time, a resource (peak
 * resident memory, space on disk) or an engine counter (commits per {@code fdatasync}, log bytes per commit). The
 * benchmarks write resources and counters from their forked JVM into the file named by {@link #FILE_PROP_NAME}, one
 * {@link #format line} each; the suite reads them after the run and labels them with the round.
 *
 * @param round the round, as in {@link Score#round()}.
 * @param benchmark the JMH benchmark name, {@code package.Class.method}.
 * @param params the parameters, as in {@link Score#params()}.
 * @param name what was measured, e.g. {@code peakRssMiB} or {@code p0.99}.
 * @param value the value, in {@code unit}.
 * @param unit the unit, e.g. {@code MiB}, {@code us/op} or {@code x}.
 */
public record Metric(String round, String benchmark, String params, String name, double value, String unit) {
    /** The system property naming the file a forked benchmark JVM appends its metric lines to. */
    public static final String FILE_PROP_NAME = "bess.bench.metrics";

    private static final String SEPARATOR = "\t";

    /**
     * The benchmark class without its package.
     *
     * @return e.g. {@code KvBenchmark}.
     */
    public String simpleClass() {
        final String className = benchmark.substring(0, benchmark.lastIndexOf('.'));
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /**
     * The benchmark method.
     *
     * @return the part of {@link #benchmark()} after its last dot.
     */
    public String method() {
        return benchmark.substring(benchmark.lastIndexOf('.') + 1);
    }

    /**
     * One line of the metrics file (without the round, which the suite adds when it reads the line).
     *
     * @param benchmark the JMH benchmark name.
     * @param params the parameters text.
     * @param name what was measured; no tab or line break.
     * @param value the value.
     * @param unit the unit; no tab or line break.
     * @return the line, without a line break.
     */
    public static String format(
            final String benchmark, final String params, final String name, final double value, final String unit) {
        return String.join(SEPARATOR, benchmark, params, name, Double.toString(value), unit);
    }

    /**
     * Parses a line written by {@link #format}.
     *
     * @param round the round to label it with.
     * @param line the line.
     * @return the metric.
     * @throws IllegalArgumentException naming the line when it does not have five fields or its value is no number.
     */
    public static Metric parse(final String round, final String line) {
        final String[] fields = line.split(SEPARATOR, -1);
        if (fields.length != 5) {
            throw new IllegalArgumentException("metric line needs 5 tab-separated fields: line=" + line);
        }
        try {
            return new Metric(round, fields[0], fields[1], fields[2], Double.parseDouble(fields[3]), fields[4]);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("metric value is not a number: line=" + line, e);
        }
    }
}
