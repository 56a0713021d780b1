package org.bess.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The machine and JVM a report was measured on, read from {@code /proc} and the system properties.
 *
 * @param cores the processors available to the JVM ({@code nproc}).
 * @param cpuModel the {@code model name} of {@code /proc/cpuinfo}, or {@code unknown}.
 * @param memory {@code MemTotal} of {@code /proc/meminfo} in GiB, or {@code unknown}.
 * @param kernel the operating system and kernel release ({@code os.name} and {@code os.version}).
 * @param jdk the JVM name, version and vendor.
 */
public record MachineInfo(int cores, String cpuModel, String memory, String kernel, String jdk) {
    private static final String UNKNOWN = "unknown";

    /**
     * Reads the description of this machine and JVM.
     *
     * @return the machine this process runs on.
     */
    public static MachineInfo collect() {
        return new MachineInfo(
                Runtime.getRuntime().availableProcessors(),
                procField("/proc/cpuinfo", "model name"),
                memTotal(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " ("
                        + System.getProperty("os.arch") + ")",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                        + System.getProperty("java.vendor") + ")");
    }

    /**
     * The load average of the last 1, 5 and 15 minutes, from {@code /proc/loadavg}.
     *
     * @return e.g. {@code 1.20 0.85 0.60}, or {@code unknown}.
     */
    public static String loadAverage() {
        try {
            final String line = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII);
            final String[] fields = line.trim().split(" ", -1);
            return fields.length >= 3 ? fields[0] + " " + fields[1] + " " + fields[2] : UNKNOWN;
        } catch (final IOException e) {
            return UNKNOWN;
        }
    }

    private static String memTotal() {
        final String kib = procField("/proc/meminfo", "MemTotal");
        final String digits = kib.replaceAll("[^0-9]", "");
        if (digits.isEmpty()) {
            return UNKNOWN;
        }
        return String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(digits) / (1024.0 * 1024.0));
    }

    private static String procField(final String file, final String name) {
        try {
            final List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
            for (final String line : lines) {
                final int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (final IOException e) {
            return UNKNOWN;
        }
        return UNKNOWN;
    }
}
