/**
 * JMH benchmarks of bess, shaded into {@code tests/target/benchmarks.jar} and run by {@code ./bess bench}.
 *
 * <p>{@link org.bess.bench.CalibrationBenchmark} measures the primitives the frame design is priced in: an
 * {@code mprotect} of one page, a {@code MAP_FIXED} remap of one page, and the software frame-state check that
 * replaces a hardware fault on the hot path. Every benchmark forks with the daemon's {@code --add-opens} flags; the
 * smoke test {@code org.bess.it.BenchmarkSmokeTest} runs each one briefly in {@code mvn verify}, with no thresholds.
 */
package org.bess.bench;
