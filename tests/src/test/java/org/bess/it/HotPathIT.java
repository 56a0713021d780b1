package org.bess.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage engine's claim "no {@code mprotect}/{@code mmap} call on the per-access path": every such call made for
 * an object access is made on the virtual frames' slow path, which {@link BessServer#frameFaults} counts. Once every
 * object has been read, reading them all again, by reference in random order and by cursor, must not enter the slow
 * path even once.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class HotPathIT {
    private static final int OBJECT_COUNT = 20_000;
    private static final int VALUE_LENGTH = 100;
    private static final int HOT_PASSES = 10;

    @TempDir
    Path dir;

    @Test
    void shouldTakeNoSlowPathWhenReadingObjectsAlreadyRead() {
        try (Session session =
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(64L << 20))) {
            final Database db = session.createDatabase(dir.resolve("db.root"), 1L << 20);
            final TypeId type = db.defineType("Value", VALUE_LENGTH, new int[0]);
            final long[] words = load(session, db, type);

            try (Transaction tx = session.begin()) {
                final BessFile file = tx.file(db, "values");
                final long beforeFirstPass = BessServer.frameFaults(session);
                assertThat(sumByReference(tx, db, words, null)).isEqualTo(expectedSum());
                final long afterFirstPass = BessServer.frameFaults(session);
                assertThat(afterFirstPass)
                        .as("the first pass maps the frames (the counter sees the slow path)")
                        .isGreaterThan(beforeFirstPass);

                final SplittableRandom random = new SplittableRandom(42);
                for (int pass = 0; pass < HOT_PASSES; pass++) {
                    assertThat(sumByReference(tx, db, words, random)).isEqualTo(expectedSum());
                    assertThat(sumByCursor(tx, file)).isEqualTo(expectedSum());
                }
                assertThat(BessServer.frameFaults(session))
                        .as("slow-path entries while reading hot objects %d times", 2 * HOT_PASSES * OBJECT_COUNT)
                        .isEqualTo(afterFirstPass);
            }
        }
    }

    private static long[] load(final Session session, final Database db, final TypeId type) {
        final long[] words = new long[OBJECT_COUNT];
        final byte[] value = new byte[VALUE_LENGTH];
        try (Transaction tx = session.begin()) {
            final BessFile file = tx.createFile(db, "values");
            for (int i = 0; i < OBJECT_COUNT; i++) {
                final ObjectRef object = tx.allocate(file, type);
                value[0] = (byte) i;
                object.putBytes(0, value, 0, VALUE_LENGTH);
                object.putLong(VALUE_LENGTH - Long.BYTES, i);
                words[i] = object.ref().word();
            }
            tx.commit();
        }
        return words;
    }

    /** Reads every object by reference, in index order, or in a random order when {@code random} is given. */
    private static long sumByReference(
            final Transaction tx, final Database db, final long[] words, final SplittableRandom random) {
        final byte[] bytes = new byte[VALUE_LENGTH];
        long sum = 0;
        for (int i = 0; i < OBJECT_COUNT; i++) {
            final int index = random == null ? i : random.nextInt(OBJECT_COUNT);
            final ObjectRef object = tx.open(new Ref(db, words[index]));
            object.getBytes(0, bytes, 0, VALUE_LENGTH);
            assertThat(bytes[0]).isEqualTo((byte) index);
            // random order reads other objects than index order: count the index order's sum either way
            sum += object.getLong(VALUE_LENGTH - Long.BYTES) - index + i;
        }
        return sum;
    }

    private static long sumByCursor(final Transaction tx, final BessFile file) {
        long sum = 0;
        try (Cursor cursor = tx.scan(file)) {
            while (cursor.next()) {
                sum += cursor.object().getLong(VALUE_LENGTH - Long.BYTES);
            }
        }
        return sum;
    }

    private static long expectedSum() {
        return (long) OBJECT_COUNT * (OBJECT_COUNT - 1) / 2;
    }
}
