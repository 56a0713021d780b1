package org.bess.bench.report;

import java.util.List;
import java.util.Map;

/**
 * One JMH run of the suite: a benchmark method with one set of parameter values, or with all of them when
 * {@code params} is empty.
 *
 * @param benchmark the benchmark name, {@code package.Class.method}.
 * @param params the parameter values to run with, by name, in the order the report prints them.
 * @param jvmArgs the JVM options the benchmark declares in {@code @Fork} (e.g. {@code --add-opens}, {@code -Xmx1g}).
 */
public record BenchmarkRun(String benchmark, Map<String, String> params, List<String> jvmArgs) {
    /**
     * A run without JVM options of its own.
     *
     * @param benchmark the benchmark name, {@code package.Class.method}.
     * @param params the parameter values.
     */
    public BenchmarkRun(final String benchmark, final Map<String, String> params) {
        this(benchmark, params, List.of());
    }

    /**
     * The benchmark class, fully qualified.
     *
     * @return the part of {@link #benchmark()} before its last dot.
     */
    public String benchmarkClass() {
        return benchmark.substring(0, benchmark.lastIndexOf('.'));
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
     * The parameters as the report prints them, the same text as {@link Score#params()}.
     *
     * @return {@code name=value} joined by {@code ,}, or empty.
     */
    public String paramsText() {
        return computeParamsText(params);
    }

    /**
     * Joins parameters as {@code name=value} by {@code ,}, in the map's order.
     *
     * @param params the parameter values by name.
     * @return the text, empty for no parameters.
     */
    public static String computeParamsText(final Map<String, String> params) {
        final StringBuilder text = new StringBuilder();
        for (final Map.Entry<String, String> param : params.entrySet()) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(param.getKey()).append('=').append(param.getValue());
        }
        return text.toString();
    }
}
