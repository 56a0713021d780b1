package org.bess.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cursor reads the slotted segment it is on without pinning it again for each object while the cache frame it found
 * still holds the segment. These scans make that frame go away under the cursor (a cache of 256 frames, a third of the
 * file) and change the segment between steps (objects freed mid-scan), and check that each live object is still seen
 * exactly once, with its own bytes.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CursorScanIT {
    private static final int OBJECT_COUNT = 20_000;
    private static final int LOAD_COMMIT_EVERY = 1_000;
    private static final int VALUE_LENGTH = 100;

    @TempDir
    Path dir;

    @Test
    void shouldSeeEveryLiveObjectOnceWhenSegmentsLeaveTheCacheAndObjectsAreFreedMidScan() {
        try (Session session =
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(1L << 20))) {
            final Database db = session.createDatabase(dir.resolve("db.root"), 1L << 20);
            final TypeId type = db.defineType("Value", VALUE_LENGTH, new int[0]);
            try (Transaction tx = session.begin()) {
                tx.createFile(db, "values");
                tx.commit();
            }
            for (int first = 0; first < OBJECT_COUNT; first += LOAD_COMMIT_EVERY) {
                try (Transaction tx = session.begin()) {
                    final BessFile file = tx.file(db, "values");
                    for (int i = first; i < first + LOAD_COMMIT_EVERY; i++) {
                        final ObjectRef object = tx.allocate(file, type);
                        object.putLong(0, i);
                        object.putLong(VALUE_LENGTH - Long.BYTES, ~i);
                    }
                    tx.commit();
                }
            }

            try (Transaction tx = session.begin()) {
                final BessFile file = tx.file(db, "values");
                assertThat(scan(tx, file, null)).hasSize(OBJECT_COUNT);
                // free every third object one step behind the cursor: the segment it is on changes under it
                final BitSet freed = new BitSet(OBJECT_COUNT);
                assertThat(scan(tx, file, freed)).hasSize(OBJECT_COUNT);
                final List<Integer> left = scan(tx, file, null);
                assertThat(left).hasSize(OBJECT_COUNT - freed.cardinality());
                for (final int index : left) {
                    assertThat(freed.get(index))
                            .as("freed object %d seen again", index)
                            .isFalse();
                }
                tx.commit();
            }
        }
    }

    /** Scans the file, checking each object's bytes; frees every third object seen when {@code freed} is given. */
    private static List<Integer> scan(final Transaction tx, final BessFile file, final BitSet freed) {
        final List<Integer> seen = new ArrayList<>();
        final BitSet once = new BitSet(OBJECT_COUNT);
        ObjectRef previous = null;
        try (Cursor cursor = tx.scan(file)) {
            while (cursor.next()) {
                final ObjectRef object = cursor.object();
                final int index = (int) object.getLong(0);
                assertThat(object.getLong(VALUE_LENGTH - Long.BYTES)).isEqualTo(~(long) index);
                assertThat(once.get(index)).as("object %d seen twice", index).isFalse();
                once.set(index);
                seen.add(index);
                if (previous != null) {
                    tx.free(previous);
                    previous = null;
                }
                if (freed != null && index % 3 == 0) {
                    freed.set(index);
                    previous = object;
                }
            }
        }
        if (previous != null) {
            tx.free(previous);
        }
        return seen;
    }
}
