package org.bess.bench.oo7;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.format.RefDescriptor;

/**
 * A diagnostic of the bess store's clustering: for every composite part, the distinct slotted segments (pages of
 * slots) that its atomic parts and their connections are in, which is what T1's opens of one composite part touch
 * besides the objects' data. Run: {@code java -cp tests/target/benchmarks.jar org.bess.bench.oo7.Oo7Locality small
 * [clustered]} (with the benchmarks' {@code --add-opens} flags, as {@link Oo7CpuTime} says).
 */
public final class Oo7Locality {
    private Oo7Locality() {}

    /**
     * Loads the module of a configuration and prints the segments per composite part.
     *
     * @param args the configuration's name (default small), then {@code clustered} for the store of {@link
     *     BessOo7#create(Oo7Data, Path, BessSessionFactory, boolean)} with connections beside their parts.
     */
    public static void main(final String[] args) {
        final Oo7Config config = Oo7Config.parse(args.length > 0 ? args[0] : "small");
        final Path dir = Oo7Files.newDirectory("oo7-locality-");
        final BessOo7 store = BessOo7.create(
                Oo7Generator.generate(config, Oo7Generator.DEFAULT_SEED), dir, BessSessionFactory.embedded());
        try {
            final Session session = store.session();
            final Database db = store.database();
            final Oo7Layout layout = new Oo7Layout(config);
            final Set<Long> all = new HashSet<>();
            long atomicSegments = 0;
            long connectionSegments = 0;
            long bothSegments = 0;
            final int[] used = new int[1];
            try (Transaction tx = session.begin()) {
                final ObjectRef module = tx.open(tx.root(db, BessOo7Loader.MODULE_ROOT));
                final long[] composites = new long[config.compositeCount()];
                collect(module.openRef(Oo7Layout.MODULE_DESIGN_ROOT), composites, used, new HashSet<>());
                for (int c = 0; c < used[0]; c++) {
                    final ObjectRef composite = tx.open(new Ref(db, composites[c]));
                    final Set<Long> atomic = new HashSet<>();
                    final Set<Long> connection = new HashSet<>();
                    for (int i = 0; i < config.atomicPerComposite(); i++) {
                        final long partWord = composite.getLong(Oo7Layout.compositePart(i));
                        atomic.add(RefDescriptor.segmentPage(partWord));
                        final ObjectRef part = composite.openRef(Oo7Layout.compositePart(i));
                        for (int k = 0; k < layout.connections; k++) {
                            connection.add(RefDescriptor.segmentPage(part.getLong(Oo7Layout.atomicTo(k))));
                        }
                    }
                    atomicSegments += atomic.size();
                    connectionSegments += connection.size();
                    all.addAll(atomic);
                    all.addAll(connection);
                    atomic.addAll(connection);
                    bothSegments += atomic.size();
                }
                tx.commit();
            }
            final double n = used[0];
            System.out.printf(
                    "%s: per composite part %.2f segments of atomic parts, %.2f of connections, %.2f together;"
                            + " %d segments in all%n",
                    config, atomicSegments / n, connectionSegments / n, bothSegments / n, all.size());
        } finally {
            Oo7Files.closeAndDelete(store, dir);
        }
    }

    private static void collect(final ObjectRef assembly, final long[] out, final int[] n, final Set<Long> seen) {
        final boolean base = assembly.getInt(Oo7Layout.ASSEMBLY_KIND) == Oo7Layout.KIND_BASE;
        for (int i = 0; i < Oo7Config.ASSEMBLIES_PER_ASSEMBLY; i++) {
            if (base) {
                final long word = assembly.getLong(Oo7Layout.assemblyChild(i));
                if (seen.add(word)) {
                    out[n[0]++] = word;
                }
            } else {
                collect(assembly.openRef(Oo7Layout.assemblyChild(i)), out, n, seen);
            }
        }
    }
}
