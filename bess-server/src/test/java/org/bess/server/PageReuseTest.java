package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pages of the root area change role: a freed slotted segment or catalog page becomes a data page, a freed data page
 * becomes a slotted segment or catalog page. Each role checksums its page differently (header versus page-info), so a
 * page must be written back, and read, as what it is now.
 */
class PageReuseTest {
    private static final int OBJECTS = 1_000;

    @TempDir
    Path dir;

    private Session session(final long cacheBytes) {
        return BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(cacheBytes));
    }

    private static long pattern(final int i, final int k) {
        return 0x5EED_0000_0000_0000L ^ ((long) i << 16) ^ k;
    }

    @Test
    void shouldKeepObjectsWhoseDataSegmentsReuseTheSlottedSegmentPagesOfADroppedFile() {
        final Path root = dir.resolve("db.root");
        final List<Long> words = new ArrayList<>();
        try (Session s = session(8L << 20)) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId t = db.defineType("T", 32, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile old = tx.createFile(db, "old");
                for (int i = 0; i < OBJECTS; i++) {
                    tx.allocate(old, t).putLong(0, i);
                }
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                tx.dropFile(tx.file(db, "old"));
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "new");
                for (int i = 0; i < OBJECTS; i++) {
                    final ObjectRef o = tx.allocate(f, t, 4000);
                    for (int k = 0; k < 4000 / Long.BYTES; k++) {
                        o.putLong(k * Long.BYTES, pattern(i, k));
                    }
                    words.add(o.ref().word());
                }
                tx.commit();
            }
        }
        try (Session s = session(1L << 20)) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < OBJECTS; i++) {
                    final ObjectRef o = tx.open(new Ref(db, words.get(i)));
                    for (int k = 0; k < 4000 / Long.BYTES; k++) {
                        assertThat(o.getLong(k * Long.BYTES))
                                .as("object %d word %d", i, k)
                                .isEqualTo(pattern(i, k));
                    }
                }
                assertThat(StoreInvariants.check((EngineDatabase) db)).isEmpty();
                tx.commit();
            }
        }
    }

    @Test
    void shouldKeepSlottedSegmentsAndTheCatalogThatReuseFreedDataPages() {
        final Path root = dir.resolve("db.root");
        final List<Long> words = new ArrayList<>();
        try (Session s = session(8L << 20)) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId t = db.defineType("T", 8, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile big = tx.createFile(db, "big");
                for (int i = 0; i < 40; i++) {
                    tx.allocate(big, t, 16 * 1024).putLong(0, i);
                }
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                tx.dropFile(tx.file(db, "big"));
                final BessFile f = tx.createFile(db, "small");
                for (int i = 0; i < OBJECTS; i++) {
                    final ObjectRef o = tx.allocate(f, t);
                    o.putLong(0, pattern(i, 0));
                    words.add(o.ref().word());
                    if (i % 100 == 0) {
                        tx.setRoot(db, "r" + i, o.ref());
                    }
                }
                tx.commit();
            }
        }
        try (Session s = session(1L << 20)) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < OBJECTS; i++) {
                    assertThat(tx.open(new Ref(db, words.get(i))).getLong(0)).isEqualTo(pattern(i, 0));
                }
                assertThat(tx.root(db, "r500").word()).isEqualTo(words.get(500));
                assertThat(StoreInvariants.check((EngineDatabase) db)).isEmpty();
                tx.commit();
            }
        }
    }
}
