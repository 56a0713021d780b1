package org.bess.server.remote;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.Bess;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.remote.RemoteSession;
import org.bess.exceptions.DeadlockException;
import org.bess.exceptions.LockTimeoutException;

/**
 * A client process for {@link ClientProcessesTest}: connects to a node server in the given mode and runs bank transfers
 * on the accounts named by the root {@code table} (an object of references), or stops mid-transaction ({@code hang}),
 * or writes into a read-only frame behind the engine's back ({@code stray}: must die of SIGSEGV).
 *
 * <p>Arguments: node dir, mode, root area, action ({@code bank N}, {@code hang}, {@code stray}), accounts, seed.
 */
public final class ClientChild {
    private ClientChild() {}

    /**
     * Runs the child.
     *
     * @param args see the class comment.
     */
    public static void main(final String[] args) throws Exception {
        final Bess.Mode mode = Bess.Mode.valueOf(args[1]);
        try (Session s = Bess.connect(Path.of(args[0]), mode)) {
            final Database db = s.openDatabase(Path.of(args[2]));
            final int accounts = Integer.parseInt(args[4]);
            final Random random = new Random(Long.parseLong(args[5]));
            switch (args[3]) {
                case "bank" -> bank(s, db, accounts, Integer.parseInt(args[6]), random, mode);
                case "hang" -> hang(s, db);
                case "stray" -> stray(s, db);
                case "strayRecovery" -> strayRecovery(s, db);
                case "relock" -> relock(s, db, accounts);
                case "hits" -> hits(s, db, accounts);
                case "fastWrite" -> fastWrite(s, db, args.length > 6 && args[6].equals("garbage"));
                default -> throw new IllegalArgumentException("unknown action: " + args[3]);
            }
        }
    }

    private static ObjectRef account(final Transaction tx, final Database db, final int i) {
        final ObjectRef table = tx.open(tx.root(db, "table"));
        final Ref r = table.getRef(8 * i);
        return tx.open(r);
    }

    private static void bank(
            final Session s,
            final Database db,
            final int accounts,
            final int transfers,
            final Random random,
            final Bess.Mode mode) {
        int commits = 0;
        int retries = 0;
        int audits = 0;
        int bad = 0;
        while (commits < transfers) {
            try (Transaction tx = s.begin()) {
                if (random.nextInt(10) == 0) {
                    long total = 0;
                    for (int i = 0; i < accounts; i++) {
                        total += account(tx, db, i).getLong(0);
                    }
                    audits++;
                    if (total != accounts * 1000L) {
                        bad++;
                        System.out.println("AUDIT BAD total=" + total);
                    }
                    tx.commit();
                    continue;
                }
                final int a = random.nextInt(accounts);
                final int b = (a + 1 + random.nextInt(accounts - 1)) % accounts;
                final long amount = 1 + random.nextInt(50);
                final ObjectRef from = account(tx, db, a);
                final ObjectRef to = account(tx, db, b);
                from.putLong(0, from.getLong(0) - amount);
                to.putLong(0, to.getLong(0) + amount);
                from.putLong(8, from.getLong(8) + 1);
                tx.commit();
                commits++;
            } catch (final LockTimeoutException | DeadlockException e) {
                retries++;
            }
        }
        System.out.println("DONE mode=" + mode + " commits=" + commits + " retries=" + retries + " audits=" + audits
                + " bad=" + bad);
    }

    private static void hang(final Session s, final Database db) throws InterruptedException {
        while (true) {
            final Transaction tx = s.begin();
            try {
                // money leaves two accounts and arrives nowhere: must never become visible
                for (int i = 0; i < 2; i++) {
                    final ObjectRef o = account(tx, db, i);
                    o.putLong(0, o.getLong(0) - 500);
                }
                break;
            } catch (final LockTimeoutException | DeadlockException e) {
                tx.close();
            }
        }
        System.out.println("IN_TXN");
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
        System.out.println("NOT KILLED");
    }

