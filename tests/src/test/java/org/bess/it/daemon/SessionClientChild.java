package org.bess.it.daemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.remote.RemoteSession;
import org.bess.exceptions.BessException;

/**
 * A client process driven line by line on stdin, for the system tests: {@code connect shared|copy}, {@code create
 * ROOT} (a database with a counter object under the root {@code counter}), {@code open ROOT}, {@code fill N} (a file
 * {@code big} of N objects of 3,000 bytes, one a page, committed eight at a time), {@code begin}, {@code write V} (the counter),
 * {@code read}, {@code readall} (every object of {@code big}), {@code touch N} (reads the first N objects of {@code
 * big}: N pages mapped), {@code commit}, {@code abort}, {@code rss}, {@code exit}. Each command answers one line:
 * {@code ok ...} or {@code error CODE message}.
 *
 * <p>Arguments: {@code nodeDir}.
 */
public final class SessionClientChild {
    private final Path nodeDir;
    private final PrintStream out;
    private Session session;
    private Database db;
    private Transaction tx;

    private SessionClientChild(final Path nodeDir, final PrintStream out) {
        this.nodeDir = nodeDir;
        this.out = out;
    }

    /**
     * Runs the command loop.
     *
     * @param args {@code nodeDir}.
     */
    public static void main(final String[] args) throws IOException {
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        final SessionClientChild c = new SessionClientChild(Path.of(args[0]), out);
        out.println("ok started pid=" + ProcessHandle.current().pid());
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            final String[] w = line.trim().split("\\s+");
            if (w[0].equals("exit")) {
                break;
            }
            try {
                out.println(c.run(w));
            } catch (final BessException e) {
                out.println("error " + e.errorCode() + " " + e.getMessage().replace('\n', ' ')
                        + (e.getCause() == null ? "" : " (cause: " + e.getCause() + ")"));
            } catch (final RuntimeException e) {
                out.println("error " + e.getClass().getSimpleName() + " " + e.getMessage());
            }
        }
        if (c.session != null) {
            try {
                c.session.close();
            } catch (final RuntimeException e) {
                out.println("close failed: " + e.getMessage());
            }
        }
        out.println("bye");
    }

    private String run(final String[] w) throws IOException {
        switch (w[0]) {
            case "connect" -> {
                session = Bess.connect(
                        nodeDir, w[1].equals("shared") ? Bess.Mode.SHARED_MEMORY : Bess.Mode.COPY_ON_ACCESS);
                return "ok connected id=" + ((RemoteSession) session).connectionId();
            }
            case "create" -> {
                db = session.createDatabase(Path.of(w[1]), 1L << 20);
                final TypeId t = db.defineType("Counter", 16, new int[0]);
                try (Transaction t0 = session.begin()) {
                    final ObjectRef o = t0.allocate(t0.createFile(db, "c"), t);
                    o.putLong(0, 1);
                    t0.setRoot(db, "counter", o.ref());
                    t0.commit();
                }
                return "ok";
            }
            case "open" -> {
                db = session.openDatabase(Path.of(w[1]));
                return "ok";
            }
            case "fill" -> {
                final TypeId big = db.defineType("Big", 3000, new int[0]);
                try (Transaction t0 = session.begin()) {
                    t0.createFile(db, "big");
                    t0.commit();
                }
                final int n = Integer.parseInt(w[1]);
                for (int i = 0; i < n; i += 8) { // eight pages a transaction: few locks each
                    try (Transaction t0 = session.begin()) {
                        final BessFile f = t0.file(db, "big");
                        for (int j = i; j < Math.min(n, i + 8); j++) {
                            t0.allocate(f, big).putLong(0, j);
                        }
                        t0.commit();
                    }
                }
                return "ok";
            }
            case "begin" -> {
                tx = session.begin();
                return "ok";
            }
            case "write" -> {
                tx.open(tx.root(db, "counter")).putLong(0, Long.parseLong(w[1]));
                return "ok";
            }
            case "read" -> {
                final Transaction t = tx != null && tx.isActive() ? tx : session.begin();
                final long v = t.open(t.root(db, "counter")).getLong(0);
                if (t != tx) {
                    t.commit();
                }
                return "ok " + v;
            }
            case "readall", "touch" -> {
                final int limit = w[0].equals("touch") ? Integer.parseInt(w[1]) : Integer.MAX_VALUE;
                long sum = 0;
                int n = 0;
                try (Cursor c = tx.scan(tx.file(db, "big"))) {
                    while (n < limit && c.next()) {
                        sum += c.object().getLong(0);
                        n++;
                    }
                }
                return "ok " + n + " " + sum;
            }
            case "commit" -> {
                tx.commit();
                return "ok";
            }
            case "abort" -> {
                tx.abort();
                return "ok";
            }
            case "rss" -> {
                return "ok " + rss();
            }
            default -> throw new IllegalArgumentException("unknown command: " + w[0]);
        }
    }

    /** {@code rss=KB shmem=KB} from {@code /proc/self/status} (VmRSS and RssShmem). */
    static String rss() throws IOException {
        long rss = -1;
        long shmem = -1;
        for (final String l : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
            if (l.startsWith("VmRSS:")) {
                rss = Long.parseLong(l.replaceAll("[^0-9]", ""));
            } else if (l.startsWith("RssShmem:")) {
                shmem = Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return "rss=" + rss + " shmem=" + shmem;
    }
}
