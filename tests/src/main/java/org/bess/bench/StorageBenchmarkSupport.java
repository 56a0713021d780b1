package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;

/**
 * What the storage benchmarks share: the data set (values of {@link #VALUE_LENGTH} bytes whose content is a function of
 * their index, so every reader can check what it got), the seeded random key sequence both peers replay, and the bess
 * side of the setup (an embedded engine whose cache holds the whole data set). The lmdbjava side is {@link LmdbPeer}.
 *
 * <p>Not thread safe; used from setup and teardown only.
 */
final class StorageBenchmarkSupport {
    /** Bytes per value, in both stores. */
    static final int VALUE_LENGTH = 100;
    /** Engine cache: large enough that 1M values of 100 bytes, their slotted segments and the catalog stay cached. */
    static final long CACHE_SIZE_BYTES = 512L << 20;
    /** Extent length of the benchmark databases. */
    static final long EXTENT_BYTES = 16L << 20;
    /** Values per transaction while loading a data set (not measured). */
    static final int LOAD_COMMIT_EVERY = 50_000;
    /** Length of the random key sequence, a power of two; replayed cyclically. */
    static final int KEY_SEQUENCE_LENGTH = 1 << 20;
    /** Name of the bess file and of the lmdb database. */
    static final String STORE_NAME = "kv";
    /** Name of the bess type of the values. */
    static final String TYPE_NAME = "Value";

    private static final long KEY_SEED = 0x5EED_5704_A6E0L;

    private StorageBenchmarkSupport() {}

    /**
     * Writes the value of index {@code index}: the index as a little-endian long, then bytes derived from it.
     *
     * @param value the destination, at least {@link #VALUE_LENGTH} bytes.
     * @param index the value's index (its lmdb key).
     */
    static void fillValue(final byte[] value, final int index) {
        final long word = index;
        for (int i = 0; i < Long.BYTES; i++) {
            value[i] = (byte) (word >>> (8 * i));
        }
        for (int i = Long.BYTES; i < VALUE_LENGTH; i++) {
            value[i] = (byte) (index * 31 + i);
        }
    }

    /**
     * Checks that {@code actual} holds the value of {@code index}.
     *
     * @throws IllegalStateException naming the first differing byte.
     */
    static void checkValue(final byte[] actual, final int index, final byte[] scratch, final String where) {
        fillValue(scratch, index);
        for (int i = 0; i < VALUE_LENGTH; i++) {
            if (actual[i] != scratch[i]) {
                throw new IllegalStateException("wrong value read: store=" + where + ", index=" + index + ", byte=" + i
                        + ", expected=" + scratch[i] + ", actual=" + actual[i]);
            }
        }
    }

    /**
     * The random indexes both peers read, in order: {@link #KEY_SEQUENCE_LENGTH} uniform draws from {@code [0, count)}
     * with a fixed seed, so that the bess and lmdbjava runs touch the same values in the same order.
     */
    static int[] keySequence(final int count) {
        final SplittableRandom random = new SplittableRandom(KEY_SEED);
        final int[] keys = new int[KEY_SEQUENCE_LENGTH];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = random.nextInt(count);
        }
        return keys;
    }

    /**
     * Starts an embedded engine whose node directory is {@code dir/node}, with a {@link #CACHE_SIZE_BYTES} cache.
     *
     * @return the session.
     */
    static Session openBess(final Path dir) {
        return BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(CACHE_SIZE_BYTES));
    }

    /**
     * Creates the database {@code dir/db.root} with the value type and an empty file {@link #STORE_NAME}.
     *
     * @return the database.
     */
    static Database createBessDatabase(final Session session, final Path dir) {
        final Database db = session.createDatabase(dir.resolve("db.root"), EXTENT_BYTES);
        db.defineType(TYPE_NAME, VALUE_LENGTH, new int[0]);
        try (Transaction tx = session.begin()) {
            tx.createFile(db, STORE_NAME);
            tx.commit();
        }
        return db;
    }

    /**
     * Allocates values {@code 0..count-1} in file {@link #STORE_NAME}, committing every {@link #LOAD_COMMIT_EVERY}.
     *
     * @return the reference words, by index.
     */
    static long[] loadBess(final Session session, final Database db, final int count) {
        final TypeId type = db.type(TYPE_NAME);
        final byte[] value = new byte[VALUE_LENGTH];
        final long[] words = new long[count];
        int index = 0;
        while (index < count) {
            try (Transaction tx = session.begin()) {
                final BessFile file = tx.file(db, STORE_NAME);
                final int end = Math.min(count, index + LOAD_COMMIT_EVERY);
                for (; index < end; index++) {
                    final ObjectRef object = tx.allocate(file, type);
                    fillValue(value, index);
                    object.putBytes(0, value, 0, VALUE_LENGTH);
                    words[index] = object.ref().word();
                }
                tx.commit();
            }
        }
        return words;
    }

    /** Creates a temporary directory for one store. */
    static Path newDirectory(final String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory: prefix=" + prefix, e);
        }
    }

    /** Deletes a directory and everything in it; null is ignored. */
    static void deleteTree(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot delete a benchmark directory: dir=" + dir, e);
        }
    }
}
