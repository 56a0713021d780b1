package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Power loss (TESTING.md rows 3 and 4): a bank workload on a {@link SimulatedDisk}; at a random point the engine stops
 * dead and the disk loses, tears or garbles every write that was not forced; restart recovery must bring back exactly
 * the acknowledged transfers, and the check must be clean.
 */
@Timeout(300)
class PowerLossTest {
    private static final int ACCOUNTS = 48;
    private static final int SEEDS = 4;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(SimulatedDisk.Mode.class)
    void shouldLoseNoAcknowledgedCommitWhateverHappensToUnforcedWrites(final SimulatedDisk.Mode mode) {
        for (int seed = 1; seed <= SEEDS; seed++) {
            runSeed(mode, seed, dir.resolve(mode + "-" + seed));
        }
    }

    private void runSeed(final SimulatedDisk.Mode mode, final long seed, final Path base) {
        final Random random = new Random(seed);
        final SimulatedDisk disk = new SimulatedDisk();
        final Path node = base.resolve("node");
        final Path root = base.resolve("bank.root");
        final long[] expected = new long[ACCOUNTS];
        Arrays.fill(expected, 1000);
        final Session s = BessServer.embedded(new Context()
                .nodeDir(node)
                .cacheSizeBytes(1L << 20)
                .recoveryBufferPages(8)
                .checkpointLogBytes(64L << 10)
                .storageIo(disk));
        final Database db = s.createDatabase(root, 1L << 20);
        final TypeId account = db.defineType("Account", 700, new int[0]);
        db.defineType("Blob", 4000, new int[0]);
        final Ref[] refs = BankWorkload.create(s, db, account, ACCOUNTS);
        final int transfers = BankWorkload.transfers(s, refs, expected, random, 400);
        // a transaction in flight, partly written back, when the power goes
        final Transaction loser = s.begin();
        for (int i = 0; i < ACCOUNTS; i++) {
            final ObjectRef a = loser.open(refs[i]);
            a.putLong(0, a.getLong(0) + 1_000_000);
        }
        // churn the 1 MiB cache so that dirty pages are written back (unforced) and loser diffs reach the log
        final TypeId blob = db.type("Blob");
        final BessFile scratch = loser.createFile(db, "scratch");
        for (int i = 0; i < 400; i++) {
            loser.allocate(scratch, blob).putLong(0, i);
        }
        final int pending = disk.pending();
        assertThat(pending).as("un-forced writes at the cut").isPositive();
        ((EmbeddedSession) s).crash();
        disk.crash(seed, mode);

        final long[] actual;
        try (Session again = BessServer.embedded(new Context().nodeDir(node).cacheSizeBytes(1L << 20))) {
            actual = BankWorkload.balances(again, again.openDatabase(root), ACCOUNTS);
        }
        assertThat(actual)
                .as(
                        "mode %s seed %d: %d transfers acknowledged, %d un-forced writes at the cut",
                        mode, seed, transfers, pending)
                .isEqualTo(expected);
        assertThat(new DatabaseChecker(root, base.resolve("check")).run(l -> {}).problems())
                .as("mode %s seed %d", mode, seed)
                .isEmpty();
    }
}
