package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;

/**
 * Child JVM of {@link RestartBenchmark}: {@code RestartLogMain NODE_DIR ROOT LOG_MIB}. Creates a database of small
 * objects, commits transactions that each update 16 random objects until the node's log holds {@code LOG_MIB} MiB
 * since its last checkpoint, and halts the JVM on the spot (no write-back, no checkpoint): the next start must redo
 * the whole log.
 */
public final class RestartLogMain {
    private static final int OBJECTS = 20_000;

    private RestartLogMain() {}

    /**
     * Writes the log and halts.
     *
     * @param args node dir, root path, log MiB.
     */
    public static void main(final String[] args) {
        final Path node = Path.of(args[0]);
        final long target = Long.parseLong(args[2]) << 20;
        final Session s = BessServer.embedded(
                new Context().nodeDir(node).cacheSizeBytes(64L << 20).checkpointLogBytes(Long.MAX_VALUE / 2));
        final Database db = s.createDatabase(Path.of(args[1]), 1L << 20);
        final TypeId type = db.defineType("Rec", 512, new int[0]);
        final Ref[] refs = new Ref[OBJECTS];
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "recs");
            for (int i = 0; i < OBJECTS; i++) {
                final ObjectRef o = tx.allocate(f, type);
                o.putLong(0, i);
                refs[i] = o.ref();
            }
            tx.commit();
        }
        final long start = logBytes(node);
        final Random random = new Random(1);
        for (long n = 0; logBytes(node) - start < target; n++) {
            for (int k = 0; k < 64; k++) {
                try (Transaction tx = s.begin()) {
                    for (int i = 0; i < 16; i++) {
                        final ObjectRef o = tx.open(refs[random.nextInt(OBJECTS)]);
                        o.putLong(8 + 8 * random.nextInt(60), n);
                    }
                    tx.commit();
                }
            }
        }
        System.out.println("log bytes " + (logBytes(node) - start));
        Runtime.getRuntime().halt(0);
    }

    /** Bytes in the node's log segments. */
    static long logBytes(final Path node) {
        try (Stream<Path> files = Files.list(node.resolve("log"))) {
            long total = 0;
            for (final Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().startsWith("log-")) {
                    total += Files.size(p);
                }
            }
            return total;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
