package org.bess.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class ComparisonsTest {
    private static final String COMMIT = "org.bess.bench.DurableCommitBenchmark.";

    static Score score(final String round, final String method, final String params, final double value) {
        return new Score(round, COMMIT + method, params, "avgt", value, Double.NaN, "us/op");
    }

    @Test
    void shouldPairEveryBessMethodWithEveryPeerOfTheSameClassAndParams() {
        final List<Score> scores = List.of(
                score("1", "bessCommit", "objects=1", 10),
                score("1", "lmdbCommit", "objects=1", 20),
                score("1", "rawFdatasync", "objects=1", 5),
                score("1", "bessCommit", "objects=10", 30),
                score("1", "lmdbCommit", "objects=10", 60),
                new Score("1", "org.bess.bench.LockBenchmark.uncontendedLockRelease", "", "avgt", 1, 0, "ns/op"),
                score(Score.CALIBRATION_START, "bessCalibrated", "objects=1", 1));

        final List<Comparison> comparisons = Comparisons.computeComparisons(scores);

        assertThat(comparisons)
                .extracting(c -> c.benchmarkClass() + " " + c.params() + " " + c.bessMethod() + "/" + c.peerMethod())
                .containsExactly(
                        "DurableCommitBenchmark objects=1 bessCommit/lmdbCommit",
                        "DurableCommitBenchmark objects=1 bessCommit/rawFdatasync",
                        "DurableCommitBenchmark objects=10 bessCommit/lmdbCommit");
        assertThat(comparisons.get(0).medianRatio()).isEqualTo(0.5);
        assertThat(comparisons.get(1).medianRatio()).isEqualTo(2.0);
    }

    @Test
    void shouldPairAPeerWithTheBessMethodOfTheSameOperationOnly() {
        final String kv = "org.bess.bench.KvBenchmark.";
        final List<Score> scores = List.of(
                new Score("1", kv + "bessWrite", "", "avgt", 1, 0, "ms/op"),
                new Score("1", kv + "lmdbWrite", "", "avgt", 2, 0, "ms/op"),
                new Score("1", kv + "bessReadKey", "", "avgt", 3, 0, "ms/op"),
                new Score("1", kv + "lmdbReadKey", "", "avgt", 4, 0, "ms/op"),
                new Score("1", kv + "rawFloor", "", "avgt", 5, 0, "ms/op"));

        assertThat(Comparisons.computeComparisons(scores))
                .extracting(c -> c.bessMethod() + "/" + c.peerMethod())
                .containsExactly(
                        "bessReadKey/lmdbReadKey", "bessReadKey/rawFloor", "bessWrite/lmdbWrite", "bessWrite/rawFloor");
        assertThat(Comparisons.operation("lmdbReadKey")).isEqualTo("ReadKey");
        assertThat(Comparisons.operation("raw")).isEmpty();
    }

    @Test
    void shouldTakeTheMedianAndSpreadOfPerRoundRatios() {
        final List<Score> scores = List.of(
                score("1", "bessCommit", "", 10),
                score("1", "lmdbCommit", "", 20),
                score("2", "bessCommit", "", 30),
                score("2", "lmdbCommit", "", 20),
                score("3", "bessCommit", "", 10),
                score("3", "lmdbCommit", "", 10),
                score("4", "bessCommit", "", 99)); // no peer in round 4: not a ratio

        final Comparison c = Comparisons.computeComparisons(scores).get(0);

        assertThat(c.roundCount()).isEqualTo(3);
        assertThat(c.medianRatio()).isEqualTo(1.0); // ratios 0.5, 1.5, 1.0
        assertThat(c.minRatio()).isEqualTo(0.5);
        assertThat(c.maxRatio()).isEqualTo(1.5);
        assertThat(c.bessScore()).isEqualTo(10.0); // median of 10, 30, 10
        assertThat(c.peerScore()).isEqualTo(20.0);
    }

    @Test
    void shouldTakeTheMeanOfTheTwoMiddleValuesForAnEvenCount() {
        assertThat(Comparisons.computeMedian(new double[] {1, 2, 4, 9})).isEqualTo(3.0);
        assertThat(Comparisons.computeMedian(new double[] {7})).isEqualTo(7.0);
    }

    @Test
    void shouldCompareThroughputAsTimePerOperationSoThatBelowOneMeansBessIsFaster() {
        final List<Score> scores = List.of(
                new Score("1", "org.bess.bench.KvBenchmark.bessRead", "", "thrpt", 4, 0, "ops/us"),
                new Score("1", "org.bess.bench.KvBenchmark.lmdbGet", "", "avgt", 500, 0, "ns/op"));

        final Comparison c = Comparisons.computeComparisons(scores).get(0);

        // bess: 4 ops/us = 250 ns/op; lmdb: 500 ns/op
        assertThat(c.medianRatio()).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void shouldYieldNoComparisonForAClassWithoutABessMethodOrWithoutAPeer() {
        final List<Score> scores = List.of(
                new Score("1", "org.bess.bench.LockBenchmark.contendedShared", "", "avgt", 1, 0, "ns/op"),
                new Score("1", "org.bess.bench.LockBenchmark.uncontendedLockRelease", "", "avgt", 1, 0, "ns/op"),
                new Score("1", "org.bess.bench.OnlyBessBenchmark.bessA", "", "avgt", 1, 0, "ns/op"),
                new Score("1", "org.bess.bench.OnlyBessBenchmark.bessB", "", "avgt", 1, 0, "ns/op"));

        assertThat(Comparisons.computeComparisons(scores)).isEmpty();
    }
}
