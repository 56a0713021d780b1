package org.bess.bench.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Pairs the scores of the rounds into comparisons and computes their ratios. Within one benchmark class and one set of
 * parameters, every method whose name starts with {@value #BESS_PREFIX} is a bess method and every other method is a
 * peer. A method's operation is its name without the leading lower-case system name ({@code bessReadKey} and
 * {@code lmdbReadKey}: {@code ReadKey}). A peer with the operation of some bess method is compared with that bess
 * method only; a peer whose operation no bess method has (a floor such as {@code rawFdatasync}) is compared with every
 * bess method. Classes without a bess method, or without a peer, yield no comparison (their scores are still reported
 * raw). Pure and stateless.
 */
public final class Comparisons {
    /** The method-name prefix that marks the bess side of a comparison. */
    public static final String BESS_PREFIX = "bess";

    private Comparisons() {}

    /**
     * Computes the comparisons of the given scores; calibration scores are ignored. The order is that of the first
     * appearance of each class and parameter set in {@code scores}, then bess methods and peers by name.
     *
     * @param scores the scores of every round, in any order.
     * @return one comparison per (class, params, bess method, peer method) with at least one round in common.
     */
    public static List<Comparison> computeComparisons(final List<Score> scores) {
        // (class, params) -> method -> round -> score
        final Map<String, Map<String, Map<String, Score>>> byWorkload = new LinkedHashMap<>();
        for (final Score score : scores) {
            if (score.isCalibration()) {
                continue;
            }
            byWorkload
                    .computeIfAbsent(score.benchmarkClass() + "\n" + score.params(), k -> new TreeMap<>())
                    .computeIfAbsent(score.method(), k -> new LinkedHashMap<>())
                    .put(score.round(), score);
        }
        final List<Comparison> comparisons = new ArrayList<>();
        for (final Map<String, Map<String, Score>> methods : byWorkload.values()) {
            final Set<String> bessOperations = new HashSet<>();
            for (final String method : methods.keySet()) {
                if (method.startsWith(BESS_PREFIX)) {
                    bessOperations.add(operation(method));
                }
            }
            for (final Map.Entry<String, Map<String, Score>> bess : methods.entrySet()) {
                if (!bess.getKey().startsWith(BESS_PREFIX)) {
                    continue;
                }
                for (final Map.Entry<String, Map<String, Score>> peer : methods.entrySet()) {
                    final String peerOperation = operation(peer.getKey());
                    if (peer.getKey().startsWith(BESS_PREFIX)
                            || (bessOperations.contains(peerOperation)
                                    && !peerOperation.equals(operation(bess.getKey())))) {
                        continue;
                    }
                    final Comparison comparison = computeComparison(bess.getValue(), peer.getValue());
                    if (comparison != null) {
                        comparisons.add(comparison);
                    }
                }
            }
        }
        return comparisons;
    }

    /**
     * A method's operation: its name without the leading lower-case system name.
     *
     * @param method e.g. {@code lmdbReadKey}.
     * @return e.g. {@code ReadKey}; empty for an all lower-case name.
     */
    static String operation(final String method) {
        int i = 0;
        while (i < method.length() && Character.isLowerCase(method.charAt(i))) {
            i++;
        }
        return method.substring(i);
    }

    /**
     * Compares one bess method with one peer over the rounds in which both have a score.
     *
     * @param bessByRound bess's scores by round.
     * @param peerByRound the peer's scores by round.
     * @return the comparison, or null when the two have no round in common.
     */
    static Comparison computeComparison(final Map<String, Score> bessByRound, final Map<String, Score> peerByRound) {
        final List<Double> ratios = new ArrayList<>();
        final List<Double> bessScores = new ArrayList<>();
        final List<Double> peerScores = new ArrayList<>();
        Score bess = null;
        Score peer = null;
        for (final Map.Entry<String, Score> entry : bessByRound.entrySet()) {
            final Score peerScore = peerByRound.get(entry.getKey());
            if (peerScore == null) {
                continue;
            }
            bess = entry.getValue();
            peer = peerScore;
            ratios.add(bess.nsPerOp() / peer.nsPerOp());
            bessScores.add(bess.score());
            peerScores.add(peer.score());
        }
        if (bess == null) {
            return null;
        }
        final double[] sortedRatios = sorted(ratios);
        return new Comparison(
                bess.simpleClass(),
                bess.params(),
                bess.method(),
                computeMedian(sorted(bessScores)),
                bess.unit(),
                peer.method(),
                computeMedian(sorted(peerScores)),
                peer.unit(),
                computeMedian(sortedRatios),
                sortedRatios[0],
                sortedRatios[sortedRatios.length - 1],
                sortedRatios.length);
    }

    /**
     * The median of sorted values: the middle one, or the mean of the two middle ones for an even count.
     *
     * @param sortedValues at least one value, in ascending order.
     * @return the median.
     */
    public static double computeMedian(final double[] sortedValues) {
        final int middle = sortedValues.length / 2;
        return sortedValues.length % 2 == 1
                ? sortedValues[middle]
                : (sortedValues[middle - 1] + sortedValues[middle]) / 2;
    }

    private static double[] sorted(final List<Double> values) {
        final double[] array = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(array);
        return array;
    }
}
