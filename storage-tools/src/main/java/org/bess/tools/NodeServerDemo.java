package org.bess.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.wire.CounterValue;
import org.bess.server.daemon.CountersFile;
import org.bess.server.daemon.NodeLock;
import org.bess.server.daemon.NodeServerMain;

/**
 * The node-server part of {@code ./bess demo}: a node server ({@link NodeServerMain}) in a child JVM on a fresh
 * directory, a bank database, a shared-memory and a copy-on-access client process ({@link ClientWorkloadMain}) running
 * transfers at the same time, a SIGKILL of the shared-memory one mid-transaction and the server's cleanup (from its
 * log), a SIGKILL of the server, a restart (recovery), a check of every acknowledged transfer against the database,
 * the counters, and a SIGTERM. Every process it starts is stopped by its handle in a {@code finally} block; the
 * shared-memory directories of the server are removed.
 *
 * <p>Not thread safe; one run per instance.
 */
final class NodeServerDemo {
    private static final int ACCOUNTS = 20;
    private static final long INITIAL = 1000;
    private static final int ACKS_BEFORE_KILL = 20;
    private static final long WAIT_MS = 60_000;
    private static final int MAX_IN_FLIGHT = 12;
    private static final String CONFIG = "cache.size=16m\nheartbeat.ms=100\n";
    private static final String JAVA =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final List<String> JVM_FLAGS = List.of(
            "--add-opens",
            "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens",
            "java.base/java.nio=ALL-UNNAMED",
            "--add-opens",
            "java.base/sun.nio.ch=ALL-UNNAMED",
            "-XX:-CreateCoredumpOnCrash",
            "-XX:-UsePerfData",
            "-XX:TieredStopAtLevel=1",
            "-Xmx128m");

    private final Path dir;
    private final Path node;
    private final Path root;
    private final PrintStream out;
    private final List<Process> started = new ArrayList<>();
    private final Set<Path> shmDirs = new LinkedHashSet<>();
    private int serverRuns;

    /** A client process and its output file. */
    private record Client(String mode, Process process, Path output, Path hold) {}

    NodeServerDemo(final Path dir, final PrintStream out) {
        this.dir = dir;
        this.node = dir.resolve("node");
        this.root = dir.resolve("bank.root").toAbsolutePath();
        this.out = out;
    }

    /** Runs the tour; null when every step held, otherwise the reason. */
    String run() throws IOException, InterruptedException {
        final long began = System.nanoTime();
        try {
            final String failure = tour();
            if (failure == null) {
                out.printf(Locale.ROOT, "node-server tour: ok in %.1f s%n", (System.nanoTime() - began) / 1e9);
            }
            return failure;
        } finally {
            stopAll();
            removeShm();
        }
    }

    private String tour() throws IOException, InterruptedException {
        Files.createDirectories(node);
        Files.writeString(node.resolve("bess.conf"), CONFIG, StandardCharsets.UTF_8);
        final Process server = startServer("server started");
        createBank();
        out.printf(
                Locale.ROOT,
                "database created: %s, %d accounts of %,d (total %,d)%n",
                root.getFileName(),
                ACCOUNTS,
                INITIAL,
                ACCOUNTS * INITIAL);
        final Client shared = startClient("SHARED_MEMORY", 1);
        final Client copy = startClient("COPY_ON_ACCESS", 2);
        out.printf(
                "client processes: shared-memory pid %d and copy-on-access pid %d, bank transfers at the same time%n",
                shared.process.pid(), copy.process.pid());
        awaitAcks(shared, ACKS_BEFORE_KILL);
        awaitAcks(copy, ACKS_BEFORE_KILL);
        out.printf("both committing: shared-memory %d acks, copy-on-access %d acks%n", acks(shared), acks(copy));

        final String[] held = killClient(shared);
        final long before = acks(copy); // the acks after this one all came after the kill
        final String cleanup = held[0];
        out.println("server cleaned up the dead client (daemon log): " + cleanup);
        if (!cleanup.contains("rolledBack=true")) {
            return "the server did not roll back the killed client's open transaction: " + cleanup;
        }
        final String[] h = held[1].split(" ");
        final String touching = awaitAckTouching(copy, before, h[2], h[3]);
        out.printf(
                "copy-on-access client goes on: %d more commits since the kill, among them '%s' on an account the"
                        + " killed transaction had locked%n",
                acks(copy) - before, touching);

        out.printf(
                "SIGKILL node server pid %d while the copy-on-access client commits (%d acks so far)%n",
                server.pid(), acks(copy));
        kill(server);
        if (!copy.process.waitFor(30, TimeUnit.SECONDS)) {
            kill(copy.process);
            out.println("copy-on-access client did not notice within 30 s: SIGKILLed");
        } else {
            out.printf(
                    "copy-on-access client exited (code %d) after '%s': %s%n",
                    copy.process.exitValue(), lastLine(copy), firstError(copy));
        }

        final Process restarted = startServer("server restarted (recovery)");
        out.println("recovery (daemon log): " + logLine(Pattern.compile("engine started in .*")));
        final String failure = verify(List.of(shared, copy));
        if (failure != null) {
            return failure;
        }
        // the counters are a sample of the engine taken every heartbeat: wait for one after the verifying session
        final long sampled = System.nanoTime();
        await(() -> counter("locks held") == 0, "the counters to show no lock held after every session closed");
        out.printf(
                Locale.ROOT,
                "counters (bess admin stat; no lock held %d ms after the last session closed):%n",
                (System.nanoTime() - sampled) / 1_000_000);
        final PrintWriter w = new PrintWriter(out, true, StandardCharsets.UTF_8);
        StatCommand.print(w, StatCommand.countersPath(node));
        w.flush();
        restarted.destroy(); // SIGTERM: checkpoint, exit 0
        if (!restarted.waitFor(WAIT_MS, TimeUnit.MILLISECONDS)) {
            return "the server did not stop within " + WAIT_MS / 1000 + " s of SIGTERM";
        }
        out.printf("SIGTERM node server pid %d: exit code %d%n", restarted.pid(), restarted.exitValue());
        return restarted.exitValue() == 0 ? null : "the server exited with " + restarted.exitValue() + " on SIGTERM";
    }