    /**
     * Reads every account in one transaction, then again in a second one that stays open: the second re-locks the
     * frames the first mapped by the shared-memory fast path. Prints {@code IN_TXN fast=N} and waits to be killed.
     */
    private static void relock(final Session s, final Database db, final int accounts) throws InterruptedException {
        try (Transaction tx = s.begin()) {
            for (int i = 0; i < accounts; i++) {
                account(tx, db, i).getLong(0);
            }
            tx.commit();
        }
        final Transaction tx = s.begin();
        for (int i = 0; i < accounts; i++) {
            account(tx, db, i).getLong(0);
        }
        final RemoteSession r = (RemoteSession) s;
        System.out.println("IN_TXN fast=" + r.fastPathLocks() + " localSlots=" + r.localSlotSnapshots() + " pinned="
                + r.slotFramesPinned());
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
        System.out.println("NOT KILLED");
    }

    /**
     * Reads every account in one transaction that stays open, printing {@code IN_TXN hits=N marked=M}: pages the
     * server had cached (another client read them first) are mapped by cache hits without a request, each marked
     * in the server's client-map file. Then waits to be killed.
     */
    private static void hits(final Session s, final Database db, final int accounts) throws InterruptedException {
        final Transaction tx = s.begin();
        for (int i = 0; i < accounts; i++) {
            account(tx, db, i).getLong(0);
        }
        final RemoteSession r = (RemoteSession) s;
        System.out.println("IN_TXN hits=" + r.cacheHits() + " marked=" + r.cacheHitFramesMapped());
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
        System.out.println("NOT KILLED");
    }

    /**
     * Reads byte 8000 of the root {@code big} (a two-page object) in one transaction, then writes it in a second one:
     * the first write of that cached, mapped page takes X by the lock fast path and the client's own before-image, no
     * request. With {@code garbage} it then damages its own image in the recovery buffer's client slot. Prints {@code
     * IN_TXN fastWrites=N} and waits to be killed ({@code bess.test.fastWriteHalt} halts it inside the write instead).
     */
    private static void fastWrite(final Session s, final Database db, final boolean garbage)
            throws InterruptedException {
        try (Transaction tx = s.begin()) {
            System.out.println("read " + tx.open(tx.root(db, "big")).getLong(8000));
            tx.commit();
        }
        final RemoteSession r = (RemoteSession) s;
        final Transaction tx = s.begin();
        final ObjectRef o = tx.open(tx.root(db, "big"));
        o.getLong(8000);
        final long requests = r.requestCount();
        o.putLong(8000, 666);
        System.out.println("requests " + (r.requestCount() - requests));
        if (garbage) {
            final org.bess.client.remote.RecoveryBufferMapping rb = r.recoveryBuffer();
            final int slots = rb.slotCount();
            final int clients = rb.clientSlots();
            final long image = rb.address()
                    + org.bess.format.RecoveryBufferDescriptor.imageOffset(slots, clients, slots - clients);
            final UnsafeBuffer b = new UnsafeBuffer(image, 4096);
            b.putLong(16, b.getLong(16) ^ 0x5A5A);
            System.out.println("garbage written");
        }
        System.out.println("IN_TXN fastWrites=" + r.fastPathWrites());
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
        System.out.println("NOT KILLED");
    }

    private static void stray(final Session s, final Database db) {
        final Transaction tx = s.begin();
        final ObjectRef o = account(tx, db, 0);
        System.out.println("read " + o.getLong(0));
        final long address = RemoteSession.addressOf(o);
        System.out.println("stray write at 0x" + Long.toHexString(address));
        System.out.flush();
        new UnsafeBuffer(address, 16).putLong(0, 666);
        System.out.println("SURVIVED");
        System.exit(3);
    }

    /**
     * Writes an account (the server takes its before-image into this session's recovery buffer), then writes into the
     * read-only mapping of that buffer: must die of SIGSEGV before anything reaches the file.
     */
    private static void strayRecovery(final Session s, final Database db) {
        final Transaction tx = s.begin();
        final ObjectRef o = account(tx, db, 0);
        o.putLong(0, o.getLong(0) - 500);
        final org.bess.client.remote.RecoveryBufferMapping rb = ((RemoteSession) s).recoveryBuffer();
        System.out.println("images " + rb.imagesHeld());
        System.out.println("stray write at 0x" + Long.toHexString(rb.address()));
        System.out.flush();
        new UnsafeBuffer(rb.address(), 4096).putLong(0, 666);
        System.out.println("SURVIVED");
        System.exit(3);
    }
}
