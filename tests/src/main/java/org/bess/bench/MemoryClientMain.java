package org.bess.bench;

import java.nio.file.Path;
import org.bess.client.Bess;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.Transaction;

/**
 * A shared-memory client process of {@link MemoryFootprintBenchmark}: connects, warms up (one transaction reading one
 * object, so the code paths are loaded), records its resident memory, then reads the first {@code pages} objects of
 * the file {@code big} (one object a page, each mapped from the server's cache into this process) in one transaction
 * and records its resident memory again while the pages are still mapped. Prints one line: {@code rss-before=KiB
 * shmem-before=KiB anon-before=KiB rss-after=KiB shmem-after=KiB anon-after=KiB} (VmRSS, RssShmem, RssAnon of
 * {@code /proc/self/status}). Run it with {@code -Xms} equal to {@code -Xmx} and {@code -XX:+AlwaysPreTouch} so the
 * heap is resident from the start and does not blur the growth.
 *
 * <p>Arguments: {@code nodeDir rootArea pages}.
 */
public final class MemoryClientMain {
    private MemoryClientMain() {}

    /**
     * Runs the measurement.
     *
     * @param args {@code nodeDir rootArea pages}.
     */
    public static void main(final String[] args) {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: MemoryClientMain nodeDir rootArea pages; got " + args.length);
        }
        final int pages = Integer.parseInt(args[2]);
        try (Session s = Bess.connect(Path.of(args[0]), Bess.Mode.SHARED_MEMORY)) {
            final Database db = s.openDatabase(Path.of(args[1]));
            read(s, db, 1);
            System.gc();
            final String before = "rss-before=" + BenchMetrics.statusKib("VmRSS") + " shmem-before="
                    + BenchMetrics.statusKib("RssShmem") + " anon-before=" + BenchMetrics.statusKib("RssAnon");
            final String after;
            try (Transaction tx = s.begin()) {
                final long sum = scan(tx, db, pages);
                after = "rss-after=" + BenchMetrics.statusKib("VmRSS") + " shmem-after="
                        + BenchMetrics.statusKib("RssShmem") + " anon-after=" + BenchMetrics.statusKib("RssAnon")
                        + " sum=" + sum;
            }
            System.out.println(before + " " + after);
        }
    }

    private static void read(final Session s, final Database db, final int pages) {
        try (Transaction tx = s.begin()) {
            scan(tx, db, pages);
        }
    }

    private static long scan(final Transaction tx, final Database db, final int pages) {
        long sum = 0;
        int n = 0;
        try (Cursor c = tx.scan(tx.file(db, "big"))) {
            while (n < pages && c.next()) {
                sum += c.object().getLong(0);
                n++;
            }
        }
        if (n < pages) {
            throw new IllegalStateException("the file has " + n + " objects, fewer than " + pages);
        }
        return sum;
    }
}
