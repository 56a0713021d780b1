package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.AreaInfo;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A raw block device as a storage area: a real loop device (root and losetup needed; skipped with a reason otherwise). */
@Timeout(120)
class DeviceAreaTest {
    @TempDir
    Path dir;

    private Path device;

    private static String run(final String... command) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    @BeforeEach
    void attachLoopDevice() throws Exception {
        final Path image = dir.resolve("device.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(8L << 20);
        }
        try {
            device = Path.of(run("losetup", "-f", "--show", image.toString()));
        } catch (final IOException e) {
            Assumptions.abort("no loop device here (needs root and losetup): " + e.getMessage());
        }
    }

    @AfterEach
    void detachLoopDevice() throws Exception {
        if (device != null) {
            run("losetup", "-d", device.toString());
        }
    }

    private Session session() {
        return BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(4L << 20));
    }

    @Test
    void shouldUseABlockDeviceAtItsSizeWithoutGrowingIt() {
        final Path root = dir.resolve("dev.root");
        final List<Ref> refs = new ArrayList<>();
        try (Session s = session()) {
            final Database db = s.createDatabase(root, 1L << 20);
            final AreaInfo area = db.addArea(device);
            assertThat(area.extents()).isEqualTo(7);
            assertThat(area.sizeBytes()).isEqualTo(4096L + 7 * (1L << 20));
            final TypeId t = db.defineType("Rec", 4000, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "recs", device);
                for (int i = 0; i < 2500; i++) {
                    final ObjectRef o = tx.allocate(f, t);
                    o.putLong(0, i);
                    refs.add(o.ref());
                }
                tx.commit();
            }
            assertThat(db.areas().get(1).extents()).as("never grown").isEqualTo(7);
            assertThat(db.areas().get(0).extents())
                    .as("overflow spilled to the root area")
                    .isGreaterThan(1);
        }
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).healthy())
                .isTrue();
        try (Session s = session()) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < refs.size(); i++) {
                    assertThat(tx.open(new Ref(db, refs.get(i).word())).getLong(0))
                            .isEqualTo(i);
                }
                tx.commit();
            }
            assertThatThrownBy(() -> db.removeArea(device))
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("recs");
            db.moveFile("recs", root);
            db.removeArea(device);
            assertThat(db.areas()).hasSize(1);
        }
        try (Session s = session()) {
            final Database db = s.createDatabase(dir.resolve("again.root"), 1L << 20);
            assertThat(db.addArea(device).extents())
                    .as("the wiped device can be used again")
                    .isEqualTo(7);
            final Database other = s.createDatabase(dir.resolve("third.root"), 1L << 20);
            assertThatThrownBy(() -> other.addArea(device))
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining(device.toString());
        }
    }
}
