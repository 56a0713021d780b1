package org.bess.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.SessionAccess;
import org.bess.server.check.DatabaseChecker;
import org.bess.server.lock.LockContext;
import org.bess.server.remote.SessionEndpoint;

/**
 * {@code ./bess test clients}: a node server (an engine with its session endpoint, in this JVM) and two client
 * processes, one shared-memory and one copy-on-access, running bank transfers on one database; at random instants one
 * of them is SIGKILLed (usually mid-transaction) and started again. At the end of each seed every client is killed,
 * then the campaign checks that the server cleaned up (no lock held, no cache frame mapped), that the total is
 * unchanged (an uncommitted transfer never became visible), that no acknowledged transfer is missing, and that the
 * database checks clean. Ends with one line: {@code client-campaign: modes=shared,copy kills=K lost=L leaked-locks=X
 * leaked-pins=Y uncommitted-visible=U check=ok|failed}.
 */
public final class ClientCampaign {
    private static final long INITIAL = 1000;
    private static final String[] MODES = {"SHARED_MEMORY", "COPY_ON_ACCESS"};

    private final int seeds;
    private final int killsPerSeed;
    private final int accounts;
    private final PrintStream out;
    private long kills;
    private long lost;
    private long leakedLocks;
    private long leakedPins;
    private long uncommittedVisible;
    private boolean checkFailed;

    ClientCampaign(final int seeds, final int killsPerSeed, final int accounts, final PrintStream out) {
        this.seeds = seeds;
        this.killsPerSeed = killsPerSeed;
        this.accounts = accounts;
        this.out = out;
    }

