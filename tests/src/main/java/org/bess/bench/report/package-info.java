/**
 * The report writer of {@code ./bess bench}: {@link org.bess.bench.report.BenchSuite} runs the JMH benchmarks of
 * {@code org.bess.bench} in interleaved rounds (each bess method, then each of its peers, round after round), brackets
 * them with the calibration primitives, pairs bess methods with their peers into comparisons, and writes a markdown
 * report and a CSV of every score into {@code bench-results/}.
 *
 * <p>Everything except {@code BenchSuite} and {@code SuiteRunner} is pure: scores in, comparisons and text out, so that
 * the pairing, the statistics and the tables are tested without running JMH. Single-threaded throughout.
 */
package org.bess.bench.report;
