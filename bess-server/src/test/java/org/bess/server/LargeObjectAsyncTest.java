package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LargeObjectAsyncTest {
    @TempDir
    Path dir;

    private Session session() {
        return BessServer.embedded(new Context().nodeDir(dir.resolve("n")).cacheSizeBytes(4L << 20));
    }

    @Test
    void shouldCompleteInSubmissionOrderOnTheIoThread() {
        try (Session s = session()) {
            final Database db = s.createDatabase(dir.resolve("a.root"), 1L << 20);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "f"));
                final List<Integer> completed = Collections.synchronizedList(new ArrayList<>());
                final List<CompletableFuture<Long>> futures = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    final int n = i;
                    final byte[] chunk = new byte[1000 + i];
                    java.util.Arrays.fill(chunk, (byte) i);
                    final CompletableFuture<Long> f = i % 3 == 2 ? lo.insertAsync(0, chunk) : lo.appendAsync(chunk);
                    // a callback registered after completion runs here, else on the I/O thread when it completes
                    futures.add(f.whenComplete((v, e) -> completed.add(n)));
                }
                CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
                        .join();
                final List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    expected.add(i);
                }
                assertThat(completed).isEqualTo(expected);
                // each append's result is where it went, given every operation before it
                long length = 0;
                for (int i = 0; i < 200; i++) {
                    if (i % 3 != 2) {
                        assertThat(futures.get(i).join()).isEqualTo(length);
                        length += 1000 + i;
                    } else {
                        length += 1000 + i;
                        assertThat(futures.get(i).join()).isEqualTo(length);
                    }
                }
                assertThat(lo.length()).isEqualTo(length);
                tx.commit();
            }
        }
    }

    @Test
    void shouldFailThroughTheFutureAndRunTheOperationsAfterIt() {
        try (Session s = session()) {
            final Database db = s.createDatabase(dir.resolve("b.root"), 1L << 20);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "f"));
                final CompletableFuture<Long> first = lo.appendAsync(new byte[100]);
                final CompletableFuture<byte[]> tooFar = lo.readAsync(50, 51);
                final CompletableFuture<Long> deleteTooFar = lo.deleteAsync(-1, 10);
                final CompletableFuture<Long> after = lo.appendAsync(new byte[10]);
                assertThat(first.join()).isZero();
                assertThatThrownBy(tooFar::join)
                        .isInstanceOf(CompletionException.class)
                        .cause()
                        .isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                                .isEqualTo(ErrorCode.BAD_ARGUMENT))
                        .hasMessageContaining("position=50")
                        .hasMessageContaining("length=51");
                assertThatThrownBy(deleteTooFar::join).cause().hasMessageContaining("negative");
                assertThat(after.join()).isEqualTo(100);
                // a read submitted after an append sees it: checks run when the operation runs
                assertThat(lo.readAsync(100, 10).join()).hasSize(10);
                tx.commit();
                assertThatThrownBy(() -> lo.appendAsync(new byte[1]).join())
                        .cause()
                        .hasMessageContaining("no longer active");
            }
        }
    }

    @Test
    void shouldLetEveryOtherCallWaitForTheQueuedOperations() {
        try (Session s = session()) {
            final Database db = s.createDatabase(dir.resolve("c.root"), 1L << 20);
            final TypeId t = db.defineType("T", 64, new int[] {0});
            try (Transaction tx = s.begin()) {
                final var f = tx.createFile(db, "f");
                final LargeObject lo = tx.createLarge(f);
                final byte[] big = new byte[3 << 20];
                for (int i = 0; i < 20; i++) {
                    lo.appendAsync(big);
                }
                // a synchronous call sees all twenty appends, without joining a future
                assertThat(lo.length()).isEqualTo(20L * big.length);
                for (int i = 0; i < 5; i++) {
                    lo.appendAsync(big);
                }
                // so does any other call into the session: allocating small objects, storing a reference
                final ObjectRef o = tx.allocate(f, t);
                o.putRef(0, lo.ref());
                assertThat(tx.openLarge(o.getRef(0)).length()).isEqualTo(25L * big.length);
                lo.prefetch(0, lo.length());
                tx.commit();
            }
        }
    }

    @Test
    void shouldPrefetchOnTheIoThreadSoThatTheReadMissesNothing() {
        final Path root = dir.resolve("p.root");
        try (Session s = session()) {
            final Database db = s.createDatabase(root, 1L << 20);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "f"));
                lo.append(new byte[3 << 20]);
                tx.setRoot(db, "lo", lo.ref());
                tx.commit();
            }
        }
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("n2")).cacheSizeBytes(8L << 20))) {
            final Database db = s.openDatabase(root);
            final var cache = ((EmbeddedSession) s).server().cache();
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.openLarge(tx.root(db, "lo"));
                lo.prefetch(1 << 20, 1 << 20);
                // wait behind the hint without passing the barrier (which would tell the hint to stop)
                lo.appendAsync(new byte[0]).join();
                final long misses = cache.misses();
                final byte[] page = new byte[4096];
                for (long pos = 1 << 20; pos < 2 << 20; pos += 4096) {
                    lo.read(pos, page);
                }
                assertThat(cache.misses() - misses)
                        .as("misses after the prefetch")
                        .isZero();
                final long before = cache.misses();
                lo.read(2 << 20, page);
                assertThat(cache.misses() - before)
                        .as("a page that was not prefetched")
                        .isPositive();
            }
        }
    }
}
