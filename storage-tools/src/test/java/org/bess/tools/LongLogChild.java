package org.bess.tools;

import java.nio.file.Path;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.server.BessServer;
import org.bess.server.Context;

/**
 * Child JVM: {@code LongLogChild NODE_DIR ROOT MIB}. Appends {@code MIB} MiB to a large object in committed
 * transactions of up to 16 MiB (every new page is logged whole, so the log grows by about as much), then halts the JVM
 * with no checkpoint: the next start must redo the whole log.
 */
public final class LongLogChild {
    private LongLogChild() {}

    /**
     * Writes and halts.
     *
     * @param args node dir, root path, MiB.
     */
    public static void main(final String[] args) {
        final long total = Long.parseLong(args[2]) << 20;
        final Session s = BessServer.embedded(new Context()
                .nodeDir(Path.of(args[0]))
                .cacheSizeBytes(32L << 20)
                .checkpointLogBytes(Long.MAX_VALUE / 2));
        final Database db = s.createDatabase(Path.of(args[1]), 16L << 20);
        final byte[] chunk = new byte[1 << 20];
        new java.util.Random(3).nextBytes(chunk);
        org.bess.client.Ref ref;
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "big");
            ref = tx.createLarge(f).ref();
            tx.commit();
        }
        long written = 0;
        while (written < total) {
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.openLarge(ref);
                for (int i = 0; i < 16 && written < total; i++) {
                    lo.write(written, chunk);
                    written += chunk.length;
                }
                tx.commit();
            }
        }
        System.out.println("written " + written);
        Runtime.getRuntime().halt(0);
    }
}