    /**
     * Runs the campaign.
     *
     * @param args {@code [--seeds N] [--kills K] [--accounts A]}.
     */
    public static void main(final String[] args) throws Exception {
        int seeds = 2;
        int kills = 4;
        int accounts = 50;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--kills" -> kills = Integer.parseInt(args[++i]);
                case "--accounts" -> accounts = Integer.parseInt(args[++i]);
                case "--help", "-h" -> {
                    System.out.println("usage: bess test clients [--seeds N] [--kills K] [--accounts A]");
                    return;
                }
                default -> {
                    System.err.println("bess test clients: unknown option '" + args[i] + "' (see --help)");
                    System.exit(2);
                }
            }
        }
        System.exit(new ClientCampaign(seeds, kills, accounts, System.out).run() ? 0 : 1);
    }

    /** Runs every seed; true when nothing was lost, leaked or visible that should not be, and every check was clean. */
    boolean run() throws IOException, InterruptedException {
        for (int seed = 1; seed <= seeds; seed++) {
            final Path dir = Files.createTempDirectory("bess-clients-");
            try {
                runSeed(seed, dir);
            } finally {
                AdminSupport.deleteTree(dir);
            }
        }
        final boolean ok = lost == 0 && leakedLocks == 0 && leakedPins == 0 && uncommittedVisible == 0 && !checkFailed;
        out.println("client-campaign: modes=shared,copy kills=" + kills + " lost=" + lost + " leaked-locks="
                + leakedLocks + " leaked-pins=" + leakedPins + " uncommitted-visible=" + uncommittedVisible
                + " check=" + (checkFailed ? "failed" : "ok"));
        return ok;
    }

    private void runSeed(final int seed, final Path dir) throws IOException, InterruptedException {
        final Path node = dir.resolve("node");
        final Path root = dir.resolve("bank.root");
        final BessServer server = BessServer.start(new Context()
                .nodeDir(node)
                .cacheDir(dir.resolve("cache"))
                .cacheSizeBytes(32L << 20)
                .lockContext(new LockContext().lockTimeoutNs(TimeUnit.SECONDS.toNanos(2))));
        SessionEndpoint endpoint = null;
        final List<Process> children = new ArrayList<>();
        final List<Path> outputs = new ArrayList<>();
        try {
            endpoint = SessionEndpoint.start(server, node.resolve(SessionEndpoint.SOCKET_NAME));
            createBank(server, root);
            final Random random = new Random(seed);
            final Process[] running = new Process[MODES.length];
            for (int m = 0; m < MODES.length; m++) {
                running[m] = start(dir, node, root, MODES[m], seed * 100L + m, children, outputs);
            }
            for (int k = 0; k < killsPerSeed; k++) {
                Thread.sleep(300 + random.nextInt(700));
                final int m = random.nextInt(MODES.length);
                running[m].destroyForcibly(); // SIGKILL
                running[m].waitFor(30, TimeUnit.SECONDS);
                kills++;
                running[m] = start(dir, node, root, MODES[m], seed * 100L + k * 10L + m + 1000, children, outputs);
            }
            Thread.sleep(300 + random.nextInt(700));
            for (final Process p : running) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
                kills++;
            }
            awaitCleanup(endpoint);
            leakedLocks += server.lockCounters()[0];
            leakedPins += SessionAccess.mappedFrames(server);
            long acked = 0;
            for (final Path o : outputs) {
                for (final String line : Files.readAllLines(o, StandardCharsets.UTF_8)) {
                    if (line.startsWith("ack ")) {
                        acked++;
                    }
                }
            }
            final long[] totals = totals(server, root);
            if (totals[0] != accounts * INITIAL) {
                uncommittedVisible++;
            }
            // a transfer may commit and its process die before it prints the ack: more in the database is fine
            lost += Math.max(0, acked - totals[1]);
        } finally {
            for (final Process p : children) {
                p.destroyForcibly();
            }
            if (endpoint != null) {
                endpoint.close();
            }
            server.close();
        }
        if (!new DatabaseChecker(root, dir.resolve("check"))
                .run(l -> {})
                .problems()
                .isEmpty()) {
            checkFailed = true;
        }
    }

    private void createBank(final BessServer server, final Path root) {
        try (Session s = server.openSession()) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId account = db.defineType("Account", 64, new int[0]);
            final int[] offsets = new int[accounts];
            for (int i = 0; i < accounts; i++) {
                offsets[i] = 8 * i;
            }
            final TypeId table = db.defineType("Table", 8 * accounts, offsets);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "accounts");
                final ObjectRef t = tx.allocate(f, table);
                for (int i = 0; i < accounts; i++) {
                    final ObjectRef a = tx.allocate(f, account, 600);
                    a.putLong(0, INITIAL);
                    t.putRef(8 * i, a.ref());
                }
                tx.setRoot(db, "table", t.ref());
                tx.commit();
            }
        }
    }

    private long[] totals(final BessServer server, final Path root) {
        try (Session s = server.openSession()) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final ObjectRef table = tx.open(tx.root(db, "table"));
                long total = 0;
                long transfers = 0;
                for (int i = 0; i < accounts; i++) {
                    final ObjectRef a = tx.open(table.getRef(8 * i));
                    total += a.getLong(0);
                    transfers += a.getLong(8);
                }
                return new long[] {total, transfers};
            }
        }
    }

    private static void awaitCleanup(final SessionEndpoint endpoint) throws InterruptedException {
        long sleepMs = 1;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (endpoint.connectionCount() > 0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(sleepMs);
            sleepMs = Math.min(100, sleepMs * 2);
        }
    }

    private Process start(
            final Path dir,
            final Path node,
            final Path root,
            final String mode,
            final long seed,
            final List<Process> children,
            final List<Path> outputs)
            throws IOException, InterruptedException {
        final Path output = dir.resolve("client-" + seed + ".out");
        final Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--add-opens",
                        "java.base/jdk.internal.misc=ALL-UNNAMED",
                        "-XX:-CreateCoredumpOnCrash",
                        "-XX:TieredStopAtLevel=1",
                        "-Xmx128m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        ClientWorkloadMain.class.getName(),
                        node.toString(),
                        mode,
                        root.toString(),
                        Integer.toString(accounts),
                        Long.toString(seed))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        children.add(p);
        outputs.add(output);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long sleepMs = 5;
        while (!Files.readString(output, StandardCharsets.UTF_8).contains("ready")) {
            if (!p.isAlive() || System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("client did not start: " + Files.readString(output));
            }
            Thread.sleep(sleepMs);
            sleepMs = Math.min(100, sleepMs * 2);
        }
        return p;
    }
}