    /**
     * Makes a client hold its next transaction open (after its writes), SIGKILLs it there, and returns the daemon's
     * line about cleaning up after it and the client's {@code hold} line.
     */
    private String[] killClient(final Client c) throws IOException, InterruptedException {
        final long pid = c.process.pid();
        final Matcher m = awaitLog(Pattern.compile("client (\\d+) connected: .*pid=" + pid + ",.*"));
        final String id = m.group(1);
        Files.createFile(c.hold);
        final String[] hold = new String[1];
        await(
                () -> {
                    hold[0] = completeLines(c).stream()
                            .filter(l -> l.startsWith("hold "))
                            .findFirst()
                            .orElse(null);
                    return hold[0] != null || !c.process.isAlive();
                },
                "the " + c.mode + " client to hold a transaction open");
        if (hold[0] == null) {
            throw new IllegalStateException("the " + c.mode + " client exited: " + read(c.output));
        }
        kill(c.process);
        final String[] f = hold[0].split(" ");
        out.printf(
                "SIGKILL %s client pid %d (server client %s) inside a transaction after %d acks: '%s' (accounts %s"
                        + " and %s written and locked, not committed)%n",
                c.mode, pid, id, acks(c), hold[0], f[2], f[3]);
        final String cleanup = awaitLog(Pattern.compile("client " + id + " disconnected and cleaned up.*"))
                .group()
                .replace("client " + id + " disconnected and cleaned up: ", "client " + id + " ");
        return new String[] {cleanup, hold[0]};
    }

    /** Waits until a client acknowledges, after its first {@code after} acks, a transfer touching account a or b. */
    private String awaitAckTouching(final Client c, final long after, final String a, final String b)
            throws InterruptedException {
        final String[] found = new String[1];
        await(
                () -> {
                    String pending = null;
                    long n = 0;
                    for (final String line : completeLines(c)) {
                        if (line.startsWith("try ")) {
                            pending = line;
                        } else if (line.startsWith("ack ") && pending != null) {
                            final String[] f = pending.split(" ");
                            if (++n > after && (f[2].equals(a) || f[3].equals(a) || f[2].equals(b) || f[3].equals(b))) {
                                found[0] = pending;
                                return true;
                            }
                            pending = null;
                        }
                    }
                    return !c.process.isAlive();
                },
                "the " + c.mode + " client to commit a transfer on account " + a + " or " + b);
        if (found[0] == null) {
            throw new IllegalStateException("the " + c.mode + " client exited: " + read(c.output));
        }
        return found[0];
    }

