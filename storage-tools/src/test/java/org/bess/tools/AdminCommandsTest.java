package org.bess.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.format.AreaHeaderDescriptor;
import org.bess.format.LargeObjectEntryDescriptor;
import org.bess.format.LargeObjectNodeDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin commands end to end on real area files, including the bad-input cases of the storage issue. */
class AdminCommandsTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return BessAdmin.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private void populate(final Path root, final int count) {
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20))) {
            final Database db = s.openDatabase(root);
            final TypeId t = db.defineType("Item", 64, new int[] {8});
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "items");
                ObjectRef prev = null;
                for (int i = 0; i < count; i++) {
                    final ObjectRef o = tx.allocate(f, t);
                    o.putLong(0, i);
                    o.putRef(8, prev == null ? null : prev.ref());
                    prev = o;
                }
                tx.setRoot(db, "last", prev.ref());
                tx.commit();
            }
        }
    }

    @Test
    void shouldRunTheAreaAndFileLifecycleAndStayHealthy() {
        final Path root = dir.resolve("db.root");
        final Path area2 = dir.resolve("db.area2");
        assertThat(run("create-db", "--root", root.toString(), "--extent-size", "1m"))
                .isZero();
        assertThat(out.toString()).contains("created database");
        assertThat(run("add-area", "--db", root.toString(), "--path", area2.toString()))
                .isZero();
        populate(root, 5000);
        assertThat(run("list-areas", "--db", root.toString()))
                .as(err.toString())
                .isZero();
        assertThat(out.toString()).contains("db.root").contains("db.area2");
        assertThat(run("list-files", "--db", root.toString())).isZero();
        assertThat(out.toString()).contains("items").contains("5000");
        assertThat(run("move-file", "--db", root.toString(), "--file", "items", "--to", area2.toString()))
                .as(err.toString())
                .isZero();
        assertThat(run("remove-area", "--db", root.toString(), "--path", area2.toString()))
                .isEqualTo(1);
        assertThat(err.toString().lines()).hasSize(1);
        assertThat(err.toString()).contains("items").contains("db.area2");
        assertThat(run("compact", "--db", root.toString())).as(err.toString()).isZero();
        assertThat(run("check", "--db", root.toString())).as(out.toString()).isZero();
        assertThat(out.toString()).contains(": ok:").contains("objects=5000").contains("references=4999");
        assertThat(run("move-file", "--db", root.toString(), "--file", "items", "--to", root.toString()))
                .isZero();
        assertThat(run("remove-area", "--db", root.toString(), "--path", area2.toString()))
                .as(err.toString())
                .isZero();
        assertThat(area2).doesNotExist();
        assertThat(run("check", "--db", root.toString())).as(out.toString()).isZero();
    }

    @Test
    void shouldSayInOneLineThatAFileIsNotABessArea() throws IOException {
        final Path junk = dir.resolve("junk");
        Files.write(junk, new byte[8192]);
        assertThat(run("list-areas", "--db", junk.toString())).isEqualTo(1);
        assertThat(err.toString().lines()).hasSize(1);
        assertThat(err.toString()).contains("not a bess storage area").contains(junk.toString());
        assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void shouldRefuseANewerFormatVersion() throws IOException {
        final Path root = dir.resolve("new.root");
        assertThat(run("create-db", "--root", root.toString(), "--extent-size", "1m"))
                .isZero();
        patchHeaderInt(root, AreaHeaderDescriptor.AREA_FORMAT_VERSION_OFFSET, 99);
        assertThat(run("list-files", "--db", root.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("newer format").contains("version=99");
    }

    @Test
    void shouldRefuseATruncatedArea() throws IOException {
        final Path root = dir.resolve("cut.root");
        assertThat(run("create-db", "--root", root.toString(), "--extent-size", "1m"))
                .isZero();
        try (RandomAccessFile f = new RandomAccessFile(root.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertThat(run("list-areas", "--db", root.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("truncated").contains(root.toString());
    }

    @Test
    void shouldNameTheMissingAreaOfADatabase() throws IOException {
        final Path root = dir.resolve("m.root");
        final Path area = dir.resolve("m.area");
        assertThat(run("create-db", "--root", root.toString(), "--extent-size", "1m"))
                .isZero();
        assertThat(run("add-area", "--db", root.toString(), "--path", area.toString()))
                .isZero();
        Files.delete(area);
        assertThat(run("list-areas", "--db", root.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("missing").contains("m.area");
        assertThat(run("check", "--db", root.toString())).isEqualTo(AdminSupport.DAMAGED);
        assertThat(out.toString()).contains("PROBLEM").contains("m.area");
    }

    @Test
    void shouldReportACorruptDataPageByNameAndExitNonZero() throws IOException {
        final Path root = dir.resolve("c.root");
        assertThat(run("create-db", "--root", root.toString(), "--extent-size", "1m"))
                .isZero();
        populate(root, 200);
        assertThat(run("check", "--db", root.toString())).isZero();
        // flip one byte of every page of the first extent's data region past the metadata (control and data pages
        // alike)
        try (RandomAccessFile f = new RandomAccessFile(root.toFile(), "rw")) {
            for (long page = 9; page < 40; page++) {
                f.seek(page * 4096 + 100);
                final int b = f.read();
                f.seek(page * 4096 + 100);
                f.write(b ^ 0x40);
            }
        }
        assertThat(run("check", "--db", root.toString())).isEqualTo(AdminSupport.DAMAGED);
        assertThat(out.toString())
                .contains("PROBLEM")
                .contains("checksum mismatch")
                .contains("page=");
    }

    @Test
    void shouldRefuseToCreateOverAnExistingFile() throws IOException {
        final Path root = dir.resolve("exists");
        Files.write(root, new byte[1]);
        assertThat(run("create-db", "--root", root.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("already exists").contains(root.toString());
    }

    @Test
    void shouldRefuseABadExtentSize() {
        assertThat(run("create-db", "--root", dir.resolve("x").toString(), "--extent-size", "3m"))
                .isEqualTo(1);
        assertThat(err.toString()).contains("extent size");
    }

    @Test
    void shouldListLargeObjectsAndCatchATreeWhoseCountsDoNotAddUp() throws IOException {
        final Path root = dir.resolve("lo.root");
        assertThat(run("create-db", "--root", root.toString(), "--extent-size", "1m"))
                .isZero();
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20))) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "movies"));
                lo.append(new byte[3_000_000]);
                lo.insert(1_000_000, new byte[5]);
                tx.createLarge(tx.file(db, "movies"));
                tx.commit();
            }
        }
        assertThat(run("list-files", "--db", root.toString()))
                .as(err.toString())
                .isZero();
        assertThat(out.toString())
                .contains("LARGE OBJECT")
                .contains("movies")
                .contains("(3000005)")
                .contains("(0)")
                .contains("lo.root=");
        assertThat(run("check", "--db", root.toString())).as(out.toString()).isZero();
        assertThat(out.toString()).contains("largeObjects=2").contains("largeBytes=3000005");
        // make the first entry of the root count one byte more than its leaf holds
        try (RandomAccessFile f = new RandomAccessFile(root.toFile(), "rw")) {
            final byte[] page = new byte[4096];
            boolean patched = false;
            for (long p = 1; p < f.length() / 4096 && !patched; p++) {
                f.seek(p * 4096);
                f.readFully(page);
                final ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
                if (b.getShort(PageHeaderDescriptor.PAGE_TYPE_OFFSET) == PageHeaderDescriptor.TYPE_LARGE_NODE
                        && b.getLong(LargeObjectNodeDescriptor.LENGTH_OFFSET) == 3_000_005) {
                    final int count =
                            LargeObjectNodeDescriptor.entryOffset(0) + LargeObjectEntryDescriptor.BYTE_COUNT_OFFSET;
                    b.putLong(count, b.getLong(count) + 1);
                    final CRC32C crc = new CRC32C();
                    crc.update(page, 4, 4092);
                    b.putInt(0, (int) crc.getValue());
                    f.seek(p * 4096);
                    f.write(page);
                    patched = true;
                }
            }
            assertThat(patched).isTrue();
        }
        assertThat(run("check", "--db", root.toString())).isEqualTo(AdminSupport.DAMAGED);
        assertThat(out.toString()).contains("PROBLEM").contains("large object").contains("does not add up");
    }

    /** Rewrites an int of the area header and re-stamps its checksum, as a newer bess would have written it. */
    private static void patchHeaderInt(final Path area, final int offset, final int value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(area.toFile(), "rw")) {
            final byte[] page = new byte[4096];
            f.readFully(page);
            final ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(offset, value);
            final CRC32C crc = new CRC32C();
            crc.update(page, 4, 4092);
            b.putInt(0, (int) crc.getValue());
            f.seek(0);
            f.write(page);
        }
    }

    @Test
    void shouldDumpTheLogWithFiltersAndRecoverACleanNode() {
        final Path root = dir.resolve("log.root");
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20))) {
            s.createDatabase(root, 1L << 20);
        }
        populate(root, 50);
        assertThat(run("dump-log", "--node-dir", dir.resolve("node").toString()))
                .as(err.toString())
                .isZero();
        assertThat(out.toString())
                .contains("COMMIT")
                .contains("PAGE_DIFF")
                .contains("FULL_PAGE")
                .contains("CHECKPOINT")
                .contains("DATABASE")
                .contains("log ends at lsn");
        assertThat(run("dump-log", "--node-dir", dir.resolve("node").toString(), "--txn", "1"))
                .isZero();
        assertThat(out.toString().lines().filter(l -> l.startsWith("lsn="))).allMatch(l -> l.contains(" txn=1 "));
        assertThat(run("recover", "--node-dir", dir.resolve("node").toString()))
                .as(err.toString())
                .isZero();
        assertThat(out.toString()).contains("nothing to recover");
        assertThat(run("dump-log", "--node-dir", dir.resolve("missing").toString()))
                .isEqualTo(1);
        assertThat(err.toString()).contains("no log");
    }
}
