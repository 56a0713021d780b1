package org.bess.bench.oo7;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.bess.client.Session;
import org.bess.client.remote.RemoteSession;

/**
 * Several trials of one hot OO7 operation in one JVM, each on a new store, engine and connection, as the suite's
 * interleaved rounds run them ({@code ./bess bench}): per trial the wall time per operation and where it went, so a
 * slow trial can be told from a fast one by evidence. For the client thread and the server's session thread of the
 * connection (found by name in {@code /proc/self/task}), the kernel's scheduler statistics ({@code schedstat}: time on
 * a CPU, time waiting on a run queue, and time slices) and context switches ({@code status}); the collectors' count
 * and time. Usage: {@code java -cp tests/target/benchmarks.jar org.bess.bench.oo7.Oo7ModesTrials <embedded|shared|
 * copy> <op> [trials] [warm-up] [ops]} (with the {@code --add-opens} of the benchmark's forks).
 */
public final class Oo7ModesTrials {
    private Oo7ModesTrials() {}

    /**
     * Runs the trials and prints one line per trial.
     *
     * @param args mode, operation, trials (6), warm-up runs per trial (300), measured runs per trial (500).
     */
    public static void main(final String[] args) {
        if (args.length < 2) {
            System.err.println("usage: Oo7ModesTrials <embedded|shared|copy> <op> [trials] [warm-up] [ops]");
            System.exit(2);
        }
        final String mode = args[0];
        final Oo7Operation operation = Oo7Operation.parse(args[1]);
        final int trials = args.length > 2 ? Integer.parseInt(args[2]) : 6;
        final int warm = args.length > 3 ? Integer.parseInt(args[3]) : 300;
        final int n = args.length > 4 ? Integer.parseInt(args[4]) : 500;
        final BessSessionFactory factory = BessSessionFactory.of(mode);
        final Oo7Data data = Oo7Generator.generate(Oo7Config.parse("small"), Oo7Generator.DEFAULT_SEED);
        // this thread's own entry (the main thread's name in /proc is the launcher's, not "main")
        final String self = "/proc/thread-self";
        for (int trial = 0; trial < trials; trial++) {
            final Session[] opened = new Session[1];
            final Path dir = Oo7Files.newDirectory("oo7-trials-" + mode + "-");
            final Oo7Store store = BessOo7.create(data, dir, nodeDir -> {
                opened[0] = factory.open(nodeDir);
                return opened[0];
            });
            try {
                final RemoteSession remote =
                        opened[0] instanceof HostedClientSession h && h.client() instanceof RemoteSession r ? r : null;
                final String server = remote == null ? null : taskOf("bess-session-" + remote.connectionId());
                for (int i = 0; i < warm; i++) {
                    store.run(operation);
                }
                final long[] c0 = sched(self);
                final long[] s0 = sched(server);
                final long[] g0 = gc();
                final long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    store.run(operation);
                }
                final long t1 = System.nanoTime();
                final long[] c1 = sched(self);
                final long[] s1 = sched(server);
                final long[] g1 = gc();
                System.out.printf(
                        Locale.ROOT,
                        "%s %s trial %d: wall %.1f us/op | client cpu %.1f, runq %.1f us/op, slices %.2f, cs vol %.2f"
                                + " invol %.2f /op | server cpu %.1f, runq %.1f us/op, slices %.2f, cs vol %.2f invol"
                                + " %.2f /op | gc %d, %d ms%n",
                        mode,
                        args[1],
                        trial,
                        (t1 - t0) / 1e3 / n,
                        (c1[0] - c0[0]) / 1e3 / n,
                        (c1[1] - c0[1]) / 1e3 / n,
                        (double) (c1[2] - c0[2]) / n,
                        (double) (c1[3] - c0[3]) / n,
                        (double) (c1[4] - c0[4]) / n,
                        (s1[0] - s0[0]) / 1e3 / n,
                        (s1[1] - s0[1]) / 1e3 / n,
                        (double) (s1[2] - s0[2]) / n,
                        (double) (s1[3] - s0[3]) / n,
                        (double) (s1[4] - s0[4]) / n,
                        g1[0] - g0[0],
                        g1[1] - g0[1]);
            } finally {
                Oo7Files.closeAndDelete(store, dir);
            }
        }
    }

    /** The {@code /proc/self/task} entry of the thread whose name starts with {@code name} (Linux truncates to 15). */
    private static String taskOf(final String name) {
        final String want = name.length() > 15 ? name.substring(0, 15) : name;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (final Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).strip().equals(want)) {
                        return t.toString();
                    }
                } catch (final IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (final IOException e) {
            return null;
        }
        return null;
    }

    /** {cpu ns, run-queue wait ns, time slices, voluntary and involuntary context switches} of a task, or zeros. */
    private static long[] sched(final String task) {
        final long[] out = new long[5];
        if (task == null) {
            return out;
        }
        try {
            final String[] s =
                    Files.readString(Path.of(task, "schedstat")).strip().split(" ");
            out[0] = Long.parseLong(s[0]);
            out[1] = Long.parseLong(s[1]);
            out[2] = Long.parseLong(s[2]);
            for (final String line : Files.readAllLines(Path.of(task, "status"))) {
                if (line.startsWith("voluntary_ctxt_switches:")) {
                    out[3] =
                            Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                    out[4] =
                            Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                }
            }
        } catch (final IOException | RuntimeException e) {
            // no schedstat on this kernel: zeros
        }
        return out;
    }

    private static long[] gc() {
        long count = 0;
        long ms = 0;
        for (final GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, b.getCollectionCount());
            ms += Math.max(0, b.getCollectionTime());
        }
        return new long[] {count, ms};
    }
}
