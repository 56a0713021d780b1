package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk full (TESTING.md row 8) on a real, size-limited tmpfs (8 MiB, mounted by the test; skipped with a reason when
 * mounting is not permitted). Areas on the full device: allocations are refused with {@code STORAGE_FULL} naming the
 * area, nothing committed is lost, and once space returns service resumes without a restart. The log on the full
 * device: the commit fails and is never acknowledged, the log is fail-stop (a restart is needed, by design: a log write
 * that failed may have left a partial tail), and the restart recovers every acknowledged commit.
 */
@Timeout(300)
class DiskFullTest {
    @TempDir
    Path dir;

    private Path mount;

    @BeforeEach
    void mountTmpfs() throws Exception {
        mount = dir.resolve("tmpfs");
        Files.createDirectories(mount);
        final Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString())
                .redirectErrorStream(true)
                .start();
        final boolean done = p.waitFor(30, TimeUnit.SECONDS);
        final String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.destroyForcibly();
        assumeThat(done && p.exitValue() == 0)
                .as("mount -t tmpfs -o size=8m is not permitted here (needs root): %s", output)
                .isTrue();
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            final Process p =
                    new ProcessBuilder("umount", mount.toString()).inheritIO().start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            p.destroyForcibly();
        }
    }

    /** Fills the device but {@code leave} bytes with a filler file. */
    private Path fill(final Path where, final long leave) throws IOException {
        final Path filler = where.resolve("filler");
        final long free = Files.getFileStore(where).getUsableSpace();
        try (RandomAccessFile f = new RandomAccessFile(filler.toFile(), "rw")) {
            final byte[] chunk = new byte[64 << 10];
            for (long written = 0; written < free - leave; written += chunk.length) {
                f.write(chunk, 0, (int) Math.min(chunk.length, free - leave - written));
            }
        } catch (final IOException e) {
            // the device is full already: that is what is wanted
        }
        return filler;
    }

    @Test
    void shouldRefuseAllocationsNamingTheAreaAndResumeWhenSpaceReturns() throws IOException {
        final Path root = mount.resolve("full.root");
        final List<Ref> committed = new ArrayList<>();
        final Context context = new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(4L << 20);
        try (Session s = BessServer.embedded(context)) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId t = db.defineType("Rec", 3000, new int[0]);
            try (Transaction tx = s.begin()) {
                tx.createFile(db, "recs");
                tx.commit();
            }
            final Path filler = fill(mount, 1L << 20);
            BessException refused = null;
            for (int n = 0; n < 200 && refused == null; n++) {
                final List<Ref> batch = new ArrayList<>();
                try (Transaction tx = s.begin()) {
                    final BessFile f = tx.file(db, "recs");
                    for (int i = 0; i < 50; i++) {
                        final ObjectRef o = tx.allocate(f, t);
                        o.putLong(0, committed.size() + batch.size());
                        batch.add(o.ref());
                    }
                    tx.commit();
                    committed.addAll(batch);
                } catch (final BessException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("the full device refused an allocation").isNotNull();
            assertThat(refused.errorCode()).as("%s", refused).isEqualTo(ErrorCode.STORAGE_FULL);
            assertThat(refused.getMessage()).contains("path=" + root);
            System.out.printf(
                    "disk full: %d objects committed, then refused: %s%n", committed.size(), refused.getMessage());
            verify(s, db, committed);

            // space returns: the same session allocates again, no restart
            Files.delete(filler);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.file(db, "recs");
                for (int i = 0; i < 50; i++) {
                    final ObjectRef o = tx.allocate(f, t);
                    o.putLong(0, committed.size());
                    committed.add(o.ref());
                }
                tx.commit();
            }
            verify(s, db, committed);
        }
        try (Session s = BessServer.embedded(context)) {
            verify(s, s.openDatabase(root), committed);
        }
        assertThat(CrashHarness.check(root, dir.resolve("check"))).isEmpty();
    }

    @Test
    void shouldNeverAcknowledgeACommitTheFullLogDeviceRefusedAndRecoverAfterARestart() throws IOException {
        final Path root = dir.resolve("db").resolve("log-full.root");
        Files.createDirectories(root.getParent());
        final Context context = new Context()
                .nodeDir(mount.resolve("node"))
                .cacheDir(dir.resolve("cache"))
                .cacheSizeBytes(4L << 20)
                .logSegmentBytes(1L << 20);
        final List<Ref> committed = new ArrayList<>();
        BessException refused = null;
        try (Session s = BessServer.embedded(context)) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId t = db.defineType("Rec", 1000, new int[0]);
            try (Transaction tx = s.begin()) {
                tx.createFile(db, "recs");
                tx.commit();
            }
            final Path filler = fill(mount, 256L << 10);
            for (int n = 0; n < 500 && refused == null; n++) {
                final List<Ref> batch = new ArrayList<>();
                try (Transaction tx = s.begin()) {
                    final BessFile f = tx.file(db, "recs");
                    for (int i = 0; i < 20; i++) {
                        final ObjectRef o = tx.allocate(f, t);
                        o.putLong(0, committed.size() + batch.size());
                        batch.add(o.ref());
                    }
                    tx.commit();
                    committed.addAll(batch);
                } catch (final BessException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("the full log device refused a commit").isNotNull();
            assertThat(refused.errorCode()).as("%s", refused).isIn(ErrorCode.IO, ErrorCode.STORAGE_FULL);
            assertThat(refused.getMessage())
                    .contains(mount.resolve("node").resolve("log").toString());
            Files.delete(filler);
            BessException later = null;
            try (Transaction tx = s.begin()) {
                tx.commit();
            } catch (final BessException e) {
                later = e;
            }
            assertThat(later).as("the log is fail-stop until a restart").isNotNull();
            assertThat(later.getMessage()).contains("restart recovery is needed");
            System.out.printf(
                    "log device full: %d objects committed, then refused: %s%n",
                    committed.size(), refused.getMessage());
        } catch (final BessException closeFailure) {
            assertThat(closeFailure.getMessage()).contains("restart recovery is needed");
        }
        try (Session s = BessServer.embedded(context)) {
            verify(s, s.openDatabase(root), committed);
        }
        assertThat(CrashHarness.check(root, dir.resolve("check"))).isEmpty();
    }

    /**
     * Every committed object is there with its number, by a scan (references do not outlive their session); a commit
     * that failed may be present only whole, as the numbers after the committed ones.
     */
    private static void verify(final Session s, final Database db, final List<Ref> committed) {
        final java.util.Set<Long> values = new java.util.TreeSet<>();
        try (Transaction tx = s.begin();
                org.bess.client.Cursor c = tx.scan(tx.file(db, "recs"))) {
            while (c.next()) {
                assertThat(values.add(c.object().getLong(0)))
                        .as("no number twice")
                        .isTrue();
            }
            tx.commit();
        }
        for (long i = 0; i < committed.size(); i++) {
            assertThat(values).as("committed object %d", i).contains(i);
        }
        assertThat(values.size() - committed.size())
                .as("objects of an unacknowledged commit")
                .isIn(0, 20, 50);
    }
}
