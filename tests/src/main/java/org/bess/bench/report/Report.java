package org.bess.bench.report;

import java.util.List;

/**
 * Everything a report says: where and how the suite ran, and what it measured.
 *
 * @param startedAt the local start time, e.g. {@code 2026-11-21 06:40 UTC}.
 * @param duration how long the suite took, e.g. {@code 3 min 12 s}.
 * @param machine the machine and JVM.
 * @param commandLine the command that started the suite.
 * @param settings the rounds and JMH run settings, in words.
 * @param plan what ran with which parameters and data sizes, as markdown list items (see {@link SuitePlan#describe}).
 * @param loadAtStart the load average when the suite started.
 * @param loadAtEnd the load average when the suite ended.
 * @param scores every score: calibration runs and rounds, in the order they ran.
 * @param comparisons the comparisons computed from {@code scores}.
 * @param failures one line per benchmark run that failed, empty when all ran.
 * @param metrics every metric (percentiles, resources, counters) of the rounds, in the order they were measured.
 */
public record Report(
        String startedAt,
        String duration,
        MachineInfo machine,
        String commandLine,
        String settings,
        List<String> plan,
        String loadAtStart,
        String loadAtEnd,
        List<Score> scores,
        List<Comparison> comparisons,
        List<String> failures,
        List<Metric> metrics) {}
