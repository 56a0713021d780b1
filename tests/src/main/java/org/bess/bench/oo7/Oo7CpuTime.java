package org.bess.bench.oo7;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Thread CPU time per OO7 operation, the steadier figure on a shared machine where JMH's wall clock is not (other
 * processes' load shows as time the thread did not run): rounds of about a second each, the thread's CPU time read
 * once per round and divided by the operations the round ran. Prints the warm-up rounds' and the measured rounds'
 * figures, then their minimum and median. Run: {@code java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED
 * --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp
 * tests/target/benchmarks.jar org.bess.bench.oo7.Oo7CpuTime bess|heap|lmdb small T1 [warmup rounds] [rounds]}.
 */
public final class Oo7CpuTime {
    private static final long ROUND_NANOS = 1_000_000_000L;

    private Oo7CpuTime() {}

    /**
     * Measures.
     *
     * @param args system (bess, heap or lmdb), configuration, operation, warm-up rounds (3), rounds (5).
     */
    public static void main(final String[] args) {
        final String system = args[0];
        final Oo7Data data = Oo7Generator.generate(Oo7Config.parse(args[1]), Oo7Generator.DEFAULT_SEED);
        final Oo7Operation op = Oo7Operation.parse(args[2]);
        final int warmups = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        final int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        if (system.equals("bess-ab")) {
            alternate(data, op, warmups, rounds);
            return;
        }
        final Path dir = Oo7Files.newDirectory("oo7-cpu-");
        final Oo7Store store =
                switch (system) {
                    case "bess" -> BessOo7.create(data, dir, BessSessionFactory.fromProperty());
                    case "heap" -> HeapOo7.create(data);
                    case "lmdb" -> LmdbOo7.create(data, dir);
                    default -> throw new IllegalArgumentException("system: bess, heap or lmdb, not " + system);
                };
        try {
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            final double[] measured = new double[rounds];
            long sink = 0;
            for (int r = 0; r < warmups + rounds; r++) {
                final double[] round = round(threads, store, op);
                final double usPerOp = round[0];
                sink += (long) round[2];
                System.out.printf(
                        "%s %s %s %s round %d: %.1f us CPU/op (%d ops)%n",
                        system, args[1], op, r < warmups ? "warmup" : "measure", r, usPerOp, (long) round[1]);
                if (r >= warmups) {
                    measured[r - warmups] = usPerOp;
                }
            }
            Arrays.sort(measured);
            System.out.printf(
                    "%s %s %s: min %.1f median %.1f us CPU/op (sink %d)%n",
                    system, args[1], op, measured[0], measured[rounds / 2], sink);
        } finally {
            Oo7Files.closeAndDelete(store, dir);
        }
    }

    /**
     * One round: the operation run again and again for {@code ROUND_NANOS} of wall time.
     *
     * @return {this thread's CPU microseconds per operation, operations, the operations' results summed (a sink)}.
     */
    private static double[] round(final ThreadMXBean threads, final Oo7Store store, final Oo7Operation op) {
        final long wallStart = System.nanoTime();
        final long cpuStart = threads.getCurrentThreadCpuTime();
        long ops = 0;
        long sink = 0;
        do {
            sink += store.run(op);
            ops++;
        } while (System.nanoTime() - wallStart < ROUND_NANOS);
        return new double[] {(threads.getCurrentThreadCpuTime() - cpuStart) / 1e3 / ops, ops, sink};
    }

    /**
     * Two bess stores in this JVM, one file per class (A) and clustered by composite part (B), measured in alternated
     * rounds (A, B, A, B, ...) with the same compiled code, so that the load of the machine hits both alike.
     */
    private static void alternate(final Oo7Data data, final Oo7Operation op, final int warmups, final int rounds) {
        final Path dirA = Oo7Files.newDirectory("oo7-cpu-a-");
        final Path dirB = Oo7Files.newDirectory("oo7-cpu-b-");
        final BessOo7 a = BessOo7.create(data, dirA, BessSessionFactory.embedded(), false);
        final BessOo7 b = BessOo7.create(data, dirB, BessSessionFactory.embedded(), true);
        try {
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            final double[][] measured = new double[2][rounds];
            long sink = 0;
            for (int r = 0; r < warmups + rounds; r++) {
                for (int s = 0; s < 2; s++) {
                    final BessOo7 store = s == 0 ? a : b;
                    final double[] round = round(threads, store, op);
                    final double usPerOp = round[0];
                    sink += (long) round[2];
                    System.out.printf(
                            "%s round %d %s: %.1f us CPU/op%n",
                            r < warmups ? "warmup" : "measure", r, s == 0 ? "per-class" : "clustered", usPerOp);
                    if (r >= warmups) {
                        measured[s][r - warmups] = usPerOp;
                    }
                }
            }
            for (int s = 0; s < 2; s++) {
                Arrays.sort(measured[s]);
                System.out.printf(
                        "%s %s %s: min %.1f median %.1f us CPU/op%n",
                        s == 0 ? "per-class" : "clustered",
                        data.config().name(),
                        op,
                        measured[s][0],
                        measured[s][rounds / 2]);
            }
            System.out.println("sink " + sink);
        } finally {
            Oo7Files.closeAndDelete(a, dirA);
            Oo7Files.closeAndDelete(b, dirB);
        }
    }
}
