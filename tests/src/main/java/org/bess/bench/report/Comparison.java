package org.bess.bench.report;

/**
 * One bess method against one peer method of the same benchmark class with the same parameters, over the rounds in
 * which both ran. The ratio is bess's time per operation over the peer's: below 1 means bess is faster.
 *
 * @param benchmarkClass the simple name of the benchmark class, e.g. {@code DurableCommitBenchmark}.
 * @param params the parameters shared by both methods, as in {@link Score#params()}.
 * @param bessMethod the bess method, e.g. {@code bessCommit}.
 * @param bessScore the median of bess's scores over the rounds, in {@code bessUnit}.
 * @param bessUnit bess's score unit.
 * @param peerMethod the peer method, e.g. {@code lmdbCommit}.
 * @param peerScore the median of the peer's scores over the rounds, in {@code peerUnit}.
 * @param peerUnit the peer's score unit.
 * @param medianRatio the median over rounds of bess time / peer time in that round.
 * @param minRatio the smallest per-round ratio.
 * @param maxRatio the largest per-round ratio.
 * @param roundCount the rounds in which both methods have a score.
 */
public record Comparison(
        String benchmarkClass,
        String params,
        String bessMethod,
        double bessScore,
        String bessUnit,
        String peerMethod,
        double peerScore,
        String peerUnit,
        double medianRatio,
        double minRatio,
        double maxRatio,
        int roundCount) {}
