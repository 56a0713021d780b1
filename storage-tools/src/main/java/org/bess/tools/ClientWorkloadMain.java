package org.bess.tools;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.bess.client.Bess;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.LockTimeoutException;

/**
 * The client process of {@link ClientCampaign}: connects to the node server in a mode and runs bank transfers between
 * the accounts of the root {@code table} until it is killed, printing {@code ack N} after each commit returns. Each
 * transfer also counts itself in the source account, so the campaign can tell how many transfers are in the database,
 * and prints {@code try N FROM TO AMOUNT} just before its commit, so {@code ./bess demo} can rebuild every balance.
 *
 * <p>Arguments: node dir, mode, root area, accounts, seed, and optionally a hold file: while it exists, the next
 * transfer prints {@code hold N FROM TO AMOUNT} after its writes and keeps its transaction open for 30 s before it
 * commits (so {@code ./bess demo} can kill the process inside a transaction).
 */
public final class ClientWorkloadMain {
    /** How long a transaction is held open when the hold file exists (the demo kills the process meanwhile). */
    private static final long HOLD_MS = 30_000;

    private ClientWorkloadMain() {}

    /**
     * Runs transfers until killed.
     *
     * @param args see the class comment.
     */
    public static void main(final String[] args) throws InterruptedException {
        final PrintStream out = System.out;
        final Path hold = args.length > 5 ? Path.of(args[5]) : null;
        final Random random = new Random(Long.parseLong(args[4]));
        final int accounts = Integer.parseInt(args[3]);
        try (Session s = Bess.connect(Path.of(args[0]), Bess.Mode.valueOf(args[1]))) {
            final Database db = s.openDatabase(Path.of(args[2]));
            out.println("ready");
            out.flush();
            long n = 0;
            while (true) {
                try (Transaction tx = s.begin()) {
                    final ObjectRef table = tx.open(tx.root(db, "table"));
                    final int a = random.nextInt(accounts);
                    final int b = (a + 1 + random.nextInt(accounts - 1)) % accounts;
                    final long amount = 1 + random.nextInt(100);
                    final ObjectRef from = tx.open(table.getRef(8 * a));
                    final ObjectRef to = tx.open(table.getRef(8 * b));
                    from.putLong(0, from.getLong(0) - amount);
                    to.putLong(0, to.getLong(0) + amount);
                    from.putLong(8, from.getLong(8) + 1);
                    if (hold != null && Files.exists(hold)) {
                        // ./bess demo asked for a transaction to kill: written and locked, not committed
                        out.println("hold " + (n + 1) + " " + a + " " + b + " " + amount);
                        out.flush();
                        Thread.sleep(HOLD_MS);
                    }
                    // before the commit: a try without its ack is in flight (it may or may not have committed)
                    out.println("try " + (n + 1) + " " + a + " " + b + " " + amount);
                    out.flush();
                    tx.commit();
                    out.println("ack " + ++n);
                    out.flush();
                } catch (final LockTimeoutException | DeadlockException e) {
                    // rolled back by the server: try another transfer
                }
            }
        }
    }
}
