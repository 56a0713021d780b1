/**
 * JMH benchmarks of bess, shaded into {@code tests/target/benchmarks.jar} and run by {@code ./bess bench}.
 *
 * <p>{@link org.bess.bench.CalibrationBenchmark} measures the primitives the frame design is priced in: an
 * {@code mprotect} of one page, a {@code MAP_FIXED} remap of one page, the software frame-state check that replaces a
 * hardware fault on the hot path, a 4 KiB {@code pread} from the page cache and a 4 KiB {@code fdatasync}.
 * {@link org.bess.bench.LockBenchmark} measures a page lock taken and released by a short transaction, uncontended and
 * with two threads on one page. Every benchmark forks with the
 * daemon's {@code --add-opens} flags; the smoke test {@code org.bess.it.BenchmarkSmokeTest} runs each one briefly in
 * {@code mvn verify}, with no thresholds. The report writer of {@code ./bess bench} is in
 * {@link org.bess.bench.report}.
 */
package org.bess.bench;
