package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.LargeObjectInfo;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LargeObjectTest {
    @TempDir
    Path dir;

    private Session session(final TestSessions.Way way, final String node) {
        return TestSessions.open(way, new Context().nodeDir(dir.resolve(node)).cacheSizeBytes(8L << 20));
    }

    private static byte[] bytes(final long seed, final int length) {
        final byte[] b = new byte[length];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static byte[] readAll(final LargeObject lo) {
        final byte[] b = new byte[(int) lo.length()];
        lo.read(0, b);
        return b;
    }

    private void assertHealthy(final Path root) {
        assertThat(new DatabaseChecker(root, dir.resolve("chk-" + System.nanoTime()))
                        .run(l -> {})
                        .problems())
                .isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldAppendReadInsertDeleteAndKeepBytesAcrossReopen(final TestSessions.Way way) {
        final Path root = dir.resolve("db.root");
        final byte[] a = bytes(1, 3_000_000);
        final byte[] ins = bytes(2, 100_000);
        Ref ref;
        byte[] expected;
        try (Session s = session(way, "n1")) {
            final Database db = s.createDatabase(root, 1L << 20);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "blobs");
                final LargeObject lo = tx.createLarge(f);
                assertThat(lo.length()).isZero();
                assertThat(lo.append(a)).isZero();
                assertThat(lo.length()).isEqualTo(a.length);
                assertThat(readAll(lo)).isEqualTo(a);
                lo.insert(1_000_000, ins);
                expected = new byte[a.length + ins.length];
                System.arraycopy(a, 0, expected, 0, 1_000_000);
                System.arraycopy(ins, 0, expected, 1_000_000, ins.length);
                System.arraycopy(a, 1_000_000, expected, 1_000_000 + ins.length, a.length - 1_000_000);
                assertThat(readAll(lo)).isEqualTo(expected);
                lo.delete(500_000, 700_000);
                final byte[] e2 = new byte[expected.length - 700_000];
                System.arraycopy(expected, 0, e2, 0, 500_000);
                System.arraycopy(expected, 1_200_000, e2, 500_000, expected.length - 1_200_000);
                expected = e2;
                assertThat(readAll(lo)).isEqualTo(expected);
                ref = lo.ref();
                tx.setRoot(db, "blob", ref);
                tx.commit();
            }
        }
        assertHealthy(root);
        try (Session s = session(way, "n2")) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.openLarge(tx.root(db, "blob"));
                assertThat(readAll(lo)).isEqualTo(expected);
                tx.commit();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRefuseBadRangesNamingObjectPositionAndLength(final TestSessions.Way way) {
        try (Session s = session(way, "n")) {
            final Database db = s.createDatabase(dir.resolve("r.root"), 1L << 20);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "f"));
                lo.append(new byte[100]);
                assertThatThrownBy(() -> lo.read(50, new byte[51]))
                        .isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                                .isEqualTo(ErrorCode.BAD_ARGUMENT))
                        .hasMessageContaining("object=")
                        .hasMessageContaining("position=50")
                        .hasMessageContaining("length=51");
                assertThatThrownBy(() -> lo.delete(-1, 2)).hasMessageContaining("negative");
                assertThatThrownBy(() -> lo.insert(101, new byte[1])).hasMessageContaining("past the end");
                assertThatThrownBy(() -> lo.truncate(101)).hasMessageContaining("past the end");
                tx.commit();
                assertThatThrownBy(lo::length).hasMessageContaining("no longer active");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldMatchAModelUnderRandomOperations(final TestSessions.Way way) {
        final SplittableRandom rnd = new SplittableRandom(42);
        final Path root = dir.resolve("m.root");
        try (Session s = session(way, "m")) {
            final Database db = s.createDatabase(root, 1L << 20);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "f"));
                byte[] model = new byte[0];
                for (int step = 0; step < 400; step++) {
                    final int op = rnd.nextInt(5);
                    final int n = rnd.nextInt(rnd.nextBoolean() ? 300_000 : 5_000);
                    final byte[] data = bytes(step, n);
                    final int pos = model.length == 0 ? 0 : rnd.nextInt(model.length + 1);
                    switch (op) {
                        case 0 -> {
                            lo.append(data);
                            model = concat(model, data);
                        }
                        case 1 -> {
                            lo.insert(pos, data);
                            model = concat(
                                    concat(Arrays.copyOf(model, pos), data),
                                    Arrays.copyOfRange(model, pos, model.length));
                        }
                        case 2 -> {
                            final int len = Math.min(n, model.length - pos);
                            lo.delete(pos, len);
                            model = concat(
                                    Arrays.copyOf(model, pos), Arrays.copyOfRange(model, pos + len, model.length));
                        }
                        case 3 -> {
                            lo.write(pos, data);
                            final byte[] m = Arrays.copyOf(model, Math.max(model.length, pos + n));
                            System.arraycopy(data, 0, m, pos, n);
                            model = m;
                        }
                        default -> {
                            final int len = Math.min(n, model.length - pos);
                            final byte[] got = new byte[len];
                            lo.read(pos, got);
                            assertThat(got).isEqualTo(Arrays.copyOfRange(model, pos, pos + len));
                        }
                    }
                    assertThat(lo.length()).as("step %d op %d", step, op).isEqualTo(model.length);
                }
                assertThat(readAll(lo)).isEqualTo(model);
                tx.commit();
            }
        }
        assertHealthy(root);
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldGrowAndShrinkADeepTreeAndKeepItChecked(final TestSessions.Way way) {
        final Path root = dir.resolve("deep.root");
        final Context context = new Context()
                .nodeDir(dir.resolve("deep"))
                .cacheSizeBytes(4L << 20)
                .largeLeafOrder(0)
                .largeNodeFanout(8);
        try (Session s = TestSessions.open(way, context)) {
            final Database db = s.createDatabase(root, 1L << 20);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "f"));
                final byte[] all = bytes(7, 2_000_000);
                for (int i = 0; i < all.length; i += 10_000) {
                    lo.append(all, i, Math.min(10_000, all.length - i));
                }
                final var grown = lo.info();
                assertThat(grown.height()).as("height of %s", grown).isEqualTo(3);
                assertThat(grown.segments()).isGreaterThanOrEqualTo(all.length / 4096);
                byte[] model = all;
                final SplittableRandom rnd = new SplittableRandom(3);
                for (int i = 0; i < 200; i++) {
                    final int pos = rnd.nextInt(model.length);
                    final int n = Math.min(rnd.nextInt(30_000), model.length - pos);
                    lo.delete(pos, n);
                    model = concat(Arrays.copyOf(model, pos), Arrays.copyOfRange(model, pos + n, model.length));
                    final byte[] ins = bytes(i, rnd.nextInt(9_000));
                    final int at = rnd.nextInt(model.length + 1);
                    lo.insert(at, ins);
                    model = concat(concat(Arrays.copyOf(model, at), ins), Arrays.copyOfRange(model, at, model.length));
                }
                assertThat(readAll(lo)).isEqualTo(model);
                lo.delete(1000, model.length - 2000);
                final var shrunk = lo.info();
                assertThat(shrunk.length()).isEqualTo(2000);
                assertThat(shrunk.height()).as("height of %s", shrunk).isLessThanOrEqualTo(2);
                assertThat(readAll(lo))
                        .isEqualTo(concat(
                                Arrays.copyOf(model, 1000),
                                Arrays.copyOfRange(model, model.length - 1000, model.length)));
                tx.commit();
            }
        }
        assertHealthy(root);
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldStripeSegmentsOverEveryAreaAndKeepThemThroughAMove(final TestSessions.Way way) {
        final Path root = dir.resolve("s.root");
        final List<Path> stripes = List.of(dir.resolve("s.a1"), dir.resolve("s.a2"), dir.resolve("s.a3"));
        final byte[] data = bytes(5, 5_000_000);
        try (Session s = session(way, "s")) {
            final Database db = s.createDatabase(root, 1L << 20);
            for (final Path p : stripes) {
                db.addArea(p);
            }
            db.addArea(dir.resolve("s.target"));
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "striped");
                final LargeObject lo = tx.createLarge(f, stripes);
                lo.append(data);
                final LargeObjectInfo info = lo.info();
                assertThat(info.segmentsByArea().keySet()).containsExactlyElementsOf(stripes);
                final int per = info.segments() / 3;
                assertThat(info.segmentsByArea().values())
                        .allSatisfy(n -> assertThat(n).isBetween(per, per + 1));
                tx.setRoot(db, "lo", lo.ref());
                tx.commit();
            }
            assertThatThrownBy(() -> db.removeArea(stripes.get(1)))
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.AREA_IN_USE))
                    .hasMessageContaining("striped");
            db.moveFile("striped", dir.resolve("s.target"));
            for (final Path p : stripes) {
                db.removeArea(p);
            }
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.openLarge(tx.root(db, "lo"));
                assertThat(lo.info().segmentsByArea().keySet()).containsExactly(dir.resolve("s.target"));
                assertThat(readAll(lo)).isEqualTo(data);
                lo.append(data, 0, 300_000);
                tx.commit();
            }
            assertThat(db.largeObjects("striped")).singleElement().satisfies(i -> {
                assertThat(i.length()).isEqualTo(data.length + 300_000L);
                assertThat(i.segmentsByArea().keySet()).containsExactly(dir.resolve("s.target"));
            });
        }
        assertHealthy(root);
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRefuseStripeListsThatAreEmptyRepeatedOrForeign(final TestSessions.Way way) {
        try (Session s = session(way, "sr")) {
            final Database db = s.createDatabase(dir.resolve("sr.root"), 1L << 20);
            db.addArea(dir.resolve("sr.a"));
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "f");
                assertThatThrownBy(() -> tx.createLarge(f, List.of())).hasMessageContaining("striped over 1 to 32");
                assertThatThrownBy(() -> tx.createLarge(f, List.of(dir.resolve("sr.a"), dir.resolve("sr.a"))))
                        .hasMessageContaining("twice");
                assertThatThrownBy(() -> tx.createLarge(f, List.of(dir.resolve("nowhere"))))
                        .hasMessageContaining("no such area");
                tx.commit();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldBeAnOrdinaryObjectToCursorsReferencesFreeAndDrop(final TestSessions.Way way) {
        final Path root = dir.resolve("o.root");
        try (Session s = session(way, "o")) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId t = db.defineType("Holder", 8, new int[] {0});
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "mixed");
                final ObjectRef small = tx.allocate(f, t);
                final LargeObject lo = tx.createLarge(f);
                lo.append(bytes(1, 200_000));
                small.putRef(0, lo.ref());
                assertThat(tx.openLarge(small.getRef(0)).length()).isEqualTo(200_000);
                assertThatThrownBy(() -> tx.open(lo.ref())).hasMessageContaining("openLarge");
                assertThatThrownBy(() -> tx.openLarge(small.ref())).hasMessageContaining("not a large object");
                int smalls = 0;
                int larges = 0;
                try (Cursor c = tx.scan(f)) {
                    while (c.next()) {
                        if (c.isLarge()) {
                            larges++;
                            assertThat(c.largeObject().length()).isEqualTo(200_000);
                            assertThat(c.ref()).isEqualTo(lo.ref());
                            assertThatThrownBy(c::object).hasMessageContaining("large object");
                        } else {
                            smalls++;
                            assertThat(c.object().getRef(0)).isEqualTo(lo.ref());
                        }
                    }
                }
                assertThat(smalls).isEqualTo(1);
                assertThat(larges).isEqualTo(1);
                final LargeObject second = tx.createLarge(f);
                second.append(bytes(2, 100_000));
                small.putRef(0, null);
                tx.free(lo);
                assertThatThrownBy(lo::length)
                        .isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                                .isEqualTo(ErrorCode.INVALID_REFERENCE))
                        .hasMessageContaining("freed");
                tx.commit();
            }
        }
        assertHealthy(root);
        try (Session s = session(way, "o2")) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                tx.dropFile(tx.file(db, "mixed"));
                tx.commit();
            }
        }
        assertHealthy(root);
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldStreamAndSeekThroughTheAdapters(final TestSessions.Way way) throws IOException {
        try (Session s = session(way, "st")) {
            final Database db = s.createDatabase(dir.resolve("st.root"), 1L << 20);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "f"));
                final byte[] data = bytes(9, 1_234_567);
                try (OutputStream out = lo.outputStream(0)) {
                    for (int i = 0; i < data.length; i += 777) {
                        out.write(data, i, Math.min(777, data.length - i));
                    }
                    out.write(42);
                }
                assertThat(lo.length()).isEqualTo(data.length + 1L);
                try (InputStream in = lo.inputStream(0)) {
                    assertThat(in.readNBytes(data.length)).isEqualTo(data);
                    assertThat(in.read()).isEqualTo(42);
                    assertThat(in.read()).isEqualTo(-1);
                }
                try (SeekableByteChannel ch = lo.channel()) {
                    assertThat(ch.size()).isEqualTo(data.length + 1L);
                    ch.position(1000);
                    final ByteBuffer buf = ByteBuffer.allocateDirect(5000);
                    assertThat(ch.read(buf)).isEqualTo(5000);
                    buf.flip();
                    final byte[] got = new byte[5000];
                    buf.get(got);
                    assertThat(got).isEqualTo(Arrays.copyOfRange(data, 1000, 6000));
                    ch.position(ch.size() + 10);
                    assertThat(ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}))).isEqualTo(3);
                    assertThat(ch.size()).isEqualTo(data.length + 1L + 13);
                    ch.truncate(100);
                    assertThat(ch.position()).isEqualTo(100);
                    assertThat(ch.read(ByteBuffer.allocate(10))).isEqualTo(-1);
                }
                assertThat(lo.length()).isEqualTo(100);
                tx.commit();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldCopyBetweenDatabases(final TestSessions.Way way) {
        try (Session s = session(way, "x")) {
            final Database one = s.createDatabase(dir.resolve("x1.root"), 1L << 20);
            final Database two = s.createDatabase(dir.resolve("x2.root"), 1L << 20);
            try (Transaction tx = s.begin()) {
                final LargeObject a = tx.createLarge(tx.createFile(one, "f"));
                final LargeObject b = tx.createLarge(tx.createFile(two, "f"));
                final byte[] data = bytes(4, 700_000);
                a.append(data);
                b.append(new byte[10]);
                a.copy(100, b, 5, 600_000);
                final byte[] expected = new byte[600_005];
                System.arraycopy(data, 100, expected, 5, 600_000);
                assertThat(readAll(b)).isEqualTo(expected);
                assertThat(b.compare(5, Arrays.copyOfRange(data, 100, 600_100))).isZero();
                tx.setRoot(one, "b", b.ref());
                assertThat(tx.openLarge(tx.root(one, "b")).length()).isEqualTo(600_005);
                tx.commit();
            }
        }
    }

    private static byte[] concat(final byte[] a, final byte[] b) {
        final byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
