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
 * A reference opened again in the same transaction is answered from what the first open found (client modes: the
 * handle of the first open, no request; embedded: the slot as the first open placed it, no latch, in a new handle), and
 * never from something that is no longer valid: not across transactions, not after the object was freed or its file
 * dropped.
 */
class OpenedObjectsTest {
    @TempDir
    Path dir;

    private Session session(final TestSessions.Way way) {
        return TestSessions.open(way, new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20));
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldReuseWhatAnOpenFoundWithinATransactionOnly(final TestSessions.Way way) {
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
                final ObjectRef again = tx.open(a);
                if (way == TestSessions.Way.EMBEDDED) {
                    // embedded opens make a handle each (one a caller does not keep is then not allocated)
                    assertThat(again.ref()).as("the same object again").isEqualTo(first.ref());
                    again.putLong(8, 9);
                    assertThat(first.getLong(8))
                            .as("one object behind both handles")
                            .isEqualTo(9);
                } else {
                    assertThat(again).as("the same handle again").isSameAs(first);
                }
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
    void shouldOpenObjectsInSegmentsWithoutASnapshotAgainWithoutTheLatch() {
        // a 2 MiB cache: 64 pins for slot snapshots; objects of 16,000 bytes, four per data segment, so 400 objects
        // live
        // in about 100 slotted segments and a pass over them opens objects in segments that get no snapshot
        try (EmbeddedSession s = (EmbeddedSession)
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(2L << 20))) {
            final Database db = s.createDatabase(dir.resolve("o.root"), 1L << 20);
            final TypeId type = db.defineType("Big", 16_000, new int[0]);
            final Ref[] refs = new Ref[400];
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "f");
                for (int k = 0; k < refs.length; k++) {
                    final ObjectRef o = tx.allocate(f, type);
                    o.putLong(0, 5000 + k);
                    refs[k] = o.ref();
                }
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final EngineTransaction t = (EngineTransaction) tx;
                final long[] latched = new long[3];
                for (int pass = 0; pass < latched.length; pass++) {
                    final long before = t.latchedOpens();
                    for (int k = 0; k < refs.length; k++) {
                        assertThat(tx.open(refs[k]).getLong(0)).isEqualTo(5000 + k);
                    }
                    latched[pass] = t.latchedOpens() - before;
                }
                assertThat(s.snapshots().pinnedSegments())
                        .as("the pin budget used up")
                        .isEqualTo(64);
                assertThat(latched[0])
                        .as("the first pass: the objects of segments without a snapshot under the latch")
                        .isGreaterThan(100);
                // at most the objects whose entries collided in the direct-mapped table go under the latch again
                assertThat(latched[1])
                        .as("the second pass: from the opened objects")
                        .isLessThan(latched[0] / 10);
                assertThat(latched[2]).isLessThanOrEqualTo(latched[1]);
                // a layout change (the last object, in a segment without a snapshot, grown): the placements kept are
                // not used, the objects are found anew
                final int last = refs.length - 1;
                tx.resize(tx.open(refs[last]), 16_008);
                final long before = t.latchedOpens();
                assertThat(tx.open(refs[last]).size()).isEqualTo(16_008);
                assertThat(t.latchedOpens() - before).isEqualTo(1);
                for (int k = 0; k < refs.length; k++) {
                    assertThat(tx.open(refs[k]).getLong(0)).isEqualTo(5000 + k);
                }
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
