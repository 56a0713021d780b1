package org.bess.it.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client processes of a running node daemon ({@code ./bess server}): a shared-memory session and a copy-on-access
 * session through the daemon's session socket work on one database at once, each sees the other's commits, and the
 * daemon's restart keeps them.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // the daemon process is a resource for its close() only
class DaemonClientsIT {
    @TempDir
    Path tmp;

    @AfterEach
    void removeSharedMemory() throws java.io.IOException {
        DaemonProcess.removeShm(tmp.resolve("node"));
    }

    @Test
    void shouldServeSharedMemoryAndCopyOnAccessClientsOnOneDatabaseAcrossARestart() throws Exception {
        final Path node = tmp.resolve("node");
        final Path root = tmp.resolve("shared.root").toAbsolutePath();
        final Ref ref;
        try (DaemonProcess d = DaemonProcess.start(node, DaemonIT.TEST_CONFIG)) {
            try (Session shared = Bess.connect(node, Bess.Mode.SHARED_MEMORY);
                    Session copy = Bess.connect(node, Bess.Mode.COPY_ON_ACCESS)) {
                final Database db = shared.createDatabase(root, 1L << 20);
                final TypeId counter = db.defineType("Counter", 16, new int[0]);
                try (Transaction tx = shared.begin()) {
                    final BessFile f = tx.createFile(db, "counters");
                    final ObjectRef o = tx.allocate(f, counter);
                    o.putLong(0, 41);
                    tx.setRoot(db, "counter", o.ref());
                    ref = o.ref();
                    tx.commit();
                }
                final Database seen = copy.openDatabase(root);
                try (Transaction tx = copy.begin()) {
                    final ObjectRef o = tx.open(tx.root(seen, "counter"));
                    assertThat(o.getLong(0))
                            .as("the copy-on-access client sees the shared one's commit")
                            .isEqualTo(41);
                    o.putLong(0, 42);
                    tx.commit();
                }
                try (Transaction tx = shared.begin()) {
                    assertThat(tx.open(tx.root(db, "counter")).getLong(0))
                            .as("the shared-memory client sees the copy-on-access one's commit")
                            .isEqualTo(42);
                }
            }
        }
        try (DaemonProcess d = DaemonProcess.start(node, DaemonIT.TEST_CONFIG);
                Session s = Bess.connect(node, Bess.Mode.SHARED_MEMORY)) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                assertThat(tx.open(tx.root(db, "counter")).getLong(0)).isEqualTo(42);
                assertThat(tx.root(db, "counter").word()).isEqualTo(ref.word());
            }
        }
    }
}
