package org.bess.tools;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;

/**
 * The crash campaign's workload, in a child JVM: {@code BankWorkloadMain NODE_DIR ROOT ACCOUNTS SEED ACK_FILE
 * [SESSIONS]}. Creates the bank on first use (every account holds {@link #INITIAL}), then transfers random amounts
 * between random accounts forever, one transaction per transfer, on SESSIONS concurrent sessions (default 1; a
 * deadlock victim is reported as aborted). It appends {@code try N FROM TO AMOUNT} to the ack file
 * before the commit and {@code ack N} once the commit returned, so the parent knows the one transfer that may be in
 * flight when it kills the process. Each line is one {@code write(2)}: a SIGKILL cannot lose a printed line.
 */
public final class BankWorkloadMain {
    /** Starting balance of each account. */
    public static final long INITIAL = 1000;
    /** Bytes per account: balance, account number, padding so that accounts spread over pages. */
    public static final int ACCOUNT_SIZE = 256;

    private BankWorkloadMain() {}

    /**
     * Runs until killed.
     *
     * @param args node dir, root path, accounts, seed.
     */
    public static void main(final String[] args) throws java.io.IOException, InterruptedException {
        final Path node = Path.of(args[0]);
        final Path root = Path.of(args[1]);
        final int accounts = Integer.parseInt(args[2]);
        final long seed = Long.parseLong(args[3]);
        final PrintStream out =
                new PrintStream(new java.io.FileOutputStream(args[4], true), true, StandardCharsets.UTF_8);
        final int sessions = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        final BessServer server = BessServer.start(
                new Context().nodeDir(node).cacheSizeBytes(4L << 20).recoveryBufferPages(32));
        final Ref[] refs;
        try (Session s = server.openSession()) {
            final Database db = Files.exists(root) ? s.openDatabase(root) : create(s, root, accounts);
            refs = accountRefs(s, db, accounts);
        }
        System.out.println("ready");
        System.out.flush();
        // transfer numbers are global; the lines of concurrent sessions interleave, each one write(2)
        final java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
        final Thread[] threads = new Thread[sessions];
        for (int t = 0; t < sessions; t++) {
            final Random random = new Random(seed * 31 + t);
            threads[t] = new Thread(() -> transfers(server.openSession(), refs, random, next, out), "bank-" + t);
            threads[t].start();
        }
        for (final Thread t : threads) {
            t.join();
        }
    }

    private static void transfers(
            final Session s,
            final Ref[] refs,
            final Random random,
            final java.util.concurrent.atomic.AtomicLong next,
            final PrintStream out) {
        while (true) {
            final long n = next.incrementAndGet();
            final int from = random.nextInt(refs.length);
            final int to = random.nextInt(refs.length);
            final long amount = 1 + random.nextInt(100);
            out.println("try " + n + " " + from + " " + to + " " + amount);
            try (Transaction tx = s.begin()) {
                final ObjectRef a = tx.open(refs[from]);
                final ObjectRef b = tx.open(refs[to]);
                a.putLong(0, a.getLong(0) - amount);
                b.putLong(0, b.getLong(0) + amount);
                if (random.nextInt(10) == 0) {
                    tx.abort();
                    out.println("aborted " + n);
                    continue;
                }
                tx.commit();
            } catch (final org.bess.exceptions.DeadlockException | org.bess.exceptions.LockTimeoutException e) {
                // the engine rolled the victim back
                out.println("aborted " + n);
                continue;
            }
            out.println("ack " + n);
        }
    }

    private static Database create(final Session s, final Path root, final int accounts) {
        final Database db = s.createDatabase(root, 1L << 20);
        final TypeId account = db.defineType("Account", ACCOUNT_SIZE, new int[0]);
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "accounts");
            for (int i = 0; i < accounts; i++) {
                final ObjectRef a = tx.allocate(f, account);
                a.putLong(0, INITIAL);
                a.putLong(8, i);
            }
            tx.commit();
        }
        return db;
    }

    private static Ref[] accountRefs(final Session s, final Database db, final int accounts) {
        final Ref[] refs = new Ref[accounts];
        try (Transaction tx = s.begin();
                Cursor c = tx.scan(tx.file(db, "accounts"))) {
            while (c.next()) {
                refs[(int) c.object().getLong(8)] = c.object().ref();
            }
            tx.commit();
        }
        return refs;
    }

    /** The balances by account number, read in a transaction of {@code s}. */
    public static long[] balances(final Session s, final Database db, final int accounts) {
        final long[] balances = new long[accounts];
        try (Transaction tx = s.begin();
                Cursor c = tx.scan(tx.file(db, "accounts"))) {
            while (c.next()) {
                balances[(int) c.object().getLong(8)] = c.object().getLong(0);
            }
            tx.commit();
        }
        return balances;
    }
}
