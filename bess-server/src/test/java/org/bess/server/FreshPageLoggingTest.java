package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Pages a transaction allocates are logged without before-images (their undo is the allocation's: the block is
 * freed): a well-filled new page is one full image of itself, so a bulk load logs about twice its size (the copy a
 * growing data segment makes included) instead of four times; an abort still leaves nothing behind, and a crash after
 * the commit still recovers every object.
 */
class FreshPageLoggingTest {
    private static final int SIZE = 2000;
    private static final int COUNT = 200;

    @TempDir
    Path dir;

    private Context context() {
        return new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(16L << 20);
    }

    private static List<Ref> load(final Session s, final Database db, final TypeId type, final boolean commit) {
        final List<Ref> refs = new ArrayList<>();
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.file(db, "bulk");
            final byte[] value = new byte[SIZE];
            for (int i = 0; i < COUNT; i++) {
                java.util.Arrays.fill(value, (byte) i);
                final ObjectRef o = tx.allocate(f, type);
                o.putBytes(0, value, 0, SIZE);
                refs.add(o.ref());
            }
            if (commit) {
                tx.commit();
            } else {
                tx.abort();
            }
        }
        return refs;
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldLogABulkLoadAtAboutItsOwnSizeAndUndoItByFreeing(final TestSessions.Way way) {
        final Path root = dir.resolve("bulk.root");
        final List<Ref> refs;
        try (Session s = TestSessions.open(way, context())) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId type = db.defineType("Value", SIZE, new int[0]);
            try (Transaction tx = s.begin()) {
                tx.allocate(tx.createFile(db, "bulk"), type);
                tx.commit();
            }
            final BessServer server = TestSessions.serverOf(s);
            final List<Ref> aborted = load(s, db, type, false);
            try (Transaction tx = s.begin()) {
                assertThatThrownBy(() -> tx.open(aborted.get(COUNT - 1))).isInstanceOf(BessException.class);
            }
            final long before = server.log().endLsn();
            refs = load(s, db, type, true);
            final long logged = server.log().endLsn() - before;
            // each value is logged about twice: where it is first written, and once more when its data segment
            // doubles by moving to new pages; with before-images and full images of the zeroed pages it was 3.9x
            assertThat(logged).as("log bytes of a %d-byte load", COUNT * SIZE).isLessThan(COUNT * SIZE * 5L / 2);
            try (Transaction tx = s.begin()) {
                final byte[] got = new byte[SIZE];
                for (int i = 0; i < COUNT; i++) {
                    tx.open(refs.get(i)).getBytes(0, got, 0, SIZE);
                    assertThat(got[0]).isEqualTo((byte) i);
                    assertThat(got[SIZE - 1]).isEqualTo((byte) i);
                }
            }
            if (way == TestSessions.Way.EMBEDDED) {
                ((EmbeddedSession) s).crash();
            }
        }
        try (Session s = BessServer.embedded(context())) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final byte[] got = new byte[SIZE];
                for (int i = 0; i < COUNT; i++) {
                    tx.open(new Ref(db, refs.get(i).word())).getBytes(0, got, 0, SIZE);
                    assertThat(got[SIZE / 2]).as("object %d after restart", i).isEqualTo((byte) i);
                }
            }
        }
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).problems())
                .isEmpty();
    }
}
