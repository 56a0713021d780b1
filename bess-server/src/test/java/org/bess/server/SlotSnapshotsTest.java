package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An embedded session resolves opens into a slotted segment its transaction resolved into before from a snapshot of the
 * segment's slots, without the engine latch ({@link SlotSnapshots}), and never gives a stale answer: not after the
 * transaction freed or moved an object of the segment, not for a large object, and not in the next transaction.
 */
@SuppressWarnings("try") // the latch guard is used for its close() only
class SlotSnapshotsTest {
    private static final int OBJECTS = 40;

    @TempDir
    Path dir;

    private EmbeddedSession session() {
        return (EmbeddedSession)
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20));
    }

    private static Ref[] populate(final Session s, final Database db, final TypeId type) {
        final Ref[] refs = new Ref[OBJECTS];
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "f");
            for (int i = 0; i < OBJECTS; i++) {
                final ObjectRef o = tx.allocate(f, type);
                o.putLong(0, 1000 + i);
                refs[i] = o.ref();
            }
            tx.commit();
        }
        return refs;
    }

    @Test
    void shouldOpenFromTheSnapshotWhileAnotherThreadHoldsTheLatch() throws Exception {
        try (EmbeddedSession s = session()) {
            final Database db = s.createDatabase(dir.resolve("s.root"), 1L << 20);
            final Ref[] refs = populate(s, db, db.defineType("Rec", 32, new int[0]));
            final BessServer server = s.server();
            final EmbeddedSession other = (EmbeddedSession) server.openSession();
            final ExecutorService threads = Executors.newFixedThreadPool(2);
            try (Transaction tx = s.begin()) {
                assertThat(tx.open(refs[0]).getLong(0)).isEqualTo(1000);
                final long taken = s.snapshots().taken();
                final CountDownLatch held = new CountDownLatch(1);
                final CountDownLatch release = new CountDownLatch(1);
                final Future<?> holder = threads.submit(() -> {
                    try (EmbeddedSession.Guard g = other.enter()) {
                        held.countDown();
                        release.await(60, TimeUnit.SECONDS);
                    }
                    return null;
                });
                assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
                try {
                    // the other objects' slots and data pages: the data page is mapped already (the first object's
                    // access), so neither the open nor the read needs the latch the other thread holds
                    final Future<Long> sum = threads.submit(() -> {
                        long total = 0;
                        for (int i = 1; i < OBJECTS; i++) {
                            total += tx.open(refs[i]).getLong(0);
                        }
                        return total;
                    });
                    long expected = 0;
                    for (int i = 1; i < OBJECTS; i++) {
                        expected += 1000 + i;
                    }
                    assertThat(sum.get(30, TimeUnit.SECONDS))
                            .as("opens answered without the latch")
                            .isEqualTo(expected);
                } finally {
                    release.countDown();
                    holder.get(30, TimeUnit.SECONDS);
                }
                assertThat(s.snapshots().taken())
                        .as("one snapshot for the segment")
                        .isEqualTo(taken);
                assertThat(s.snapshots().hits()).isGreaterThanOrEqualTo(OBJECTS - 1);
                tx.commit();
            } finally {
                threads.shutdownNow();
                other.close();
            }
        }
    }

    @Test
    void shouldResolveTheSlotsTheEngineResolves() {
        try (EmbeddedSession s = session()) {
            final EngineDatabase db = (EngineDatabase) s.createDatabase(dir.resolve("s.root"), 1L << 20);
            final TypeId[] types = {db.defineType("A", 24, new int[0]), db.defineType("B", 3000, new int[0])};
            final Ref[] refs = new Ref[60];
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "f");
                for (int i = 0; i < refs.length; i++) {
                    // sizes and types vary, objects past a page's end and at offsets beyond the first page included
                    refs[i] = tx.allocate(f, types[i % 2], i % 2 == 0 ? 8 + i : 3000 + 7 * i)
                            .ref();
                }
                // slots freed and reused: generations above zero
                for (int i = 0; i < refs.length; i += 5) {
                    tx.free(tx.open(refs[i]));
                    refs[i] = tx.allocate(f, types[0], 40 + i).ref();
                }
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final ObjectStore.Slot engine = new ObjectStore.Slot();
                final ObjectStore.Slot snapshot = new ObjectStore.Slot();
                int resolved = 0;
                for (final Ref r : refs) {
                    tx.open(r); // the segment's snapshot, taken at its first open
                    if (!s.snapshots().resolve(db, r.word(), snapshot)) {
                        continue;
                    }
                    resolved++;
                    try (EmbeddedSession.Guard g = s.enter()) {
                        db.objects().resolve(r.word(), engine);
                    }
                    final String what = "slot of " + r;
                    assertThat(snapshot.generation).as(what).isEqualTo(engine.generation);
                    assertThat(snapshot.flags).as(what).isEqualTo(engine.flags);
                    assertThat(snapshot.typeId).as(what).isEqualTo(engine.typeId);
                    assertThat(snapshot.size).as(what).isEqualTo(engine.size);
                    assertThat(snapshot.area).as(what).isEqualTo(engine.area);
                    assertThat(snapshot.dataPage).as(what).isEqualTo(engine.dataPage);
                    assertThat(snapshot.dataOffset).as(what).isEqualTo(engine.dataOffset);
                    assertThat(snapshot.segPage).as(what).isEqualTo(engine.segPage);
                    assertThat(snapshot.index).as(what).isEqualTo(engine.index);
                }
                assertThat(resolved).isGreaterThan(refs.length / 2);
                final long word = refs[0].word();
                assertThat(s.snapshots().resolve(db, word + 1, snapshot))
                        .as("another generation")
                        .isFalse();
                tx.commit();
            }
        }
    }

    @Test
    void shouldNotResolveAnObjectTheTransactionFreedOrMoved() {
        try (EmbeddedSession s = session()) {
            final Database db = s.createDatabase(dir.resolve("s.root"), 1L << 20);
            final Ref[] refs = populate(s, db, db.defineType("Rec", 32, new int[0]));
            try (Transaction tx = s.begin()) {
                tx.open(refs[0]);
                tx.free(tx.open(refs[1]));
                assertThatThrownBy(() -> tx.open(refs[1]))
                        .isInstanceOf(BessException.class)
                        .hasMessageContaining("freed");
                // grows the object past its place: its data moves (and maybe its neighbours', by compaction)
                tx.resize(tx.open(refs[2]), 6000);
                for (int i = 3; i < OBJECTS; i++) {
                    assertThat(tx.open(refs[i]).getLong(0)).isEqualTo(1000 + i);
                }
                assertThat(tx.open(refs[2]).getLong(0)).isEqualTo(1002);
                assertThat(tx.open(refs[2]).size()).isEqualTo(6000);
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                assertThatThrownBy(() -> tx.open(refs[1]))
                        .isInstanceOf(BessException.class)
                        .hasMessageContaining("freed");
                final long hits = s.snapshots().hits();
                assertThat(tx.open(refs[3]).getLong(0)).isEqualTo(1003);
                assertThat(s.snapshots().hits())
                        .as("a new transaction starts without snapshots")
                        .isEqualTo(hits);
                assertThat(tx.open(refs[4]).getLong(0)).isEqualTo(1004);
                assertThat(s.snapshots().hits()).isEqualTo(hits + 1);
                tx.commit();
            }
        }
    }

    @Test
    void shouldSendALargeObjectAndAReusedSlotToTheEngine() {
        try (EmbeddedSession s = session()) {
            final Database db = s.createDatabase(dir.resolve("s.root"), 1L << 20);
            final TypeId type = db.defineType("Rec", 32, new int[0]);
            final Ref small;
            final Ref large;
            final Ref freed;
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "f");
                small = tx.allocate(f, type).ref();
                freed = tx.allocate(f, type).ref();
                final LargeObject lo = tx.createLarge(f);
                lo.append(new byte[100]);
                large = lo.ref();
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                tx.free(tx.open(freed));
                // the slot is reused with a new generation
                final Ref reused = tx.allocate(tx.file(db, "f"), type).ref();
                tx.commit();
                assertThat(reused.word()).isNotEqualTo(freed.word());
            }
            try (Transaction tx = s.begin()) {
                tx.open(small);
                final long taken = s.snapshots().taken();
                assertThatThrownBy(() -> tx.open(large))
                        .isInstanceOf(BessException.class)
                        .hasMessageContaining("openLarge");
                assertThatThrownBy(() -> tx.open(freed))
                        .isInstanceOf(BessException.class)
                        .satisfies(e ->
                                assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE));
                assertThat(tx.openLarge(large).length()).isEqualTo(100);
                assertThat(s.snapshots().taken()).isEqualTo(taken);
                tx.commit();
            }
        }
    }

    @Test
    void shouldReleaseItsPinsWhenTheTransactionEndsAndStayWithinTheBudget() {
        // a 2 MiB cache: 512 frames, 64 pins for snapshots; objects of 16,000 bytes, four per data segment, so the 400
        // objects live in about 100 slotted segments, more than the budget
        try (EmbeddedSession s = (EmbeddedSession)
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(2L << 20))) {
            final Database db = s.createDatabase(dir.resolve("s.root"), 1L << 20);
            final TypeId type = db.defineType("Big", 16_000, new int[0]);
            final Ref[] refs = new Ref[400];
            for (int i = 0; i < refs.length; i += 40) {
                try (Transaction tx = s.begin()) {
                    final BessFile f = i == 0 ? tx.createFile(db, "f") : tx.file(db, "f");
                    for (int k = i; k < i + 40; k++) {
                        final ObjectRef o = tx.allocate(f, type);
                        o.putLong(0, 5000 + k);
                        o.putLong(16_000 - 8, -k);
                        refs[k] = o.ref();
                    }
                    tx.commit();
                }
            }
            final SlotSnapshots.Budget budget = s.server().snapshotBudget();
            final int free = budget.free();
            assertThat(free).isEqualTo(64);
            for (final boolean abort : new boolean[] {false, true}) {
                try (Transaction tx = s.begin()) {
                    for (int pass = 0; pass < 2; pass++) {
                        for (int k = 0; k < refs.length; k++) {
                            final ObjectRef o = tx.open(refs[k]);
                            assertThat(o.getLong(0)).isEqualTo(5000 + k);
                            assertThat(o.getLong(16_000 - 8)).isEqualTo(-k);
                        }
                    }
                    assertThat(s.snapshots().pinnedSegments()).isBetween(1, free);
                    assertThat(budget.free()).isEqualTo(free - s.snapshots().pinnedSegments());
                    assertThat(s.snapshots().hits()).isPositive();
                    if (abort) {
                        tx.abort();
                    } else {
                        tx.commit();
                    }
                }
                assertThat(s.snapshots().pinnedSegments())
                        .as("pins released, abort=" + abort)
                        .isZero();
                assertThat(budget.free()).isEqualTo(free);
            }
        }
    }
}
