package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The crash matrix (TESTING.md rows 2 and 6): every named crash point in the engine ({@code FaultPoints.hit}) at one
 * or more occurrences. A workload point halts a bank workload in a child JVM; restart recovery must then bring back
 * every acknowledged transfer (the one in flight whole or absent), nothing of the uncommitted transaction, and a clean
 * check. A recovery point first leaves a node with a loser (a transaction whose changes reached the log and the disk),
 * recovers a copy once cleanly as the control, then crashes recovery at the point (nested: again and again, up to a
 * depth) and recovers: the database must be logically identical to the control (every file, reference and byte).
 *
 * <p>The quick matrix (default build) runs every point once; the full one ({@code -Pfull}, tag {@code crash}) runs
 * occurrences 1..5 and a few later ones, and nesting depth 3. {@link #shouldCoverEveryFaultPointInTheSources} collects the names from the
 * sources, so a new point fails the build until it is added here.
 */
@Timeout(1800)
class CrashMatrixTest {
    private static final int ACCOUNTS = 32;
    private static final String CHECKPOINT_EVERY = "-Dbess.checkpoint.log.bytes=48k";

    /** Points passed while a workload runs, with the occurrences of the full matrix. */
    static final Map<String, int[]> WORKLOAD_POINTS = Map.of(
            "commit.afterAppend", new int[] {1, 2, 9, 40},
            "commit.afterForce", new int[] {1, 3, 17, 60},
            "log.afterWrite", new int[] {1, 5, 33, 70},
            "writeBack.afterLogForce", new int[] {1, 4, 12, 30},
            "checkpoint.begin", new int[] {1, 2, 3, 5},
            "checkpoint.afterFlush", new int[] {1, 2, 3, 5},
            "master.beforeRename", new int[] {1, 2, 4},
            "master.beforeDirSync", new int[] {1, 2, 4});

    /** Points passed inside restart recovery, with the occurrences of the full matrix. */
    static final Map<String, int[]> RECOVERY_POINTS = Map.of(
            "recovery.afterAnalysis", new int[] {1},
            "recovery.redoRecord", new int[] {1, 3, 8, 20},
            "recovery.afterRedo", new int[] {1},
            "recovery.afterClr", new int[] {1, 2, 3},
            "recovery.afterUndo", new int[] {1},
            "recovery.afterCheckpoint", new int[] {1});

    @TempDir
    static Path shared;

    private static long[] templateBalances;

    private static Path template() {
        return shared.resolve("template");
    }

    private static Path work() {
        return shared.resolve("work");
    }

    private static Path node() {
        return work().resolve("node");
    }

    private static Path root() {
        return work().resolve("db").resolve("bank.root");
    }

    /** A node with the bank database, a few transfers and a clean shutdown, saved to be restored before each case. */
    @BeforeAll
    static void makeTemplate() throws Exception {
        Files.createDirectories(root().getParent());
        final Path out = shared.resolve("setup.out");
        assertThat(CrashHarness.run(
                        out,
                        List.of(CHECKPOINT_EVERY),
                        BankWorkload.class,
                        node().toString(),
                        root().toString(),
                        Integer.toString(ACCOUNTS),
                        "1",
                        "3"))
                .as(Files.readString(out))
                .isZero();
        templateBalances = CrashHarness.recover(node(), root(), ACCOUNTS).balances();
        CrashHarness.copyTree(work(), template());
    }

    static Stream<Arguments> quickWorkload() {
        return WORKLOAD_POINTS.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()[1]));
    }

    static Stream<Arguments> quickRecovery() {
        return RECOVERY_POINTS.entrySet().stream()
                .map(e -> Arguments.of(e.getKey(), e.getValue()[e.getValue().length - 1], 1));
    }

    @Test
    void shouldCoverEveryFaultPointInTheSources() throws IOException {
        final Set<String> inCode = new TreeSet<>();
        final Pattern hit = Pattern.compile("FaultPoints\\.hit\\(\"([^\"]+)\"\\)");
        final Path sources = Path.of("src", "main", "java");
        assertThat(sources).as("run from the bess-server module directory").isDirectory();
        try (Stream<Path> files = Files.walk(sources)) {
            for (final Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                final Matcher m = hit.matcher(Files.readString(f));
                while (m.find()) {
                    inCode.add(m.group(1));
                }
            }
        }
        final Set<String> inMatrix = new TreeSet<>(WORKLOAD_POINTS.keySet());
        inMatrix.addAll(RECOVERY_POINTS.keySet());
        assertThat(inCode).as("fault points in the sources").hasSizeGreaterThanOrEqualTo(11);
        assertThat(inMatrix)
                .as("every fault point in the code is in the crash matrix")
                .isEqualTo(inCode);
    }

    @ParameterizedTest(name = "{0} #{1}")
    @MethodSource("quickWorkload")
    void shouldRecoverEveryAcknowledgedTransferAfterACrashAtAWorkloadPoint(final String point, final int occurrence)
            throws Exception {
        crashWorkloadAndRecover(point, occurrence);
    }

    @ParameterizedTest(name = "{0} #{1}, depth {2}")
    @MethodSource("quickRecovery")
    void shouldRecoverToTheSameStateAfterACrashInRecovery(final String point, final int occurrence, final int depth)
            throws Exception {
        crashRecoveryAndRecover(point, occurrence, depth);
    }

    @Test
    @Tag("crash")
    @Tag("slow")
    void shouldSurviveTheFullMatrix() throws Exception {
        final List<String> pairs = new ArrayList<>();
        for (final Map.Entry<String, int[]> e : new java.util.TreeMap<>(WORKLOAD_POINTS).entrySet()) {
            // every occurrence 1..5, then the later ones listed
            final Set<Integer> ks = new TreeSet<>(List.of(1, 2, 3, 4, 5));
            for (final int k : e.getValue()) {
                ks.add(k);
            }
            for (final int k : ks) {
                crashWorkloadAndRecover(e.getKey(), k);
                pairs.add(e.getKey() + "#" + k);
            }
        }
        for (final Map.Entry<String, int[]> e : new java.util.TreeMap<>(RECOVERY_POINTS).entrySet()) {
            for (final int k : e.getValue()) {
                crashRecoveryAndRecover(e.getKey(), k, 3);
                pairs.add(e.getKey() + "#" + k + "x3");
            }
        }
        System.out.printf(
                "crash matrix: %d distinct points, %d (point, occurrence) pairs, 0 failures: %s%n",
                WORKLOAD_POINTS.size() + RECOVERY_POINTS.size(), pairs.size(), pairs);
    }

    private void crashWorkloadAndRecover(final String point, final int occurrence) throws Exception {
        CrashHarness.copyTree(template(), work());
        final Path out = shared.resolve("workload-" + point + "-" + occurrence + ".out");
        final int status = CrashHarness.run(
                out,
                List.of("-Dbess.fault." + point + "=" + occurrence, CHECKPOINT_EVERY),
                BankWorkload.class,
                node().toString(),
                root().toString(),
                Integer.toString(ACCOUNTS),
                Integer.toString(occurrence * 31 + point.length()),
                "0");
        assertThat(status)
                .as("%s #%d was reached and halted the workload: %s", point, occurrence, Files.readString(out))
                .isEqualTo(FaultPoints.HALT_STATUS);
        final CrashHarness.Outcome outcome = CrashHarness.outcome(templateBalances, out);
        final CrashHarness.Recovered r = CrashHarness.recover(node(), root(), ACCOUNTS);
        assertThat(outcome.allows(r.balances()))
                .as("%s #%d: %s", point, occurrence, outcome.describe(r.balances()))
                .isTrue();
        assertThat(CrashHarness.check(root(), shared.resolve("check")))
                .as("%s #%d", point, occurrence)
                .isEmpty();
        System.out.printf("%s #%d: %d acks before the halt; %s%n", point, occurrence, outcome.acks(), r.summary());
    }

    private void crashRecoveryAndRecover(final String point, final int occurrence, final int depth) throws Exception {
        CrashHarness.copyTree(template(), work());
        final Path out = shared.resolve("loser-" + point + "-" + occurrence + ".out");
        // 25 acknowledged transfers, then a transaction over every account that reached the log and the disk
        assertThat(CrashHarness.run(
                        out,
                        List.of(CHECKPOINT_EVERY),
                        BankWorkload.class,
                        node().toString(),
                        root().toString(),
                        Integer.toString(ACCOUNTS),
                        Integer.toString(occurrence + point.length()),
                        "25"))
                .as(Files.readString(out))
                .isZero();
        final CrashHarness.Outcome outcome = CrashHarness.outcome(templateBalances, out);
        final Path crashed = shared.resolve("crashed");
        CrashHarness.copyTree(work(), crashed);

        final CrashHarness.Recovered control = CrashHarness.recover(node(), root(), ACCOUNTS);
        assertThat(control.balances()).as("control recovery").isEqualTo(outcome.acked());
        assertThat(control.summary())
                .as("control recovery rolled back the loser")
                .contains("losers rolled back 1");

        CrashHarness.copyTree(crashed, work());
        final long logBefore = logBytes();
        int crashes = 0;
        for (int level = 1; level <= depth; level++) {
            final Path rout = shared.resolve("recovery-" + point + "-" + occurrence + "-" + level + ".out");
            final int status = CrashHarness.run(
                    rout, List.of("-Dbess.fault." + point + "=" + occurrence), RecoveryChild.class, node().toString());
            if (level == 1) {
                assertThat(status)
                        .as("%s #%d was reached and halted recovery: %s", point, occurrence, Files.readString(rout))
                        .isEqualTo(FaultPoints.HALT_STATUS);
            } else {
                assertThat(status).as(Files.readString(rout)).isIn(0, FaultPoints.HALT_STATUS);
            }
            if (status != FaultPoints.HALT_STATUS) {
                break;
            }
            crashes++;
        }
        final long logGrowth = logBytes() - logBefore;
        final CrashHarness.Recovered again = CrashHarness.recover(node(), root(), ACCOUNTS);
        assertThat(again.balances()).as("%s #%d: balances", point, occurrence).isEqualTo(outcome.acked());
        assertThat(again.dump())
                .as(
                        "%s #%d after %d crash(es) in recovery: same state as one clean recovery",
                        point, occurrence, crashes)
                .isEqualTo(control.dump());
        // undo never repeats: each crash adds at most the loser's CLRs once (a few KiB), not the log again
        assertThat(logGrowth)
                .as("log growth over %d crashed recoveries", crashes)
                .isLessThan(256L << 10);
        assertThat(CrashHarness.check(root(), shared.resolve("check")))
                .as("%s #%d", point, occurrence)
                .isEmpty();
        System.out.printf(
                "%s #%d: %d crash(es) in recovery, log grew %d bytes; control %s; final %s%n",
                point, occurrence, crashes, logGrowth, control.summary(), again.summary());
    }

    private static long logBytes() throws IOException {
        try (Stream<Path> files = Files.list(node().resolve("log"))) {
            long total = 0;
            for (final Path p : (Iterable<Path>) files::iterator) {
                total += Files.size(p);
            }
            return total;
        }
    }
}
