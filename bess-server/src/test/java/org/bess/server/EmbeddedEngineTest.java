package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EmbeddedEngineTest {
    @TempDir
    Path dir;

    private Session session(final TestSessions.Way way) {
        return TestSessions.open(way, new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20));
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldKeepObjectsAndReferencesAcrossReopen(final TestSessions.Way way) {
        final Path root = dir.resolve("db.root");
        final List<Long> words = new ArrayList<>();
        try (Session s = session(way)) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId node = db.defineType("Node", 24, new int[] {8});
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "nodes");
                ObjectRef prev = null;
                for (int i = 0; i < 1000; i++) {
                    final ObjectRef o = tx.allocate(f, node);
                    o.putLong(0, i);
                    o.putRef(8, prev == null ? null : prev.ref());
                    o.putLong(16, i * 3L);
                    prev = o;
                    words.add(o.ref().word());
                }
                tx.setRoot(db, "head", prev.ref());
                tx.commit();
            }
        }
        try (Session s = session(way)) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                Ref r = tx.root(db, "head");
                int expected = 999;
                while (r != null) {
                    final ObjectRef o = tx.open(r);
                    assertThat(o.getLong(0)).isEqualTo(expected);
                    assertThat(o.getLong(16)).isEqualTo(expected * 3L);
                    r = o.getRef(8);
                    expected--;
                }
                assertThat(expected).isEqualTo(-1);
                int count = 0;
                try (Cursor c = tx.scan(tx.file(db, "nodes"))) {
                    while (c.next()) {
                        assertThat(c.object().getLong(0)).isEqualTo(count);
                        count++;
                    }
                }
                assertThat(count).isEqualTo(1000);
                tx.commit();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRefuseAFreedReference(final TestSessions.Way way) {
        try (Session s = session(way)) {
            final Database db = s.createDatabase(dir.resolve("db2.root"), 1L << 20);
            final TypeId t = db.defineType("T", 16, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "f");
                final ObjectRef o = tx.allocate(f, t);
                final Ref r = o.ref();
                tx.free(o);
                assertThatThrownBy(() -> tx.open(r))
                        .isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                                .isEqualTo(ErrorCode.INVALID_REFERENCE))
                        .hasMessageContaining("freed");
                tx.commit();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldKeepALimitedAreaWithinItsLimitAndSpillToAnotherArea(final TestSessions.Way way) {
        final Path root = dir.resolve("lim.root");
        final Path small = dir.resolve("lim.small");
        try (Session s = session(way)) {
            final Database db = s.createDatabase(root, 1L << 20);
            db.addArea(small, (1L << 20) + 4096);
            final TypeId t = db.defineType("Blob", 8000, new int[0]);
            final List<Ref> refs = new ArrayList<>();
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "blobs", small);
                for (int i = 0; i < 400; i++) {
                    final ObjectRef o = tx.allocate(f, t);
                    o.putLong(0, i);
                    refs.add(o.ref());
                }
                tx.commit();
            }
            assertThat(db.areas().get(1).sizeBytes()).isLessThanOrEqualTo((1L << 20) + 4096);
            assertThat(db.areas().get(0).sizeBytes())
                    .as("the overflow went to the root area")
                    .isGreaterThan(2L << 20);
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < refs.size(); i++) {
                    assertThat(tx.open(refs.get(i)).getLong(0)).isEqualTo(i);
                }
                tx.commit();
            }
            assertThatThrownBy(() -> db.addArea(dir.resolve("tiny"), 4096))
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("below one extent");
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldKeepEveryPageIntactUnderCachePressureInOneTransaction(final TestSessions.Way way) {
        final Path root = dir.resolve("pressure.root");
        final List<Ref> refs = new ArrayList<>();
        try (Session s =
                TestSessions.open(way, new Context().nodeDir(dir.resolve("pn")).cacheSizeBytes(1L << 20))) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId t = db.defineType("Page", 4000, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "pages");
                for (int i = 0; i < 600; i++) {
                    final ObjectRef o = tx.allocate(f, t);
                    o.putLong(0, i);
                    o.putLong(3992, -i);
                    refs.add(o.ref());
                }
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < refs.size(); i++) {
                    final ObjectRef o = tx.open(refs.get(i));
                    assertThat(o.getLong(0)).isEqualTo(i);
                    assertThat(o.getLong(3992)).isEqualTo(-i);
                }
                tx.commit();
            }
        }
        assertThat(new org.bess.server.check.DatabaseChecker(root, dir.resolve("chk"))
                        .run(l -> {})
                        .problems())
                .isEmpty();
    }
}
