package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.function.Consumer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link ObjectRef#openRefInto} re-points a handle at the object a stored reference names, in each way into the
 * engine: the handle then reads, writes, sizes and checks bounds as the new object, and every refusal of {@link
 * ObjectRef#openRef} holds (null, freed and large targets, ended transactions), plus a handle of another transaction
 * as the target; a refused call leaves the target as it was.
 */
class OpenRefIntoTest {
    /** A node: its reference at 0, a value at 8. */
    private static final int NEXT = 0;

    private static final int VALUE = 8;
    /** A big node: a node, 64 bytes long, with a value at 56 too. */
    private static final int FAR_VALUE = 56;

    @TempDir
    Path dir;

    private Session session(final TestSessions.Way way) {
        return TestSessions.open(way, new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(8L << 20));
    }

    /** Makes a chain of {@code n} nodes in {@code f}, values 100, 101, ..., the last one's reference null. */
    private static Ref chain(final Transaction tx, final BessFile f, final TypeId type, final int n) {
        Ref next = null;
        for (int i = n - 1; i >= 0; i--) {
            final ObjectRef node = tx.allocate(f, type);
            node.putLong(VALUE, 100 + i);
            node.putRef(NEXT, next);
            next = node.ref();
        }
        return next;
    }

    private static void assertCode(final ThrowingCallable call, final ErrorCode code, final String what) {
        assertThatThrownBy(call).as(what).isInstanceOf(BessException.class).satisfies((Consumer<Throwable>)
                e -> assertThat(((BessException) e).errorCode()).isEqualTo(code));
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRepointAHandleAtEachFollowedObjectAndCheckTheNewObjectsBounds(final TestSessions.Way way) {
        try (Session s = session(way)) {
            final Database db = s.createDatabase(dir.resolve("r.root"), 1L << 20);
            final TypeId node = db.defineType("Node", 16, new int[] {NEXT});
            final TypeId big = db.defineType("Big", 64, new int[] {NEXT});
            final Ref head;
            final Ref bigRef;
            final Ref toBig;
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "nodes");
                head = chain(tx, f, node, 50);
                final ObjectRef b = tx.allocate(f, big);
                b.putLong(VALUE, 7);
                b.putLong(FAR_VALUE, 8);
                b.putRef(NEXT, head);
                bigRef = b.ref();
                final ObjectRef pointer = tx.allocate(f, node);
                pointer.putRef(NEXT, bigRef);
                toBig = pointer.ref();
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final ObjectRef first = tx.open(head);
                // one handle walks the chain, re-pointed from itself
                final ObjectRef walker = first.openRef(NEXT);
                for (int i = 2; i < 50; i++) {
                    final Ref stored = walker.getRef(NEXT);
                    assertThat(walker.openRefInto(NEXT, walker)).isSameAs(walker);
                    assertThat(walker.ref()).isEqualTo(stored);
                    assertThat(walker.getLong(VALUE)).isEqualTo(100 + i);
                    walker.putLong(VALUE, 1000 + i);
                    assertThat(tx.open(stored).getLong(VALUE))
                            .as("written through the re-pointed handle")
                            .isEqualTo(1000 + i);
                }
                assertThat(first.getLong(VALUE))
                        .as("the handle it started from")
                        .isEqualTo(100);
                // a second handle, re-pointed from another object: the big one, then a small one again
                final ObjectRef other = tx.open(head);
                tx.open(bigRef).openRefInto(NEXT, other);
                assertThat(other.ref()).isEqualTo(head);
                tx.open(toBig).openRefInto(NEXT, other);
                assertThat(other.ref()).isEqualTo(bigRef);
                assertThat(other.size()).isEqualTo(64);
                assertThat(other.type()).isEqualTo(big);
                assertThat(other.getLong(FAR_VALUE)).isEqualTo(8);
                tx.open(bigRef).openRefInto(NEXT, other);
                assertThat(other.size()).isEqualTo(16);
                assertThat(other.type()).isEqualTo(node);
                assertCode(() -> other.getLong(FAR_VALUE), ErrorCode.BAD_ARGUMENT, "the small object's bounds");
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final ObjectRef walker = tx.open(head);
                for (int i = 1; i < 50; i++) {
                    walker.openRefInto(NEXT, walker);
                    assertThat(walker.getLong(VALUE)).as("committed").isEqualTo(i == 1 ? 101 : 1000 + i);
                }
                assertThat(walker.getRef(NEXT)).isNull();
                tx.commit();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldKeepOpenGivingTheRightObjectAfterItsHandleWasRepointed(final TestSessions.Way way) {
        try (Session s = session(way)) {
            final Database db = s.createDatabase(dir.resolve("r.root"), 1L << 20);
            final TypeId node = db.defineType("Node", 16, new int[] {NEXT});
            final Ref head;
            try (Transaction tx = s.begin()) {
                head = chain(tx, tx.createFile(db, "nodes"), node, 3);
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                // the client modes keep the handle open made and give it again for the same reference
                final ObjectRef opened = tx.open(head);
                opened.openRefInto(NEXT, opened);
                assertThat(opened.getLong(VALUE)).isEqualTo(101);
                assertThat(tx.open(head).getLong(VALUE))
                        .as("open after its handle moved on")
                        .isEqualTo(100);
                assertThat(tx.open(head).ref()).isEqualTo(head);
                tx.commit();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRefuseBadTargetsAndHandlesAndLeaveTheHandleAsItWas(final TestSessions.Way way) {
        try (Session s = session(way)) {
            final Database db = s.createDatabase(dir.resolve("r.root"), 1L << 20);
            final TypeId node = db.defineType("Node", 16, new int[] {NEXT});
            final Ref head;
            final Ref large;
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "nodes");
                head = chain(tx, f, node, 3);
                final LargeObject lo = tx.createLarge(f);
                lo.write(0, new byte[] {1, 2, 3});
                large = lo.ref();
                tx.commit();
            }
            final ObjectRef stale;
            try (Transaction tx = s.begin()) {
                final ObjectRef first = tx.open(head);
                final ObjectRef second = first.openRef(NEXT);
                final ObjectRef third = second.openRef(NEXT);
                final ObjectRef target = tx.open(head);
                assertCode(() -> third.openRefInto(NEXT, target), ErrorCode.INVALID_REFERENCE, "the null reference");
                assertCode(() -> first.openRefInto(16, target), ErrorCode.BAD_ARGUMENT, "an offset outside the object");
                assertCode(() -> first.openRefInto(NEXT, null), ErrorCode.BAD_ARGUMENT, "no handle to re-point");
                tx.free(third);
                assertCode(() -> second.openRefInto(NEXT, target), ErrorCode.INVALID_REFERENCE, "a freed target");
                second.putRef(NEXT, large);
                assertCode(() -> second.openRefInto(NEXT, target), ErrorCode.BAD_ARGUMENT, "a large object");
                assertThat(target.ref()).as("left as it was").isEqualTo(head);
                assertThat(target.getLong(VALUE)).isEqualTo(100);
                stale = first;
                tx.abort();
            }
            try (Transaction tx = s.begin()) {
                final ObjectRef first = tx.open(head);
                assertCode(
                        () -> first.openRefInto(NEXT, stale),
                        ErrorCode.BAD_ARGUMENT,
                        "a handle of another transaction as the target");
                assertCode(
                        () -> stale.openRefInto(NEXT, first),
                        ErrorCode.ILLEGAL_STATE,
                        "following from a handle of an ended transaction");
                assertThat(first.getLong(VALUE)).isEqualTo(100);
                final ObjectRef moved = tx.open(head).openRef(NEXT);
                first.openRefInto(NEXT, moved);
                assertThat(moved.getLong(VALUE)).isEqualTo(101);
                tx.commit();
                assertCode(() -> moved.getLong(VALUE), ErrorCode.ILLEGAL_STATE, "a re-pointed handle after commit");
                assertCode(() -> moved.putLong(VALUE, 5), ErrorCode.ILLEGAL_STATE, "a write through it after commit");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRepointThroughAForwardObjectIntoAnotherDatabase(final TestSessions.Way way) {
        try (Session s = session(way)) {
            final Database a = s.createDatabase(dir.resolve("a.root"), 1L << 20);
            final Database b = s.createDatabase(dir.resolve("b.root"), 1L << 20);
            final TypeId ta = a.defineType("A", 16, new int[] {NEXT});
            final TypeId tb = b.defineType("B", 16, new int[] {NEXT});
            final Ref holder;
            final Ref target;
            try (Transaction tx = s.begin()) {
                final ObjectRef t = tx.allocate(tx.createFile(b, "bs"), tb);
                t.putLong(VALUE, 77);
                target = t.ref();
                final ObjectRef h = tx.allocate(tx.createFile(a, "as"), ta);
                h.putLong(VALUE, 66);
                h.putRef(NEXT, target);
                holder = h.ref();
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final ObjectRef h = tx.open(holder);
                final ObjectRef handle = tx.open(holder).openRef(NEXT);
                handle.putLong(VALUE, 78);
                // re-pointed at the holder's target again: through the forward object, into b
                tx.open(holder).openRefInto(NEXT, h);
                assertThat(h.database().path()).isEqualTo(b.path());
                assertThat(h.ref().word()).isEqualTo(target.word());
                assertThat(h.getLong(VALUE)).isEqualTo(78);
                tx.commit();
            }
        }
    }
}
