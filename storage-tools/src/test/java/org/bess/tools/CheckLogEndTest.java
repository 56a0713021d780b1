package org.bess.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.format.PageHeaderDescriptor;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check --node-dir} verifies page LSNs against the end of the node's log (TESTING.md oracle V), and {@code
 * dump-log} filters by transaction and page.
 */
class CheckLogEndTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private Path root() {
        return dir.resolve("lsn.root");
    }

    private Path node() {
        return dir.resolve("node");
    }

    private int run(final String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return BessAdmin.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @BeforeEach
    void makeDatabase() {
        try (Session s = BessServer.embedded(new Context().nodeDir(node()).cacheSizeBytes(8L << 20))) {
            final Database db = s.createDatabase(root(), 1L << 20);
            final TypeId t = db.defineType("Item", 64, new int[0]);
            for (int n = 0; n < 3; n++) {
                try (Transaction tx = s.begin()) {
                    final BessFile f = n == 0 ? tx.createFile(db, "items") : tx.file(db, "items");
                    for (int i = 0; i < 100; i++) {
                        tx.allocate(f, t).putLong(0, i);
                    }
                    tx.commit();
                }
            }
        }
    }

    /** Writes {@code lsn} into a control page's header and stamps a correct checksum. */
    private void setPageLsn(final long pageNo, final long lsn) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(root().toFile(), "rw")) {
            final byte[] page = new byte[PageHeaderDescriptor.PAGE_LENGTH];
            f.seek(pageNo * PageHeaderDescriptor.PAGE_LENGTH);
            f.readFully(page);
            final ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(PageHeaderDescriptor.PAGE_LSN_OFFSET, lsn);
            final CRC32C crc = new CRC32C();
            crc.update(
                    page, PageHeaderDescriptor.CHECKSUMMED_FROM, page.length - PageHeaderDescriptor.CHECKSUMMED_FROM);
            b.putInt(PageHeaderDescriptor.CHECKSUM_OFFSET, (int) crc.getValue());
            f.seek(pageNo * PageHeaderDescriptor.PAGE_LENGTH);
            f.write(page);
        }
    }

    @Test
    void shouldReportAPageWhoseLsnIsBeyondTheEndOfTheLog() throws IOException {
        assertThat(run("check", "--db", root().toString(), "--node-dir", node().toString()))
                .as(out + "" + err)
                .isZero();
        assertThat(out.toString()).contains("checking page LSNs against the end of the log");
        // page 1 is the first extent's map: a control page with a valid checksum after the change
        setPageLsn(1, 1L << 50);
        assertThat(run("check", "--db", root().toString(), "--node-dir", node().toString()))
                .as(out + "" + err)
                .isEqualTo(3);
        assertThat(out.toString())
                .contains("PROBLEM page LSN beyond the end of the log: area=" + root() + ", page=1, lsn=" + (1L << 50));
        assertThat(run("check", "--db", root().toString()))
                .as("without the log, LSNs are not checked")
                .isZero();
        assertThat(run(
                        "check",
                        "--db",
                        root().toString(),
                        "--node-dir",
                        dir.resolve("nowhere").toString()))
                .isEqualTo(1);
        assertThat(err.toString()).contains("no log in the node directory");
    }

    @Test
    void shouldFilterTheLogByTransactionAndByPage() {
        assertThat(run("dump-log", "--node-dir", node().toString()))
                .as(err.toString())
                .isZero();
        final long pageRecords =
                out.toString().lines().filter(l -> l.contains(" page=")).count();
        final String somePage = out.toString()
                .lines()
                .filter(l -> l.contains("PAGE_DIFF"))
                .findFirst()
                .orElseThrow()
                .replaceAll(".* page=(\\d+) .*", "$1");
        final String someTxn = out.toString()
                .lines()
                .filter(l -> l.contains("COMMIT"))
                .reduce((a, b) -> b)
                .orElseThrow()
                .replaceAll(".* txn=(\\d+) .*", "$1");

        assertThat(run("dump-log", "--node-dir", node().toString(), "--page", somePage))
                .isZero();
        assertThat(out.toString().lines().filter(l -> l.startsWith("lsn=")))
                .isNotEmpty()
                .allMatch(l -> l.contains(" page=" + somePage + " "));
        assertThat(out.toString().lines().filter(l -> l.startsWith("lsn=")).count())
                .isLessThan(pageRecords);

        assertThat(run("dump-log", "--node-dir", node().toString(), "--txn", someTxn))
                .isZero();
        assertThat(out.toString().lines().filter(l -> l.startsWith("lsn=")))
                .isNotEmpty()
                .allMatch(l -> l.contains(" txn=" + someTxn + " "))
                .anyMatch(l -> l.contains("COMMIT"));

        assertThat(run("dump-log", "--node-dir", node().toString(), "--txn", someTxn, "--page", somePage))
                .isZero();
        assertThat(out.toString().lines().filter(l -> l.startsWith("lsn=")))
                .allMatch(l -> l.contains(" txn=" + someTxn + " ") && l.contains(" page=" + somePage + " "));
        assertThat(run("dump-log", "--node-dir", node().toString(), "--page", "x"))
                .isEqualTo(2);
    }
}
