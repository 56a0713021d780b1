package org.bess.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bess.client.Session;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.check.CheckReport;
import org.bess.server.check.DatabaseChecker;

/**
 * {@code ./bess test crash [--seeds N] [--kills K] [--accounts A]}: for each seed, a bank-transfer workload in a child
 * JVM ({@link BankWorkloadMain}) is killed with SIGKILL at random instants, K times; after each kill the node is
 * restarted in this process (restart recovery runs), and the bank is verified: every acknowledged transfer present,
 * the transfer in flight either whole or absent, nothing else (no uncommitted change visible), the total unchanged,
 * and the offline check clean. Ends with one line: {@code crash-campaign: runs=R kills=K acked=A lost=L
 * uncommitted-visible=U check=ok|failed}; exit 0 only when nothing was lost and nothing uncommitted was seen.
 */
public final class CrashCampaign {
    private final int seeds;
    private final int killsPerSeed;
    private final int accounts;
    private int sessions = 4;
    private final PrintStream out;
    private int runs;
    private int kills;
    private long acked;
    private long lost;
    private long uncommittedVisible;
    private boolean checkFailed;

    CrashCampaign(final int seeds, final int killsPerSeed, final int accounts, final PrintStream out) {
        this.seeds = seeds;
        this.killsPerSeed = killsPerSeed;
        this.accounts = accounts;
        this.out = out;
    }

    /** Sets how many concurrent sessions the workload runs (each one transfer at a time). */
    CrashCampaign sessions(final int count) {
        this.sessions = count;
        return this;
    }

