package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A write to an object that straddles pages faults each page; the first write of a later page may log the recovery
 * buffer early, which write-protects the frames written so far, the first page of the same object included. The
 * write must still land (the fault goes over the range again), not kill the process on a read-only frame.
 */
class StraddlingWriteTest {
    private static final int SIZE = 3000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldWriteObjectsAcrossPagesWhileTheRecoveryBufferIsLoggedEarly(final TestSessions.Way way) {
        final Context context = new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(16L << 20)
                .recoveryBufferPages(4);
        try (Session s = TestSessions.open(way, context)) {
            final Database db = s.createDatabase(dir.resolve("straddle.root"), 1L << 20);
            final TypeId type = db.defineType("Wide", SIZE, new int[0]);
            final byte[] value = new byte[SIZE];
            final List<ObjectRef> objects = new ArrayList<>();
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "wide");
                for (int i = 0; i < 100; i++) {
                    objects.add(tx.allocate(f, type));
                }
                tx.commit();
            }
            final List<org.bess.client.Ref> refs = new ArrayList<>();
            try (Transaction tx = s.begin()) {
                for (final ObjectRef o : objects) {
                    final ObjectRef w = tx.open(o.ref());
                    java.util.Arrays.fill(value, (byte) refs.size());
                    w.putBytes(0, value, 0, SIZE);
                    refs.add(o.ref());
                }
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final byte[] got = new byte[SIZE];
                for (int i = 0; i < refs.size(); i++) {
                    tx.open(refs.get(i)).getBytes(0, got, 0, SIZE);
                    assertThat(got[0]).isEqualTo((byte) i);
                    assertThat(got[SIZE - 1]).isEqualTo((byte) i);
                }
            }
        }
    }
}
