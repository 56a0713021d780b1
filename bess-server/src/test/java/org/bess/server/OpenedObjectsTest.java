package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.frame.OpenedObjects;
import org.bess.exceptions.BessException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A reference opened again in the same transaction gives back the handle of the first open (no slot lookup, no
 * request), and never a handle that is no longer valid: not across transactions, not after the object was freed or
 * its file dropped.
 */
class OpenedObjectsTest {
    @TempDir
    Path dir;

    private Session session(final TestSessions.Way way) {
        return TestSessions.open(way, new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20));
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldReuseAHandleWithinATransactionOnly(final TestSessions.Way way) {
        try (Session s = session(way)) {
            final Database db = s.createDatabase(dir.resolve("o.root"), 1L << 20);
            final TypeId type = db.defineType("Rec", 32, new int[0]);
            final Ref a;
            final Ref b;
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "f");
                a = tx.allocate(f, type).ref();
                b = tx.allocate(f, type).ref();
                tx.commit();
            }
            final ObjectRef first;
            try (Transaction tx = s.begin()) {
                first = tx.open(a);
                first.putLong(0, 7);
                assertThat(tx.open(a)).as("the same handle again").isSameAs(first);
                assertThat(tx.open(b)).isNotSameAs(first);
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final ObjectRef again = tx.open(a);
                assertThat(again).as("a new transaction opens anew").isNotSameAs(first);
                assertThat(again.getLong(0)).isEqualTo(7);
                tx.free(again);
                assertThatThrownBy(() -> tx.open(a))
                        .as("a freed object is not handed out again")
                        .isInstanceOf(BessException.class);
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.file(db, "f");
                assertThat(tx.open(b)).isNotNull();
                tx.dropFile(f);
                assertThatThrownBy(() -> tx.open(b))
                        .as("objects of a dropped file are not handed out again")
                        .isInstanceOf(BessException.class);
                tx.commit();
            }
        }
    }

    @Test
    void shouldForgetEntriesOnBeginAndRemoveAndKeepDatabasesApart() {
        final OpenedObjects<String> opened = new OpenedObjects<>();
        final Object db1 = new Object();
        final Object db2 = new Object();
        opened.put(db1, 42L, "x");
        assertThat(opened.get(db1, 42L)).isEqualTo("x");
        assertThat(opened.get(db2, 42L)).as("another database's word").isNull();
        assertThat(opened.get(db1, 43L)).isNull();
        opened.remove(42L);
        assertThat(opened.get(db1, 42L)).isNull();
        opened.put(db1, 42L, "y");
        opened.begin();
        assertThat(opened.get(db1, 42L)).as("a new transaction").isNull();
        for (long w = 0; w < 100_000; w++) {
            opened.put(db1, w, "v" + w);
        }
        int found = 0;
        for (long w = 0; w < 100_000; w++) {
            final String v = opened.get(db1, w);
            if (v != null) {
                assertThat(v).isEqualTo("v" + w);
                found++;
            }
        }
        assertThat(found).as("bounded: at most its entries").isBetween(1, 4096);
    }
}
