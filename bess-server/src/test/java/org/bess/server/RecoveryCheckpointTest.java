package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.cache.BufferCache;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The end-of-recovery checkpoint is fuzzy: the pages redo rebuilt from a full page image stay dirty after restart,
 * listed in the checkpoint with that image as their recovery LSN. The crash windows this opens: a power cut right after
 * restart (nothing written back), and a power cut while those pages, changed again by later commits (diffs only: their
 * frames were already dirty, so no new full image is logged), are being written back: lost, torn or garbled writes.
 * The next restart must bring back every acknowledged transfer either way, and the check must be clean. Both ends of
 * recovery are covered: a fuzzy checkpoint (the catalog was stored before the crash) and none (the log holds a catalog
 * change: the next full checkpoint stores it).
 */
@Timeout(300)
class RecoveryCheckpointTest {
    private static final int ACCOUNTS = 48;
    private static final int SEEDS = 3;

    @TempDir
    Path dir;

    private static Context context(final Path node, final SimulatedDisk disk) {
        return new Context()
                .nodeDir(node)
                .cacheSizeBytes(1L << 20)
                .recoveryBufferPages(8)
                .checkpointLogBytes(1L << 30)
                .storageIo(disk);
    }

    @ParameterizedTest
    @EnumSource(SimulatedDisk.Mode.class)
    void shouldRecoverPagesTheRecoveryCheckpointLeftDirtyWhenTheirWriteBackIsCut(final SimulatedDisk.Mode mode) {
        for (int seed = 1; seed <= SEEDS; seed++) {
            runSeed(mode, seed, dir.resolve(mode + "-" + seed), true);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = SimulatedDisk.Mode.class,
            names = {"DROP_UNSYNCED", "GARBAGE"})
    void shouldRecoverEverythingAfterAPowerCutRightAfterRestart(final SimulatedDisk.Mode mode) {
        for (int seed = 1; seed <= SEEDS; seed++) {
            runSeed(mode, seed, dir.resolve(mode + "-" + seed), false);
        }
    }

    private void runSeed(final SimulatedDisk.Mode mode, final long seed, final Path base, final boolean workAfter) {
        final Random random = new Random(seed);
        final Path node = base.resolve("node");
        final Path root = base.resolve("bank.root");
        final long[] expected = new long[ACCOUNTS];
        Arrays.fill(expected, 1000);
        final SimulatedDisk first = new SimulatedDisk();
        Session s = BessServer.embedded(context(node, first));
        final Database db = s.createDatabase(root, 1L << 20);
        final TypeId account = db.defineType("Account", 700, new int[0]);
        db.defineType("Blob", 4000, new int[0]);
        Ref[] refs = BankWorkload.create(s, db, account, ACCOUNTS);
        // odd seeds: the catalog is stored before the crash, so restart ends with a fuzzy checkpoint; even seeds: the
        // file's creation is in the log, restart must store the catalog and takes no checkpoint
        final boolean catalogStored = seed % 2 == 1;
        if (catalogStored) {
            s.close();
            s = BessServer.embedded(context(node, first));
            refs = BankWorkload.accounts(s, s.openDatabase(root), ACCOUNTS);
        }
        BankWorkload.transfers(s, refs, expected, random, 200);
        ((EmbeddedSession) s).crash();
        first.crash(seed, mode);
        final long master = MasterRecord.read(node.resolve("log"));

        // restart: redo leaves the pages it rebuilt from full images dirty, and nothing forces them to the disk
        final SimulatedDisk second = new SimulatedDisk();
        final Session restarted = BessServer.embedded(context(node, second));
        assertThat(BessServer.recoverySummary(restarted)).contains("recovered:");
        if (catalogStored) {
            assertThat(MasterRecord.read(node.resolve("log")))
                    .as("the end-of-recovery checkpoint")
                    .isGreaterThan(master);
        } else {
            assertThat(MasterRecord.read(node.resolve("log")))
                    .as("no checkpoint: the catalog waits for the next full one")
                    .isEqualTo(master);
        }
        assertThat(dirtyFrames(((EmbeddedSession) restarted).server().cache()))
                .as("mode %s seed %d: pages the end-of-recovery checkpoint left dirty", mode, seed)
                .isPositive();
        if (workAfter) {
            refs = BankWorkload.accounts(restarted, restarted.openDatabase(root), ACCOUNTS);
            // the dirty pages change again (diffs only), then a loser churns the 1 MiB cache so that they are written
            // back (not forced) when the power goes
            BankWorkload.transfers(restarted, refs, expected, random, 200);
            final Transaction loser = restarted.begin();
            final Database d = restarted.openDatabase(root);
            final BessFile scratch = loser.createFile(d, "scratch");
            for (int i = 0; i < 400; i++) {
                loser.allocate(scratch, d.type("Blob")).putLong(0, i);
            }
            assertThat(second.pending()).as("un-forced writes at the cut").isPositive();
        }
        ((EmbeddedSession) restarted).crash();
        second.crash(seed + 100, mode);

        final long[] actual;
        try (Session again = BessServer.embedded(new Context().nodeDir(node).cacheSizeBytes(1L << 20))) {
            actual = BankWorkload.balances(again, again.openDatabase(root), ACCOUNTS);
        }
        assertThat(actual).as("mode %s seed %d", mode, seed).isEqualTo(expected);
        assertThat(new DatabaseChecker(root, base.resolve("check")).run(l -> {}).problems())
                .as("mode %s seed %d", mode, seed)
                .isEmpty();
    }

    private static int dirtyFrames(final BufferCache cache) {
        int dirty = 0;
        for (int frame = 0; frame < cache.frameCount(); frame++) {
            if (cache.isDirty(frame)) {
                dirty++;
            }
        }
        return dirty;
    }
}
