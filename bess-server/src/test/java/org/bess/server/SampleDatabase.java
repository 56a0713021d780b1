package org.bess.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;

/**
 * A small database for damage tests: a root area holding file "inRoot" and an area {@code a1.area} holding file
 * "inArea", each with {@link #OBJECTS} objects of {@link #SIZE} bytes whose bytes are {@link #expected}.
 */
final class SampleDatabase {
    static final int OBJECTS = 300;
    static final int SIZE = 200;

    final Path dir;
    final Path root;
    final Path area;
    final List<Long> inRoot = new ArrayList<>();
    final List<Long> inArea = new ArrayList<>();

    private SampleDatabase(final Path dir) {
        this.dir = dir;
        this.root = dir.resolve("db.root");
        this.area = dir.resolve("a1.area");
    }

    static Session session(final Path dir) {
        return BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(2L << 20));
    }

    /** Creates the database in {@code dir} and closes it. */
    static SampleDatabase create(final Path dir) {
        final SampleDatabase sample = new SampleDatabase(dir);
        try (Session s = session(dir)) {
            final Database db = s.createDatabase(sample.root, 1L << 20);
            db.addArea(sample.area);
            final TypeId t = db.defineType("T", SIZE, new int[] {0});
            try (Transaction tx = s.begin()) {
                final BessFile inRoot = tx.createFile(db, "inRoot");
                final BessFile inArea = tx.createFile(db, "inArea", sample.area);
                for (int i = 0; i < OBJECTS; i++) {
                    sample.inRoot.add(fill(tx.allocate(inRoot, t), i));
                    sample.inArea.add(fill(tx.allocate(inArea, t), OBJECTS + i));
                }
                tx.setRoot(db, "first", new Ref(db, sample.inRoot.get(0)));
                tx.commit();
            }
        }
        return sample;
    }

    private static long fill(final ObjectRef o, final int i) {
        o.putBytes(0, expected(i), 0, SIZE);
        return o.ref().word();
    }

    /** The bytes of object {@code i} (objects of "inArea" count from {@link #OBJECTS}). */
    static byte[] expected(final int i) {
        final byte[] b = new byte[SIZE];
        for (int k = 0; k < SIZE; k++) {
            b[k] = (byte) (i * 31 + k * 7);
        }
        return b;
    }

    /** Every object's word with its index for {@link #expected}. */
    List<long[]> all() {
        final List<long[]> list = new ArrayList<>();
        for (int i = 0; i < OBJECTS; i++) {
            list.add(new long[] {inRoot.get(i), i});
            list.add(new long[] {inArea.get(i), OBJECTS + i});
        }
        return list;
    }
}
