package org.bess.server;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

/**
 * A bank-transfer workload for crash tests, run as a child JVM: {@code BankWorkload NODE_DIR ROOT ACCOUNTS SEED
 * HALT_AFTER}. It creates the database on first run (accounts of {@link #INITIAL} each, in objects spread over pages),
 * then transfers random amounts between random accounts, one transaction each, printing {@code ack N FROM TO AMOUNT}
 * after each commit returned. After {@code HALT_AFTER} acks (when positive) it changes many accounts in a transaction
 * it never commits, makes sure some of those changes reached the log and the disk, and halts the JVM on the spot.
 */
public final class BankWorkload {
    /** Starting balance of each account. */
    static final long INITIAL = 1000;
    /** Bytes per account object: balance, then padding so accounts spread over pages. */
    static final int ACCOUNT_SIZE = 512;

    private BankWorkload() {}

    /**
     * Runs the workload.
     *
     * @param args node dir, root path, accounts, seed, halt-after.
     */
    public static void main(final String[] args) {
        final Path node = Path.of(args[0]);
        final Path root = Path.of(args[1]);
        final int accounts = Integer.parseInt(args[2]);
        final Random random = new Random(Long.parseLong(args[3]));
        final int haltAfter = Integer.parseInt(args[4]);
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        final Session s = BessServer.embedded(
                new Context().nodeDir(node).cacheSizeBytes(2L << 20).recoveryBufferPages(16));
        final Database db = java.nio.file.Files.exists(root) ? s.openDatabase(root) : create(s, root, accounts);
        final Ref[] refs = accounts(s, db, accounts);
        out.println("ready");
        for (int n = 1; ; n++) {
            final int from = random.nextInt(accounts);
            final int to = random.nextInt(accounts);
            final long amount = 1 + random.nextInt(100);
            out.println("try " + n + " " + from + " " + to + " " + amount);
            transfer(s, refs[from], refs[to], amount);
            out.println("ack " + n + " " + from + " " + to + " " + amount);
            if (haltAfter > 0 && n >= haltAfter) {
                final Transaction tx = s.begin();
                for (int i = 0; i < accounts; i++) {
                    final ObjectRef a = tx.open(refs[i]);
                    a.putLong(0, a.getLong(0) + 1_000_000);
                }
                // force some uncommitted changes to the log and to disk: the restart must undo them
                ((EmbeddedSession) s).server().cache().checkpoint();
                out.println("halting with an uncommitted transaction");
                Runtime.getRuntime().halt(0);
            }
        }
    }

    private static Database create(final Session s, final Path root, final int accounts) {
        final Database db = s.createDatabase(root, 1L << 20);
        create(s, db, db.defineType("Account", ACCOUNT_SIZE, new int[0]), accounts);
        return db;
    }

    /**
     * Creates {@code accounts} accounts of type {@code account} in a new file "accounts" and commits: balance {@link
     * #INITIAL} at offset 0, the account's number at 8.
     *
     * @return their references in account-number order.
     */
    static Ref[] create(final Session s, final Database db, final TypeId account, final int accounts) {
        final Ref[] refs = new Ref[accounts];
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "accounts");
            for (int i = 0; i < accounts; i++) {
                final ObjectRef a = tx.allocate(f, account);
                a.putLong(0, INITIAL);
                a.putLong(8, i);
                refs[i] = a.ref();
            }
            tx.commit();
        }
        return refs;
    }

    /**
     * Commits {@code 50 + random.nextInt(spread)} transfers of 1-50 between random accounts, one per transaction, and
     * applies each to {@code expected} once its commit returned.
     *
     * @return the transfers committed.
     */
    static int transfers(
            final Session s, final Ref[] refs, final long[] expected, final Random random, final int spread) {
        final int transfers = 50 + random.nextInt(spread);
        for (int n = 0; n < transfers; n++) {
            final int from = random.nextInt(refs.length);
            final int to = random.nextInt(refs.length);
            final long amount = 1 + random.nextInt(50);
            transfer(s, refs[from], refs[to], amount);
            expected[from] -= amount;
            expected[to] += amount;
        }
        return transfers;
    }

    /** Moves {@code amount} from one account to another in one transaction, committed. */
    static void transfer(final Session s, final Ref from, final Ref to, final long amount) {
        try (Transaction tx = s.begin()) {
            final ObjectRef a = tx.open(from);
            final ObjectRef b = tx.open(to);
            a.putLong(0, a.getLong(0) - amount);
            b.putLong(0, b.getLong(0) + amount);
            tx.commit();
        }
    }

    /** The accounts' references in account-number order. */
    static Ref[] accounts(final Session s, final Database db, final int accounts) {
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

    /** The balances, by account number. */
    static long[] balances(final Session s, final Database db, final int accounts) {
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
