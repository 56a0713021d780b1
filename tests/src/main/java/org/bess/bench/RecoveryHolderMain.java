package org.bess.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bess.client.Bess;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.remote.RemoteSession;

/**
 * The client process of {@link MemoryFootprintBenchmark#recoveryBufferHeap}: connects {@code clients} shared-memory
 * sessions, begins a transaction in each and prints {@code CONNECTED}; after a line on stdin, each session writes the
 * first {@code objects} objects of its own file {@code w<k>} (every page's first write: a before-image on the server)
 * and it prints {@code HOLDING images=N} (the before-images held, from the sessions' read-only mappings of their
 * recovery buffers) and keeps the transactions open until stdin ends; then it rolls them back.
 *
 * <p>Arguments: {@code nodeDir rootArea clients objects}.
 */
public final class RecoveryHolderMain {
    private RecoveryHolderMain() {}

    /**
     * Runs the holder.
     *
     * @param args {@code nodeDir rootArea clients objects}.
     */
    public static void main(final String[] args) throws Exception {
        if (args.length != 4) {
            throw new IllegalArgumentException(
                    "usage: RecoveryHolderMain nodeDir rootArea clients objects; got " + args.length);
        }
        final int clients = Integer.parseInt(args[2]);
        final int objects = Integer.parseInt(args[3]);
        final List<Session> sessions = new ArrayList<>();
        final List<Transaction> txs = new ArrayList<>();
        final List<Database> dbs = new ArrayList<>();
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            for (int k = 0; k < clients; k++) {
                final Session s = Bess.connect(Path.of(args[0]), Bess.Mode.SHARED_MEMORY);
                sessions.add(s);
                dbs.add(s.openDatabase(Path.of(args[1])));
                txs.add(s.begin());
            }
            System.out.println("CONNECTED");
            System.out.flush();
            in.readLine();
            long images = 0;
            for (int k = 0; k < clients; k++) {
                write(txs.get(k), dbs.get(k), "w" + k, objects);
                images += ((RemoteSession) sessions.get(k)).recoveryBuffer().imagesHeld();
            }
            System.out.println("HOLDING images=" + images);
            System.out.flush();
            while (in.readLine() != null) {
                // hold until the benchmark closes stdin
            }
            for (final Transaction tx : txs) {
                tx.abort();
            }
        } finally {
            for (final Session s : sessions) {
                s.close();
            }
        }
    }

    private static void write(final Transaction tx, final Database db, final String file, final int objects) {
        int n = 0;
        try (Cursor c = tx.scan(tx.file(db, file))) {
            while (n < objects && c.next()) {
                c.object().putLong(8, n);
                n++;
            }
        }
        if (n < objects) {
            throw new IllegalStateException("file " + file + " has " + n + " objects, fewer than " + objects);
        }
    }
}
