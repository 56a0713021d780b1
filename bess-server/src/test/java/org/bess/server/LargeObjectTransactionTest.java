package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Large objects under transactions: every page they change goes through the update path, so abort restores the tree
 * and its bytes, and a power loss keeps exactly what was committed.
 */
@Timeout(300)
class LargeObjectTransactionTest {
    @TempDir
    Path dir;

    private static byte[] bytes(final long seed, final int length) {
        final byte[] b = new byte[length];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static byte[] readAll(final LargeObject lo) {
        final byte[] all = new byte[(int) lo.length()];
        lo.read(0, all);
        return all;
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRestoreLargeObjectsOnAbortEvenAfterEarlyLogging(final TestSessions.Way way) {
        final Path root = dir.resolve("abort.root");
        final byte[] original = bytes(1, 2_000_000);
        final Ref kept;
        final Ref freedInLoser;
        try (Session s = TestSessions.open(
                way,
                new Context()
                        .nodeDir(dir.resolve("node"))
                        .cacheSizeBytes(2L << 20)
                        .recoveryBufferPages(8))) {
            final Database db = s.createDatabase(root, 1L << 20);
            db.addArea(dir.resolve("abort.a1"));
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "blobs");
                final LargeObject lo = tx.createLarge(f);
                lo.append(original);
                kept = lo.ref();
                final LargeObject other = tx.createLarge(f);
                other.append(bytes(2, 300_000));
                freedInLoser = other.ref();
                tx.commit();
            }
            final Ref created;
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.openLarge(kept);
                lo.append(bytes(3, 1_000_000));
                lo.insert(700_000, bytes(4, 300_000));
                lo.delete(100_000, 400_000);
                lo.write(0, bytes(5, 50_000));
                lo.appendAsync(bytes(6, 10_000)).join();
                final LargeObject striped = tx.createLarge(
                        tx.file(db, "blobs"), List.of(dir.resolve("abort.root"), dir.resolve("abort.a1")));
                striped.append(bytes(7, 900_000));
                created = striped.ref();
                tx.free(tx.openLarge(freedInLoser));
                tx.abort();
            }
            try (Transaction tx = s.begin()) {
                assertThat(readAll(tx.openLarge(kept))).isEqualTo(original);
                assertThat(tx.openLarge(freedInLoser).length()).isEqualTo(300_000);
                assertThatThrownBy(() -> tx.openLarge(created))
                        .isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                                .isEqualTo(ErrorCode.INVALID_REFERENCE));
                tx.commit();
            }
        }
        assertThat(new DatabaseChecker(root, dir.resolve("chk")).run(l -> {}).problems())
                .isEmpty();
    }

    /** Seeds 1 and 2 by default; {@code -Dlo.seed.from=N -Dlo.seed.to=M} runs others. */
    @ParameterizedTest
    @EnumSource(SimulatedDisk.Mode.class)
    void shouldKeepExactlyTheCommittedBytesThroughAPowerLoss(final SimulatedDisk.Mode mode) {
        for (int seed = Integer.getInteger("lo.seed.from", 1); seed <= Integer.getInteger("lo.seed.to", 2); seed++) {
            final Path base = dir.resolve(mode + "-" + seed);
            final SimulatedDisk disk = new SimulatedDisk();
            final Path node = base.resolve("node");
            final Path root = base.resolve("lo.root");
            final SplittableRandom rnd = new SplittableRandom(seed);
            final Session s = BessServer.embedded(new Context()
                    .nodeDir(node)
                    .cacheSizeBytes(1L << 20)
                    .recoveryBufferPages(8)
                    .checkpointLogBytes(256L << 10)
                    .storageIo(disk));
            final Database db = s.createDatabase(root, 1L << 20);
            byte[] model = new byte[0];
            final Ref ref;
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "blobs"));
                model = bytes(10 + seed, 600_000);
                lo.append(model);
                ref = lo.ref();
                tx.commit();
            }
            for (int n = 0; n < 12; n++) {
                try (Transaction tx = s.begin()) {
                    final LargeObject lo = tx.openLarge(ref);
                    final int pos = rnd.nextInt(model.length + 1);
                    final byte[] d = bytes(100 + n, rnd.nextInt(120_000));
                    if (rnd.nextBoolean()) {
                        lo.insert(pos, d);
                        model = LargeObjectProperties.Model.insert(model, pos, d);
                    } else {
                        final int len = Math.min(d.length, model.length - pos);
                        lo.delete(pos, len);
                        model = LargeObjectProperties.Model.delete(model, pos, len);
                    }
                    tx.commit();
                }
            }
            // a transaction in flight, partly written back, when the power goes
            final Transaction loser = s.begin();
            final LargeObject lo = loser.openLarge(ref);
            lo.append(bytes(999, 2_000_000));
            lo.delete(0, 200_000);
            // overwrite until some of the loser's pages were written back and not forced (an extent added forces)
            for (int k = 0; disk.pending() == 0 && k < 50; k++) {
                lo.write((k * 64_000L) % (lo.length() - 64_000), bytes(k, 64_000));
            }
            assertThat(disk.pending()).as("un-forced writes at the cut").isPositive();
            ((EmbeddedSession) s).crash();
            disk.crash(seed, mode);
            try (Session again = BessServer.embedded(new Context().nodeDir(node).cacheSizeBytes(1L << 20))) {
                final Database d = again.openDatabase(root);
                try (Transaction tx = again.begin()) {
                    assertThat(readAll(tx.openLarge(new Ref(d, ref.word()))))
                            .as("mode %s seed %d", mode, seed)
                            .isEqualTo(model);
                    tx.commit();
                }
            }
            assertThat(new DatabaseChecker(root, base.resolve("check"))
                            .run(l -> {})
                            .problems())
                    .as("mode %s seed %d", mode, seed)
                    .isEmpty();
            assertThat(Arrays.hashCode(model)).isNotZero();
        }
    }
}
