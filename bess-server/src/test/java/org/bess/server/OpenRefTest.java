package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
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
 * {@link ObjectRef#openRef} follows a stored reference as {@code tx.open(getRef(offset))} does, in each way into the
 * engine: the same object, readable and writable in place, with the same refusals (null, freed and large targets,
 * handles of an ended transaction) and through a forward object into another database.
 */
class OpenRefTest {
    /** A node: its reference at 0, a value at 8. */
    private static final int NEXT = 0;

    private static final int VALUE = 8;

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

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldFollowStoredReferencesLikeOpenAndRefuseTheNullOne(final TestSessions.Way way) {
        try (Session s = session(way)) {
            final Database db = s.createDatabase(dir.resolve("r.root"), 1L << 20);
            final TypeId node = db.defineType("Node", 16, new int[] {NEXT});
            final Ref head;
            try (Transaction tx = s.begin()) {
                head = chain(tx, tx.createFile(db, "nodes"), node, 50);
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                ObjectRef at = tx.open(head);
                for (int i = 1; i < 50; i++) {
                    final Ref stored = at.getRef(NEXT);
                    final ObjectRef followed = at.openRef(NEXT);
                    assertThat(followed.ref()).isEqualTo(stored);
                    assertThat(followed.database()).isSameAs(db);
                    assertThat(followed.getLong(VALUE)).isEqualTo(100 + i);
                    assertThat(followed.size()).isEqualTo(16);
                    // written through the followed handle, seen through one tx.open gives
                    followed.putLong(VALUE, 1000 + i);
                    assertThat(tx.open(stored).getLong(VALUE)).isEqualTo(1000 + i);
                    at = followed;
                }
                final ObjectRef last = at;
                assertThatThrownBy(() -> last.openRef(NEXT))
                        .isInstanceOf(BessException.class)
                        .satisfies(e ->
                                assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE));
                assertThatThrownBy(() -> tx.open(null))
                        .as("open of a null Ref: the same error in every mode")
                        .isInstanceOf(BessException.class)
                        .satisfies(e ->
                                assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE));
                assertThatThrownBy(() -> last.openRef(16))
                        .as("an offset outside the object")
                        .isInstanceOf(BessException.class)
                        .satisfies(
                                e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.BAD_ARGUMENT));
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                ObjectRef at = tx.open(head);
                for (int i = 1; i < 50; i++) {
                    at = at.openRef(NEXT);
                    assertThat(at.getLong(VALUE))
                            .as("committed through openRef")
                            .isEqualTo(1000 + i);
                }
                tx.commit();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRefuseHandlesOfAnEndedTransactionAndFreedOrLargeTargets(final TestSessions.Way way) {
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
            final ObjectRef staleFollowed;
            try (Transaction tx = s.begin()) {
                stale = tx.open(head);
                staleFollowed = stale.openRef(NEXT);
                assertThat(staleFollowed.getLong(VALUE)).isEqualTo(101);
                tx.commit();
            }
            assertThatThrownBy(() -> staleFollowed.getLong(VALUE))
                    .as("a followed handle after commit")
                    .isInstanceOf(BessException.class)
                    .satisfies(e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.ILLEGAL_STATE));
            assertThatThrownBy(() -> stale.openRef(NEXT))
                    .as("following from a handle after commit")
                    .isInstanceOf(BessException.class)
                    .satisfies(e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.ILLEGAL_STATE));
            try (Transaction tx = s.begin()) {
                final ObjectRef first = tx.open(head);
                final ObjectRef second = first.openRef(NEXT);
                final ObjectRef third = second.openRef(NEXT);
                tx.free(third);
                assertThatThrownBy(() -> second.openRef(NEXT))
                        .as("a freed target")
                        .isInstanceOf(BessException.class)
                        .satisfies(e ->
                                assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE));
                // a reference to a large object, stored in a node: openRef refuses it as open does
                second.putRef(NEXT, large);
                assertThatThrownBy(() -> second.openRef(NEXT))
                        .as("a large object")
                        .isInstanceOf(BessException.class)
                        .satisfies(
                                e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.BAD_ARGUMENT));
                tx.abort();
            }
            try (Transaction tx = s.begin()) {
                final ObjectRef first = tx.open(head);
                first.openRef(NEXT);
                tx.abort();
                assertThatThrownBy(() -> first.openRef(NEXT))
                        .as("following from a handle after abort")
                        .isInstanceOf(BessException.class)
                        .satisfies(
                                e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.ILLEGAL_STATE));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldFollowAReferenceIntoAnotherDatabase(final TestSessions.Way way) {
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
                h.putRef(NEXT, target);
                holder = h.ref();
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                final ObjectRef far = tx.open(holder).openRef(NEXT);
                assertThat(far.database().path()).isEqualTo(b.path());
                assertThat(far.getLong(VALUE)).isEqualTo(77);
                assertThat(far.ref().word()).isEqualTo(target.word());
                tx.commit();
            }
        }
    }
}