    /**
     * Runs the campaign.
     *
     * @param args {@code [--seeds N] [--kills K] [--accounts A] [--sessions S]}.
     */
    public static void main(final String[] args) throws Exception {
        int seeds = 3;
        int killsPerSeed = 5;
        int accounts = 100;
        int sessions = 4;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--kills" -> killsPerSeed = Integer.parseInt(args[++i]);
                case "--accounts" -> accounts = Integer.parseInt(args[++i]);
                case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                case "--help", "-h" -> {
                    System.out.println("usage: bess test crash [--seeds N] [--kills K] [--accounts A] [--sessions S]");
                    System.out.println(
                            "  SIGKILLs a bank-transfer workload of S concurrent sessions (default 4) at random"
                                    + " instants, restarts it (recovery) and verifies every acknowledged transfer");
                    return;
                }
                default -> {
                    System.err.println("bess test crash: unknown option '" + args[i] + "' (see --help)");
                    System.exit(2);
                }
            }
        }
        final CrashCampaign campaign = new CrashCampaign(seeds, killsPerSeed, accounts, System.out).sessions(sessions);
        System.exit(campaign.run() ? 0 : 1);
    }

    /** Runs every seed; true when no acknowledged commit was lost and nothing uncommitted was visible. */
    boolean run() throws IOException, InterruptedException {
        for (int seed = 1; seed <= seeds; seed++) {
            final Path dir = Files.createTempDirectory("bess-crash-");
            try {
                runSeed(seed, dir);
            } finally {
                AdminSupport.deleteTree(dir);
            }
        }
        final boolean ok = lost == 0 && uncommittedVisible == 0 && !checkFailed;
        out.println("crash-campaign: runs=" + runs + " kills=" + kills + " acked=" + acked + " lost=" + lost
                + " uncommitted-visible=" + uncommittedVisible + " check=" + (checkFailed ? "failed" : "ok"));
        return ok;
    }

    private void runSeed(final int seed, final Path dir) throws IOException, InterruptedException {
        final Path node = dir.resolve("node");
        final Path root = dir.resolve("bank.root");
        final Random random = new Random(seed);
        final long[] model = new long[accounts];
        Arrays.fill(model, BankWorkloadMain.INITIAL);
        for (int k = 0; k < killsPerSeed; k++) {
            runs++;
            final List<long[]> tried = new ArrayList<>();
            final long ackedBefore = acked;
            final long lastAck = runChild(node, root, seed * 1000L + k, 300 + random.nextInt(1500), tried);
            kills++;
            // transfers commute: every acknowledged one is applied, whatever the order of the sessions' commits
            final List<long[]> inFlight = new ArrayList<>();
            for (final long[] t : tried) {
                if (t[4] == 1) {
                    model[(int) t[1]] -= t[3];
                    model[(int) t[2]] += t[3];
                } else if (t[4] == 0) {
                    inFlight.add(t);
                }
            }
            verify(node, root, model, inFlight, seed, k, acked - ackedBefore);
        }
    }

    /** Runs the child until a random instant, then SIGKILLs it; returns the last acknowledged transfer number. */
    private long runChild(
            final Path node, final Path root, final long seed, final long killAfterMs, final List<long[]> tried)
            throws IOException, InterruptedException {
        final Path ackFile = node.resolveSibling("acks-" + seed + ".txt");
        final Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--add-opens",
                        "java.base/jdk.internal.misc=ALL-UNNAMED",
                        "-XX:-CreateCoredumpOnCrash",
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        BankWorkloadMain.class.getName(),
                        node.toString(),
                        root.toString(),
                        Integer.toString(accounts),
                        Long.toString(seed),
                        ackFile.toString(),
                        Integer.toString(sessions))
                .redirectErrorStream(true)
                .redirectOutput(node.resolveSibling("child-" + seed + ".out").toFile())
                .start();
        try {
            final long readyDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            final Path out = node.resolveSibling("child-" + seed + ".out");
            while (!Files.readString(out).contains("ready")) {
                if (!child.isAlive() || System.nanoTime() - readyDeadline >= 0) {
                    throw new IllegalStateException("workload did not start: " + Files.readString(out));
                }
                Thread.sleep(20);
            }
            Thread.sleep(killAfterMs);
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        long lastAck = 0;
        if (Files.exists(ackFile)) {
            for (final String line : Files.readAllLines(ackFile, StandardCharsets.UTF_8)) {
                lastAck = onLine(line, tried, lastAck);
            }
        }
        return lastAck;
    }

    private long onLine(final String line, final List<long[]> tried, final long lastAck) {
        final String[] p = line.split(" ", -1);
        switch (p[0]) {
            case "try" -> tried.add(new long[] {
                Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4]), 0
            });
            case "ack" -> {
                final long n = Long.parseLong(p[1]);
                for (final long[] t : tried) {
                    if (t[0] == n) {
                        t[4] = 1;
                    }
                }
                acked++;
                return n;
            }
            case "aborted" -> {
                final long n = Long.parseLong(p[1]);
                for (final long[] t : tried) {
                    if (t[0] == n) {
                        t[4] = 2;
                    }
                }
            }
            default -> {
                // other output of the child
            }
        }
        return lastAck;
    }

    /** The model plus the subset of the in-flight transfers that gives {@code actual}, or null when none does. */
    private static long[] committedSubset(final long[] model, final List<long[]> inFlight, final long[] actual) {
        final int n = Math.min(inFlight.size(), 16);
        for (int mask = 1; mask < 1 << n; mask++) {
            final long[] candidate = model.clone();
            for (int i = 0; i < n; i++) {
                if ((mask & (1 << i)) != 0) {
                    final long[] t = inFlight.get(i);
                    candidate[(int) t[1]] -= t[3];
                    candidate[(int) t[2]] += t[3];
                }
            }
            if (Arrays.equals(candidate, actual)) {
                return candidate;
            }
        }
        return null;
    }

    private void verify(
            final Path node,
            final Path root,
            final long[] model,
            final List<long[]> inFlight,
            final int seed,
            final int kill,
            final long ackedThisRun) {
        final long[] actual;
        try (Session s = BessServer.embedded(new Context().nodeDir(node).cacheSizeBytes(4L << 20))) {
            actual = BankWorkloadMain.balances(s, s.openDatabase(root), accounts);
        }
        final long total = Arrays.stream(actual).sum();
        String verdict = "ok";
        if (!Arrays.equals(actual, model)) {
            // each transfer in flight (one per session at most) may have committed or not
            final long[] withInFlight = committedSubset(model, inFlight, actual);
            if (withInFlight != null) {
                System.arraycopy(withInFlight, 0, model, 0, model.length);
                verdict = "ok (transfers in flight committed)";
            } else if (total != BankWorkloadMain.INITIAL * accounts) {
                uncommittedVisible++;
                verdict = "UNCOMMITTED VISIBLE (total " + total + ")";
            } else {
                lost++;
                int differing = 0;
                long delta = 0;
                for (int i = 0; i < model.length; i++) {
                    if (actual[i] != model[i]) {
                        differing++;
                        delta += Math.abs(actual[i] - model[i]);
                    }
                }
                verdict = "LOST COMMITS (" + differing + " accounts differ by " + delta + " in all)";
            }
        }
        final Path cacheDir = node.resolveSibling("check-cache");
        final CheckReport report = new DatabaseChecker(root, cacheDir).run(line -> {});
        if (!report.healthy()) {
            checkFailed = true;
            verdict += ", check: " + report.problems().get(0);
        }
        out.printf(
                java.util.Locale.ROOT,
                "seed %d kill %d: %d transfers acknowledged in this run, balances %s%n",
                seed,
                kill + 1,
                ackedThisRun,
                verdict);
    }
}
