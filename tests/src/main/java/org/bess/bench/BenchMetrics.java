package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.bess.bench.report.BenchmarkRun;
import org.bess.bench.report.Metric;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * What a benchmark measures besides its score, written from its (forked) JVM for the suite to report: peak resident
 * memory ({@code VmHWM} of {@code /proc/self/status}), space on disk, engine counters. Each {@link #record} appends one
 * line to the file named by the system property {@value Metric#FILE_PROP_NAME}, which {@code ./bess bench} sets for
 * every run; without the property (a plain JMH run, the smoke test) the value is computed but not written anywhere.
 *
 * <p>The suite runs the methods of one benchmark class and parameter set in one JVM, so the KV benchmarks close the
 * other system's store and {@link #resetPeakMemory reset} the peak before they load theirs: {@code VmHWM} at the end
 * of the trial is then the peak of that method's system (its store, its operations) and of the JVM around it, heap
 * included, which may still hold what earlier runs left committed.
 */
final class BenchMetrics {
    /** Bytes per MiB. */
    static final double MIB = 1024.0 * 1024.0;

    private BenchMetrics() {}

    /**
     * Records one metric of the running benchmark.
     *
     * @param params the running benchmark and its parameters (JMH injects them into setup and teardown methods).
     * @param name what was measured, e.g. {@code peakRssMiB}.
     * @param value the value.
     * @param unit the unit, e.g. {@code MiB}.
     */
    static void record(final BenchmarkParams params, final String name, final double value, final String unit) {
        final String file = System.getProperty(Metric.FILE_PROP_NAME);
        if (file == null || file.isEmpty()) {
            return;
        }
        final TreeSet<String> keys = new TreeSet<>(params.getParamsKeys());
        final Map<String, String> values = new LinkedHashMap<>();
        for (final String key : keys) {
            values.put(key, params.getParam(key));
        }
        final String line =
                Metric.format(params.getBenchmark(), BenchmarkRun.computeParamsText(values), name, value, unit) + "\n";
        try {
            Files.writeString(
                    Path.of(file),
                    line,
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write a benchmark metric: file=" + file + ", metric=" + name, e);
        }
    }

    /**
     * Records this JVM's peak resident memory so far ({@code VmHWM}) as {@code peakRssMiB}, and its resident memory
     * now split into anonymous memory (heap, malloc), file mappings and shared memory, as {@code rssAnonMiB},
     * {@code rssFileMiB} and {@code rssShmemMiB}.
     *
     * @param params the running benchmark and its parameters.
     */
    static void recordMemory(final BenchmarkParams params) {
        record(params, "peakRssMiB", statusKib("VmHWM") / 1024.0, "MiB");
        record(params, "rssAnonMiB", statusKib("RssAnon") / 1024.0, "MiB");
        record(params, "rssFileMiB", statusKib("RssFile") / 1024.0, "MiB");
        record(params, "rssShmemMiB", statusKib("RssShmem") / 1024.0, "MiB");
    }

    /**
     * Resets this JVM's peak resident memory ({@code VmHWM}) to its resident memory now, after a garbage collection,
     * so that a run that shares its JVM with earlier runs records its own peak (from what is resident when it starts).
     * Writes {@code 5} to {@code /proc/self/clear_refs} (Linux 4.0 and later); where that fails, the peak stays the
     * JVM's since its start, and {@code peakRssReset} is recorded as 0 instead of 1.
     *
     * @return whether the peak was reset.
     */
    static boolean resetPeakMemory() {
        System.gc();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5", StandardCharsets.US_ASCII);
            return true;
        } catch (final IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /**
     * A field of {@code /proc/self/status} in KiB.
     *
     * @param field e.g. {@code VmHWM}.
     * @return its value in KiB.
     * @throws IllegalStateException when the field is missing (not Linux).
     */
    static long statusKib(final String field) {
        final List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/status", e);
        }
        for (final String line : lines) {
            if (line.startsWith(field + ":")) {
                final String digits = line.substring(field.length() + 1).replaceAll("[^0-9]", "");
                return Long.parseLong(digits);
            }
        }
        throw new IllegalStateException("no field in /proc/self/status: field=" + field);
    }

    /**
     * The bytes of the regular files under a directory (their lengths, as {@code ls -l} shows them).
     *
     * @param dir a directory.
     * @return the sum of the files' sizes.
     */
    static long directoryBytes(final Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            long bytes = 0;
            for (final Path path : paths.filter(Files::isRegularFile).toList()) {
                bytes += Files.size(path);
            }
            return bytes;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot measure a directory: dir=" + dir, e);
        }
    }
}
