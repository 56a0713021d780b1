package org.bess.server;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;

/**
 * A child JVM's main, run with a small heap: streams {@code mib} MiB of seeded bytes into a new large object through
 * its OutputStream, commits, then streams them out through its InputStream in a new session and compares them with
 * the same seeded stream. Prints {@code ok} and the timings on success; exits 1 on a mismatch.
 *
 * <p>Arguments: database directory, MiB.
 */
public final class LargeStreamChild {
    private LargeStreamChild() {}

    /**
     * Runs the stream in and out.
     *
     * @param args the database directory and the size in MiB.
     * @throws Exception on any failure (the parent sees a non-zero exit).
     */
    public static void main(final String[] args) throws Exception {
        final Path dir = Path.of(args[0]);
        final long total = Long.parseLong(args[1]) << 20;
        final byte[] buf = new byte[256 * 1024];
        final Ref ref;
        final long t0 = System.nanoTime();
        try (Session s = BessServer.embedded(new Context().nodeDir(dir.resolve("node-in")))) {
            final Database db = s.createDatabase(dir.resolve("stream.root"));
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "stream"));
                final SplittableRandom in = new SplittableRandom(42);
                try (OutputStream out = lo.outputStream(0)) {
                    for (long done = 0; done < total; done += buf.length) {
                        in.nextBytes(buf);
                        out.write(buf, 0, (int) Math.min(buf.length, total - done));
                    }
                }
                tx.setRoot(db, "stream", lo.ref());
                ref = lo.ref();
                tx.commit();
            }
        }
        final long t1 = System.nanoTime();
        final byte[] expected = new byte[buf.length];
        try (Session s = BessServer.embedded(new Context().nodeDir(dir.resolve("node-out")))) {
            final Database db = s.openDatabase(dir.resolve("stream.root"));
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.openLarge(tx.root(db, "stream"));
                if (lo.length() != total || !lo.ref().equals(new Ref(db, ref.word()))) {
                    System.out.println("length mismatch: " + lo.length());
                    System.exit(1);
                }
                final SplittableRandom in = new SplittableRandom(42);
                long done = 0;
                try (InputStream stream = lo.inputStream(0)) {
                    while (done < total) {
                        in.nextBytes(expected);
                        final int want = (int) Math.min(buf.length, total - done);
                        if (stream.readNBytes(buf, 0, want) != want
                                || !java.util.Arrays.equals(buf, 0, want, expected, 0, want)) {
                            System.out.println("mismatch at " + done);
                            System.exit(1);
                        }
                        done += want;
                    }
                    if (stream.read() != -1) {
                        System.out.println("longer than written");
                        System.exit(1);
                    }
                }
            }
        }
        final long t2 = System.nanoTime();
        final Runtime rt = Runtime.getRuntime();
        System.out.println("ok in=" + (t1 - t0) / 1_000_000 + "ms out=" + (t2 - t1) / 1_000_000 + "ms maxHeap="
                + (rt.maxMemory() >> 20) + "MiB");
    }
}
