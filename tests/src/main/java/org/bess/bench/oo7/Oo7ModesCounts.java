package org.bess.bench.oo7;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;
import org.bess.client.Session;
import org.bess.client.remote.RemoteSession;

/**
 * Counts what a hot OO7 operation costs in one session mode, beside {@link Oo7ModesBenchmark}'s times: the client's
 * requests per operation (round trips, exact) and the process CPU per operation (client and the engine's session
 * thread, which run in this JVM; JIT and GC included, so only a rough figure on a shared machine). Usage: {@code java
 * -cp tests/target/benchmarks.jar org.bess.bench.oo7.Oo7ModesCounts <embedded|shared|copy> <op> [warm-up] [ops]}
 * (with the {@code --add-opens} of the benchmark's forks).
 */
public final class Oo7ModesCounts {
    private Oo7ModesCounts() {}

    /**
     * Runs the operation {@code warm-up} times, then three rounds of {@code ops}, printing each round's figures.
     *
     * @param args mode, operation, warm-up runs (20), runs per round (20).
     */
    public static void main(final String[] args) {
        if (args.length < 2) {
            System.err.println("usage: Oo7ModesCounts <embedded|shared|copy> <op> [warm-up] [ops]");
            System.exit(2);
        }
        final String mode = args[0];
        final Oo7Operation operation = Oo7Operation.parse(args[1]);
        final int warm = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        final int n = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        final BessSessionFactory factory = BessSessionFactory.of(mode);
        final Session[] opened = new Session[1];
        final Path dir = Oo7Files.newDirectory("oo7-counts-" + mode + "-");
        final Oo7Store store = BessOo7.create(
                Oo7Generator.generate(Oo7Config.parse("small"), Oo7Generator.DEFAULT_SEED), dir, nodeDir -> {
                    opened[0] = factory.open(nodeDir);
                    return opened[0];
                });
        try {
            final RemoteSession remote =
                    opened[0] instanceof HostedClientSession h && h.client() instanceof RemoteSession r ? r : null;
            final com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            for (int i = 0; i < warm; i++) {
                store.run(operation);
            }
            for (int round = 0; round < 3; round++) {
                final long r0 = remote == null ? 0 : remote.requestCount();
                final long l0 = remote == null ? 0 : remote.fastPathLocks();
                final long c0 = os.getProcessCpuTime();
                final long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    store.run(operation);
                }
                final long t1 = System.nanoTime();
                final long c1 = os.getProcessCpuTime();
                final long r1 = remote == null ? 0 : remote.requestCount();
                final long l1 = remote == null ? 0 : remote.fastPathLocks();
                System.out.printf(
                        Locale.ROOT,
                        "%s %s: wall %.3f ms/op, process cpu %.3f ms/op, requests %.1f/op, fast-path locks %.1f/op%n",
                        mode,
                        args[1],
                        (t1 - t0) / 1e6 / n,
                        (c1 - c0) / 1e6 / n,
                        (double) (r1 - r0) / n,
                        (double) (l1 - l0) / n);
            }
        } finally {
            Oo7Files.closeAndDelete(store, dir);
        }
    }
}