    private Process startServer(final String what) throws IOException, InterruptedException {
        final Path output = dir.resolve("server-" + (++serverRuns) + ".out");
        final List<String> command = new ArrayList<>();
        command.add(JAVA);
        command.addAll(JVM_FLAGS);
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                NodeServerMain.class.getName(),
                "--node-dir",
                node.toString()));
        final long began = System.nanoTime();
        final Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        started.add(p);
        await(() -> read(output).contains("bess server: ready") || !p.isAlive(), "the node server to be ready");
        if (!p.isAlive()) {
            throw new IllegalStateException("the node server exited with " + p.exitValue() + ": " + read(output));
        }
        final String shm = NodeLock.peek(node).getProperty("shm");
        if (shm != null) {
            shmDirs.add(Path.of(shm));
        }
        out.printf(
                Locale.ROOT,
                "%s: pid %d, node dir %s, ready in %.1f s%n",
                what,
                p.pid(),
                node,
                (System.nanoTime() - began) / 1e9);
        return p;
    }

    private Client startClient(final String mode, final int seed) throws IOException, InterruptedException {
        final Path output = dir.resolve("client-" + mode.toLowerCase(Locale.ROOT) + ".out");
        final Path hold = dir.resolve("client-" + mode.toLowerCase(Locale.ROOT) + ".hold");
        final List<String> command = new ArrayList<>();
        command.add(JAVA);
        command.addAll(JVM_FLAGS);
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                ClientWorkloadMain.class.getName(),
                node.toString(),
                mode,
                root.toString(),
                Integer.toString(ACCOUNTS),
                Integer.toString(seed),
                hold.toString()));
        final Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        started.add(p);
        return new Client(mode.toLowerCase(Locale.ROOT).replace('_', '-'), p, output, hold);
    }

    private void createBank() {
        try (Session s = Bess.connect(node, Bess.Mode.COPY_ON_ACCESS)) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId account = db.defineType("Account", 64, new int[0]);
            final int[] offsets = new int[ACCOUNTS];
            for (int i = 0; i < ACCOUNTS; i++) {
                offsets[i] = 8 * i;
            }
            final TypeId table = db.defineType("Table", 8 * ACCOUNTS, offsets);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "accounts");
                final ObjectRef t = tx.allocate(f, table);
                for (int i = 0; i < ACCOUNTS; i++) {
                    final ObjectRef a =
                            tx.allocate(f, account, 600); // one account per few hundred bytes, as the campaign
                    a.putLong(0, INITIAL);
                    t.putRef(8 * i, a.ref());
                }
                tx.setRoot(db, "table", t.ref());
                tx.commit();
            }
        }
    }

    /**
     * Rebuilds every balance and transfer count from the clients' lines (every {@code ack} applied, any subset of the
     * tries without an ack) and compares them with the database; null when one subset matches exactly.
     */
    private String verify(final List<Client> clients) {
        final long[] balance = new long[ACCOUNTS];
        final long[] count = new long[ACCOUNTS];
        java.util.Arrays.fill(balance, INITIAL);
        final List<long[]> inFlight = new ArrayList<>();
        long acked = 0;
        for (final Client c : clients) {
            long[] pending = null;
            for (final String line : completeLines(c)) {
                final String[] f = line.split(" ");
                if (f[0].equals("try") && f.length == 5) {
                    if (pending != null) {
                        inFlight.add(pending);
                    }
                    pending = new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4])};
                } else if (f[0].equals("ack") && pending != null) {
                    apply(balance, count, pending, 1);
                    acked++;
                    pending = null;
                }
            }
            if (pending != null) {
                inFlight.add(pending);
            }
        }
        if (inFlight.size() > MAX_IN_FLIGHT) {
            return "too many transfers in flight to check: " + inFlight.size();
        }
        final long[][] actual = readAccounts();
        long total = 0;
        for (final long b : actual[0]) {
            total += b;
        }
        if (total != ACCOUNTS * INITIAL) {
            return "the total is " + total + ", not " + ACCOUNTS * INITIAL + ": an uncommitted transfer is visible";
        }
        for (int mask = 0; mask < 1 << inFlight.size(); mask++) {
            final long[] b = balance.clone();
            final long[] n = count.clone();
            for (int i = 0; i < inFlight.size(); i++) {
                if ((mask & (1 << i)) != 0) {
                    apply(b, n, inFlight.get(i), 1);
                }
            }
            if (java.util.Arrays.equals(b, actual[0]) && java.util.Arrays.equals(n, actual[1])) {
                out.printf(
                        Locale.ROOT,
                        "verified after the restart: all %d acknowledged transfers are in the database, every"
                                + " balance matches, total %,d unchanged; in flight at the kills (try without ack):"
                                + " %d, of which %d committed%n",
                        acked,
                        total,
                        inFlight.size(),
                        Integer.bitCount(mask));
                return null;
            }
        }
        return "the balances do not match the " + acked + " acknowledged transfers plus any subset of the "
                + inFlight.size() + " in flight: an acknowledged transfer is lost";
    }

    /** A counter's value from the server's counters file, or -1 when it is not there. */
    private long counter(final String label) {
        try (CountersFile file = CountersFile.openReadOnly(StatCommand.countersPath(node))) {
            for (final CounterValue v : file.read()) {
                if (v.label().equals(label)) {
                    return v.value();
                }
            }
            return -1;
        }
    }

    private static void apply(final long[] balance, final long[] count, final long[] t, final int sign) {
        balance[(int) t[0]] -= sign * t[2];
        balance[(int) t[1]] += sign * t[2];
        count[(int) t[0]] += sign;
    }

    private long[][] readAccounts() {
        try (Session s = Bess.connect(node, Bess.Mode.COPY_ON_ACCESS)) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final ObjectRef table = tx.open(tx.root(db, "table"));
                final long[][] r = new long[2][ACCOUNTS];
                for (int i = 0; i < ACCOUNTS; i++) {
                    final ObjectRef a = tx.open(table.getRef(8 * i));
                    r[0][i] = a.getLong(0);
                    r[1][i] = a.getLong(8);
                }
                return r;
            }
        }
    }

    private void awaitAcks(final Client c, final long n) throws InterruptedException {
        await(() -> acks(c) >= n || !c.process.isAlive(), n + " acks of the " + c.mode + " client");
        if (!c.process.isAlive()) {
            throw new IllegalStateException(
                    "the " + c.mode + " client exited with " + c.process.exitValue() + ": " + read(c.output));
        }
    }

    private static long acks(final Client c) {
        long n = 0;
        for (final String line : completeLines(c)) {
            if (line.startsWith("ack ")) {
                n++;
            }
        }
        return n;
    }

    /** The last {@code try} or {@code ack} line of a client. */
    private static String lastLine(final Client c) {
        String last = "";
        for (final String line : completeLines(c)) {
            if (line.startsWith("try ") || line.startsWith("ack ")) {
                last = line;
            }
        }
        return last;
    }

    /** The first line of a client that is not {@code ready}, {@code try} or {@code ack}: the error it died of. */
    private static String firstError(final Client c) {
        for (final String line : completeLines(c)) {
            if (!line.equals("ready") && !line.startsWith("try ") && !line.startsWith("ack ")) {
                return line;
            }
        }
        return "no error printed";
    }

    /** The lines that end with a newline (a process killed mid-write may leave half a line). */
    private static List<String> completeLines(final Client c) {
        final String text = read(c.output);
        final int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
    }

    private Matcher awaitLog(final Pattern pattern) throws InterruptedException {
        final Matcher[] found = new Matcher[1];
        await(
                () -> {
                    found[0] = pattern.matcher(daemonLog());
                    return found[0].find();
                },
                "a daemon log line matching " + pattern);
        return found[0];
    }

    private String logLine(final Pattern pattern) {
        final Matcher m = pattern.matcher(daemonLog());
        return m.find() ? m.group() : "<no line matching " + pattern + " in the daemon log>";
    }

    private String daemonLog() {
        return read(node.resolve(NodeServerMain.LOG_DIR).resolve(NodeServerMain.LOG_FILE));
    }

    private static String read(final Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (final IOException e) {
            return "";
        }
    }

    /** Waits with backoff (1 ms doubling to 100 ms) for at most {@link #WAIT_MS}. */
    private static void await(final Supplier<Boolean> condition, final String what) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        long sleep = 1;
        while (!condition.get()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("timed out after " + WAIT_MS / 1000 + " s waiting for " + what);
            }
            Thread.sleep(sleep);
            sleep = Math.min(100, sleep * 2);
        }
    }

    private static void kill(final Process p) throws InterruptedException {
        p.destroyForcibly(); // SIGKILL
        p.waitFor(30, TimeUnit.SECONDS);
    }

    private void stopAll() throws InterruptedException {
        for (final Process p : started) {
            if (p.isAlive()) {
                out.println("stopping leftover process pid " + p.pid() + " (SIGKILL)");
                kill(p);
            }
        }
    }

    private void removeShm() {
        for (final Path shm : shmDirs) {
            if (Files.isDirectory(shm)) {
                AdminSupport.deleteTree(shm);
                out.println("shared memory removed: " + shm);
            }
        }
    }
}
