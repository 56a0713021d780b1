package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class VirtualFrameProtectionTest {
    @TempDir
    Path dir;

    private Session session() {
        return BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(4L << 20));
    }

    @Test
    void shouldKillAChildThatWritesIntoAReadOnlyObjectFrameAndKeepTheDatabaseIntact() throws Exception {
        final Path root = dir.resolve("stray.root");
        final Path errorFile = dir.resolve("hs_err.log");
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + errorFile,
                "--add-opens",
                "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                StrayObjectWriteChild.class.getName(),
                dir.resolve("child-node").toString(),
                root.toString()));
        final Process child = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.out").toFile())
                .start();
        try {
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        final String output = Files.readString(dir.resolve("child.out"), StandardCharsets.UTF_8);
        assertThat(output).contains("read 42").contains("stray write at").doesNotContain("SURVIVED");
        assertThat(child.exitValue()).isNotZero();
        assertThat(Files.readString(errorFile)).contains("SIGSEGV").contains("SEGV_ACCERR");

        // the child's node directory holds its log: the commit it acknowledged is recovered from there
        try (Session s = BessServer.embedded(
                new Context().nodeDir(dir.resolve("child-node")).cacheSizeBytes(4L << 20))) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin();
                    Cursor c = tx.scan(tx.file(db, "counters"))) {
                assertThat(c.next()).isTrue();
                assertThat(c.object().getLong(0))
                        .as("the stray write never reached the page")
                        .isEqualTo(42);
                tx.commit();
            }
        }
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).healthy())
                .isTrue();
    }

    @Test
    void shouldReadAndWriteAcrossFrameBoundariesOfALargeObject() {
        final Path root = dir.resolve("span.root");
        final Ref ref;
        try (Session s = session()) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId t = db.defineType("Blob", 40_000, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "blobs");
                final ObjectRef o = tx.allocate(f, t);
                for (int off = 4092; off < 40_000 - 8; off += 4096) {
                    o.putLong(off, off * 7L);
                }
                final byte[] bytes = new byte[20_000];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) (i * 13);
                }
                o.putBytes(10_000, bytes, 0, bytes.length);
                o.putLong(40_000 - 8, -1L);
                ref = o.ref();
                tx.commit();
            }
        }
        try (Session s = session()) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final ObjectRef o = tx.open(new Ref(db, ref.word()));
                final byte[] bytes = new byte[20_000];
                o.getBytes(10_000, bytes, 0, bytes.length);
                for (int i = 0; i < bytes.length; i++) {
                    assertThat(bytes[i]).isEqualTo((byte) (i * 13));
                }
                for (int off = 4092; off < 10_000 - 8; off += 4096) {
                    assertThat(o.getLong(off)).as("offset %d", off).isEqualTo(off * 7L);
                }
                assertThat(o.getLong(40_000 - 8)).isEqualTo(-1L);
                tx.commit();
            }
        }
    }

    @Test
    void shouldTakeTheSlowPathOnlyOnTheFirstWriteToAPageInATransaction() {
        try (Session s = session()) {
            final Database db = s.createDatabase(dir.resolve("fault.root"), 1L << 20);
            final TypeId t = db.defineType("Counter", 16, new int[0]);
            final Ref ref;
            try (Transaction tx = s.begin()) {
                final ObjectRef o = tx.allocate(tx.createFile(db, "c"), t);
                ref = o.ref();
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final ObjectRef o = tx.open(ref);
                o.getLong(0);
                final long afterRead = ((EmbeddedSession) s).frames().faultCount();
                o.putLong(0, 1);
                final long afterFirstWrite = ((EmbeddedSession) s).frames().faultCount();
                for (int i = 0; i < 1000; i++) {
                    o.putLong(0, o.getLong(0) + 1);
                }
                assertThat(afterFirstWrite).isEqualTo(afterRead + 1);
                assertThat(((EmbeddedSession) s).frames().faultCount()).isEqualTo(afterFirstWrite);
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final ObjectRef o = tx.open(ref);
                assertThat(o.getLong(0)).isEqualTo(1001);
                final long before = ((EmbeddedSession) s).frames().faultCount();
                o.putLong(0, 5);
                assertThat(((EmbeddedSession) s).frames().faultCount())
                        .as("a new transaction's first write takes the update path again")
                        .isEqualTo(before + 1);
                tx.commit();
            }
        }
    }

    @Test
    void shouldMakeEveryWrittenFrameReadOnlyAtCommitAdjacentOrNot() throws IOException {
        try (Session s = session()) {
            final Database db = s.createDatabase(dir.resolve("runs.root"), 1L << 20);
            final TypeId t = db.defineType("Blob", 40_000, new int[0]);
            final Ref ref;
            try (Transaction tx = s.begin()) {
                ref = tx.allocate(tx.createFile(db, "blobs"), t).ref();
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final EngineObjectRef o = (EngineObjectRef) tx.open(ref);
                final long start = o.address();
                // three adjacent pages written, one read between them and the fourth written page
                final long firstPage = (start + 4095) & ~4095L;
                final long[] written = {firstPage, firstPage + 4096, firstPage + 8192, firstPage + 5 * 4096};
                for (final long page : written) {
                    o.putLong((int) (page - start), page);
                }
                final long readPage = firstPage + 3 * 4096;
                assertThat(o.getLong((int) (readPage - start))).isZero();
                for (final long page : written) {
                    assertThat(protection(page))
                            .as("written frame %x before commit", page)
                            .startsWith("rw");
                }
                assertThat(protection(readPage)).as("read frame").startsWith("r-");
                tx.commit();
                for (final long page : written) {
                    assertThat(protection(page))
                            .as("written frame %x after commit", page)
                            .startsWith("r-");
                }
                assertThat(protection(readPage)).as("read frame after commit").startsWith("r-");
                assertThat(protection(firstPage + 4 * 4096))
                        .as("a frame never touched stays inaccessible")
                        .startsWith("---");
            }
        }
    }

    /** The protection of the mapping holding {@code address}, from {@code /proc/self/maps} (e.g. {@code r--s}). */
    private static String protection(final long address) throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            final String[] fields = line.split(" ");
            final String[] range = fields[0].split("-");
            if (Long.compareUnsigned(Long.parseUnsignedLong(range[0], 16), address) <= 0
                    && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0) {
                return fields[1];
            }
        }
        throw new AssertionError("no mapping holds address " + Long.toHexString(address));
    }
}
