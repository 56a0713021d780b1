package org.bess.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pages change role as the root area reuses them: every commit writes the catalog to new pages and frees the old ones,
 * and growing data segments move and free their old blocks, so a page written as a data page is later a slotted
 * segment or a catalog page and the other way round, often while its old frame is still cached. A page must be written
 * back in its current role (control pages carry their number, area and checksum in their header; data pages are
 * checksummed in page-info pages), or reading it again fails its checksum or shows a control header inside objects.
 * Reading everything back after a reopen, with a cache too small to hold the area or one that holds it, checks that.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PageRoleReuseIT {
    private static final int OBJECT_COUNT = 20_000;
    private static final int COMMIT_EVERY = 500;
    private static final int VALUE_LENGTH = 100;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "cacheSizeBytes={0}")
    @ValueSource(longs = {1L << 20, 64L << 20})
    void shouldReadEveryObjectBackAfterReopenWhenPagesWereReusedInAnotherRole(final long cacheSizeBytes) {
        final Path root = dir.resolve("db.root");
        final long[] words = new long[OBJECT_COUNT];
        try (Session session = open(cacheSizeBytes)) {
            final Database db = session.createDatabase(root, 1L << 20);
            final TypeId type = db.defineType("Value", VALUE_LENGTH, new int[0]);
            try (Transaction tx = session.begin()) {
                tx.createFile(db, "values");
                tx.commit();
            }
            for (int first = 0; first < OBJECT_COUNT; first += COMMIT_EVERY) {
                try (Transaction tx = session.begin()) {
                    final BessFile file = tx.file(db, "values");
                    for (int i = first; i < first + COMMIT_EVERY; i++) {
                        final ObjectRef object = tx.allocate(file, type);
                        fill(object, i);
                        words[i] = object.ref().word();
                    }
                    tx.commit();
                }
            }
        }
        try (Session session = open(cacheSizeBytes)) {
            final Database db = session.openDatabase(root);
            try (Transaction tx = session.begin()) {
                for (int i = 0; i < OBJECT_COUNT; i++) {
                    check(tx.open(new Ref(db, words[i])), i);
                }
                int seen = 0;
                try (Cursor cursor = tx.scan(tx.file(db, "values"))) {
                    while (cursor.next()) {
                        check(cursor.object(), (int) cursor.object().getLong(0));
                        seen++;
                    }
                }
                assertThat(seen).isEqualTo(OBJECT_COUNT);
            }
        }
    }

    private Session open(final long cacheSizeBytes) {
        return BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(cacheSizeBytes));
    }

    private static void fill(final ObjectRef object, final int index) {
        for (int offset = 0; offset + Long.BYTES <= VALUE_LENGTH; offset += Long.BYTES) {
            object.putLong(offset, offset == 0 ? index : (long) index * 31 + offset);
        }
    }

    private static void check(final ObjectRef object, final int index) {
        for (int offset = 0; offset + Long.BYTES <= VALUE_LENGTH; offset += Long.BYTES) {
            assertThat(object.getLong(offset))
                    .as("object %d, offset %d", index, offset)
                    .isEqualTo(offset == 0 ? index : (long) index * 31 + offset);
        }
    }
}
