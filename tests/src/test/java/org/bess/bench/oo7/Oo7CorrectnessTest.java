package org.bess.bench.oo7;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three OO7 implementations (heap objects, lmdbjava, bess embedded, and bess's shared-memory and copy-on-access
 * client sessions on the tiny module) return the same result for every operation,
 * in the same sequence of operations on the same generated module, and the results are the ones the module's shape
 * dictates (every part of a composite is reached, the extents have every part, the manual has the 'I's it was made
 * with). Updates are checked through a checksum of every atomic part, and bess's through a reopen as well.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class Oo7CorrectnessTest {
    /** The sequence of operations every system runs; updates in between reads, Q1 twice (new ids each time). */
    private static final List<Oo7Operation> SEQUENCE = List.of(
            Oo7Operation.T1,
            Oo7Operation.T6,
            Oo7Operation.T2A,
            Oo7Operation.T1,
            Oo7Operation.T2B,
            Oo7Operation.T2C,
            Oo7Operation.T3A,
            Oo7Operation.T8,
            Oo7Operation.T9,
            Oo7Operation.Q1,
            Oo7Operation.Q1,
            Oo7Operation.Q5,
            Oo7Operation.Q6,
            Oo7Operation.Q7,
            Oo7Operation.Q8);

    /** Results after the checksum that follows T3a, the last update of {@link #SEQUENCE}: T8 T9 Q1 Q1 Q5 Q6 Q7 Q8. */
    private static final int SEQUENCE_TAIL_AFTER_LAST_UPDATE = 9;

    @TempDir
    Path dir;

    @Test
    void shouldReturnTheSameResultsOnEverySystemForTheTinyConfiguration() {
        checkAllSystemsAgree(Oo7Config.parse("tiny"));
    }

    @Test
    void shouldReturnTheSameResultsAsHeapInEveryBessSessionModeForTheTinyConfiguration() {
        final Oo7Data data = Oo7Generator.generate(Oo7Config.parse("tiny"), Oo7Generator.DEFAULT_SEED);
        final List<Long> expected;
        try (Oo7Store heap = HeapOo7.create(data)) {
            expected = runSequence(heap);
        }
        checkShape(data, expected);
        for (final String mode : List.of("embedded", "shared-memory", "copy-on-access")) {
            final Path bessDir = mkdirs(dir.resolve("bess-" + mode));
            try (Oo7Store bess = BessOo7.create(data, bessDir, BessSessionFactory.of(mode))) {
                assertThat(runSequence(bess))
                        .as("bess %s against heap, in order: %s", mode, SEQUENCE)
                        .isEqualTo(expected);
            }
            // the updates were committed through the mode's session: an embedded reopen sees them
            try (BessOo7 reopened = BessOo7.open(data, bessDir, BessSessionFactory.embedded())) {
                assertThat(reopened.checksum())
                        .as("bess %s checksum after reopen", mode)
                        .isEqualTo(expected.get(expected.size() - SEQUENCE_TAIL_AFTER_LAST_UPDATE));
            }
        }
    }

    @Test
    void shouldReturnTheSameResultsAsHeapWithConnectionsClusteredBesideTheirParts() {
        // the session-10 clustering experiment: connections in the atomic parts' file, so the scans of Q7 and Q8
        // must skip them, also in a store opened again (which finds the connection file empty)
        final Oo7Data data = Oo7Generator.generate(Oo7Config.parse("tiny"), Oo7Generator.DEFAULT_SEED);
        final List<Long> expected;
        try (Oo7Store heap = HeapOo7.create(data)) {
            expected = runSequence(heap);
        }
        for (final String mode : List.of("embedded", "shared-memory")) {
            final Path bessDir = mkdirs(dir.resolve("clustered-" + mode));
            try (Oo7Store bess = BessOo7.create(data, bessDir, BessSessionFactory.of(mode), true)) {
                assertThat(runSequence(bess))
                        .as("clustered bess %s against heap, in order: %s", mode, SEQUENCE)
                        .isEqualTo(expected);
            }
            try (BessOo7 reopened = BessOo7.open(data, bessDir, BessSessionFactory.embedded())) {
                final int n = data.config().atomicCount();
                assertThat(reopened.run(Oo7Operation.Q7))
                        .as("Q7 of the reopened clustered store")
                        .isEqualTo((long) n * (n + 1) / 2);
                assertThat(reopened.run(Oo7Operation.Q8)).isEqualTo(n);
            }
        }
    }

    @Test
    void shouldReturnTheSameResultsOnEverySystemWithNineConnections() {
        checkAllSystemsAgree(Oo7Config.parse("tiny-9"));
    }

    @Test
    void shouldReturnTheSameResultsOnEverySystemForTheSmallConfiguration() {
        checkAllSystemsAgree(Oo7Config.parse("small"));
    }

    @Test
    @Tag("slow")
    void shouldReturnTheSameResultsOnEverySystemForTheMediumConfiguration() {
        checkAllSystemsAgree(Oo7Config.parse("medium"));
    }

    @Test
    void shouldKeepCommittedUpdatesOfBessAcrossAReopen() {
        final Oo7Data data = Oo7Generator.generate(Oo7Config.parse("tiny"), Oo7Generator.DEFAULT_SEED);
        final Path bessDir = dir.resolve("bess");
        final long before;
        final long after;
        try (BessOo7 bess = BessOo7.create(data, mkdirs(bessDir), BessSessionFactory.embedded())) {
            before = bess.checksum();
            bess.run(Oo7Operation.T2B);
            bess.run(Oo7Operation.T3A);
            after = bess.checksum();
        }
        assertThat(after).as("T2b and T3a change the atomic parts").isNotEqualTo(before);
        Oo7Files.dropPageCache(bessDir);
        try (BessOo7 bess = BessOo7.open(data, bessDir, BessSessionFactory.embedded());
                HeapOo7 heap = HeapOo7.create(data)) {
            heap.run(Oo7Operation.T2B);
            heap.run(Oo7Operation.T3A);
            assertThat(bess.checksum())
                    .as("checksum after reopen")
                    .isEqualTo(after)
                    .isEqualTo(heap.checksum());
            assertThat(bess.run(Oo7Operation.T1)).isEqualTo(heap.run(Oo7Operation.T1));
        }
    }

    @Test
    void shouldGenerateTheSameModuleFromTheSameSeedAndAnotherFromAnother() {
        final Oo7Config config = Oo7Config.parse("tiny");
        try (HeapOo7 a = HeapOo7.create(Oo7Generator.generate(config, 1));
                HeapOo7 b = HeapOo7.create(Oo7Generator.generate(config, 1));
                HeapOo7 c = HeapOo7.create(Oo7Generator.generate(config, 2))) {
            assertThat(a.checksum()).isEqualTo(b.checksum()).isNotEqualTo(c.checksum());
        }
    }

    private void checkAllSystemsAgree(final Oo7Config config) {
        final Oo7Data data = Oo7Generator.generate(config, Oo7Generator.DEFAULT_SEED);
        final Map<String, List<Long>> results = new LinkedHashMap<>();
        try (Oo7Store heap = HeapOo7.create(data);
                Oo7Store lmdb = LmdbOo7.create(data, mkdirs(dir.resolve("lmdb")));
                Oo7Store bess = BessOo7.create(data, mkdirs(dir.resolve("bess")), BessSessionFactory.embedded())) {
            for (final Oo7Store store : List.of(heap, lmdb, bess)) {
                results.put(store.system(), runSequence(store));
            }
        }
        final List<Long> expected = results.get("heap");
        assertThat(results.get("lmdb"))
                .as("lmdb against heap, in order: %s", SEQUENCE)
                .isEqualTo(expected);
        assertThat(results.get("bess"))
                .as("bess against heap, in order: %s", SEQUENCE)
                .isEqualTo(expected);
        checkShape(data, expected);
    }

    /** The checksum, then every operation's result in order, each update followed by the checksum after it. */
    private static List<Long> runSequence(final Oo7Store store) {
        final List<Long> sequence = new ArrayList<>();
        sequence.add(store.checksum());
        for (final Oo7Operation op : SEQUENCE) {
            sequence.add(store.run(op));
            if (op.isUpdate()) {
                sequence.add(store.checksum());
            }
        }
        return sequence;
    }

    /** The results the module's shape dictates, whatever the system. */
    private static void checkShape(final Oo7Data data, final List<Long> r) {
        final Oo7Config config = data.config();
        final long compositeVisits = (long) config.baseAssemblyCount() * Oo7Config.COMPOSITES_PER_BASE;
        final long atomic = config.atomicCount();
        long manualIs = 0;
        for (final byte b : data.manualText()) {
            manualIs += b == 'I' ? 1 : 0;
        }
        // r: checksum, T1, T6, T2A, checksum, T1, T2B, checksum, T2C, checksum, T3A, checksum, T8, T9, Q1, Q1, Q5, Q6,
        // Q7, Q8
        assertThat(r.get(1))
                .as("T1 visits every part of every composite use")
                .isEqualTo(compositeVisits * config.atomicPerComposite());
        assertThat(r.get(2)).as("T6 visits one root per composite use").isEqualTo(compositeVisits);
        assertThat(r.get(3)).as("T2a visits as T1").isEqualTo(r.get(1));
        assertThat(r.get(4)).as("T2a changes x and y").isNotEqualTo(r.get(0));
        assertThat(r.get(9)).as("T2c (4 swaps) changes nothing").isEqualTo(r.get(7));
        assertThat(r.get(11)).as("T3a changes build dates").isNotEqualTo(r.get(9));
        assertThat(r.get(12))
                .as("T8 counts the manual's 'I's")
                .isEqualTo(manualIs)
                .isPositive();
        final byte[] manual = data.manualText();
        assertThat(r.get(13))
                .as("T9 compares the manual's first and last characters")
                .isEqualTo(manual[0] == manual[manual.length - 1] ? 1L : 0L);
        assertThat(r.get(14)).as("Q1 sums 10 build dates").isBetween(10L * 999, 10L * 2000);
        assertThat(r.get(15)).as("the second Q1 looks up other ids").isNotEqualTo(r.get(14));
        assertThat(r.get(16)).as("Q5 counts base assemblies").isBetween(1L, (long) config.baseAssemblyCount());
        assertThat(r.get(17)).as("Q6 counts at least Q5's base assemblies").isGreaterThanOrEqualTo(r.get(16));
        assertThat(r.get(18)).as("Q7 sums the ids of every atomic part").isEqualTo(atomic * (atomic + 1) / 2);
        assertThat(r.get(19)).as("Q8 joins every atomic part with its document").isEqualTo(atomic);
    }

    private static Path mkdirs(final Path path) {
        try {
            return java.nio.file.Files.createDirectories(path);
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
