package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.CorruptPageException;
import org.bess.format.PageHeaderDescriptor;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Torn page writes (TESTING.md row 4): a bank workload on a {@link SimulatedDisk} whose power cut writes some sectors
 * of each un-forced write and not others. Every area page left torn (neither its durable bytes nor any version written
 * to it) must be detected by the engine's checksum verification when read before recovery, and must verify again after
 * restart recovery rebuilt it from its full page image; injected = detected = repaired, with no acknowledged transfer
 * lost and a clean check.
 */
@Timeout(600)
class TornPageTest {
    private static final int ACCOUNTS = 48;

    @TempDir
    Path dir;

    private int verifyRuns;

    @ParameterizedTest
    @EnumSource(
            value = SimulatedDisk.Mode.class,
            names = {"TORN_512", "TORN_4096"})
    void shouldDetectAndRepairEveryTornPage(final SimulatedDisk.Mode mode) {
        final int[] counts = runSeeds(mode, 1, 8);
        if (mode == SimulatedDisk.Mode.TORN_512) {
            assertThat(counts[0]).as("torn pages injected over the seeds").isPositive();
        }
    }

    @Test
    @Tag("slow")
    void shouldDetectAndRepairEveryTornPageOverManySeeds() {
        assertThat(runSeeds(SimulatedDisk.Mode.TORN_512, 100, 60)[0]).isPositive();
    }

    private int[] runSeeds(final SimulatedDisk.Mode mode, final int firstSeed, final int seeds) {
        int injected = 0;
        int detected = 0;
        int repaired = 0;
        for (int seed = firstSeed; seed < firstSeed + seeds; seed++) {
            final int[] r = runSeed(mode, seed, dir.resolve(mode + "-" + seed));
            injected += r[0];
            detected += r[1];
            repaired += r[2];
        }
        System.out.printf(
                "torn pages, %s, %d seeds: injected %d, detected %d, repaired %d%n",
                mode, seeds, injected, detected, repaired);
        assertThat(detected).as("%s: torn pages detected", mode).isEqualTo(injected);
        assertThat(repaired).as("%s: torn pages repaired", mode).isEqualTo(injected);
        return new int[] {injected, detected, repaired};
    }

    private int[] runSeed(final SimulatedDisk.Mode mode, final long seed, final Path base) {
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
        final TypeId blob = db.defineType("Blob", 4000, new int[0]);
        final Ref[] refs = BankWorkload.create(s, db, account, ACCOUNTS);
        BankWorkload.transfers(s, refs, expected, random, 300);
        final Transaction loser = s.begin();
        for (int i = 0; i < ACCOUNTS; i++) {
            final ObjectRef a = loser.open(refs[i]);
            a.putLong(0, a.getLong(0) + 1_000_000);
        }
        final BessFile scratch = loser.createFile(db, "scratch");
        for (int i = 0; i < 400; i++) {
            loser.allocate(scratch, blob).putLong(0, i);
        }
        ((EmbeddedSession) s).crash();
        disk.crash(seed, mode);
        final List<SimulatedDisk.TornPage> torn = disk.tornPages();
        final int detected = torn.size() - verifying(root, torn);

        final long[] actual;
        try (Session again = BessServer.embedded(new Context().nodeDir(node).cacheSizeBytes(1L << 20))) {
            actual = BankWorkload.balances(again, again.openDatabase(root), ACCOUNTS);
        }
        assertThat(actual).as("mode %s seed %d", mode, seed).isEqualTo(expected);
        final int repaired = verifying(root, torn);
        assertThat(CrashHarness.check(root, base.resolve("check")))
                .as("mode %s seed %d", mode, seed)
                .isEmpty();
        return new int[] {torn.size(), detected, repaired};
    }

    /** Reads each torn page through the engine's verification (as the kind last written to it); counts those that pass. */
    private int verifying(final Path root, final List<SimulatedDisk.TornPage> torn) {
        if (torn.isEmpty()) {
            return 0;
        }
        final BufferCache cache = new BufferCache(dir.resolve("verify-" + verifyRuns++), 256);
        int passing = 0;
        try {
            final StorageArea area = StorageArea.open(root.toString(), root, 0, 0, cache, 0);
            try {
                for (final SimulatedDisk.TornPage p : torn) {
                    assertThat(p.file()).as("one area").isEqualTo(root);
                    try {
                        cache.unpin(cache.pin(0, p.pageNo(), isControlPage(p.lastWritten())));
                        passing++;
                    } catch (final CorruptPageException e) {
                        // detected
                    }
                    cache.dropWindow(0, 0, true);
                }
            } finally {
                area.close();
            }
        } finally {
            cache.close();
        }
        return passing;
    }

    /** Whether bytes carry a valid control-page header checksum (the engine stamps one on every control page). */
    private static boolean isControlPage(final byte[] page) {
        final CRC32C crc = new CRC32C();
        crc.update(page, PageHeaderDescriptor.CHECKSUMMED_FROM, page.length - PageHeaderDescriptor.CHECKSUMMED_FROM);
        return (int) crc.getValue()
                == ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN).getInt(PageHeaderDescriptor.CHECKSUM_OFFSET);
    }
}
