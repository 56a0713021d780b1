package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.server.check.CheckReport;
import org.bess.server.check.DatabaseChecker;

/**
 * Large objects against a plain byte-array model: random sequences of every operation (appends, inserts and deletes
 * anywhere, overwrites that extend, truncates, reads, compare, copy within and between objects, byte and pattern
 * search, the asynchronous variants), then commit, check, reopen and compare. Sizes stay at a few MiB so that the
 * default build stays fast; {@code LargeObjectSlowTest} runs the same model with hundreds of MiB.
 */
class LargeObjectProperties {
    /** One operation; positions are fractions of the length at the time it runs. */
    record Op(int kind, double position, int length, double second) {}

    private Path dir;
    private int run;

    @BeforeProperty
    void makeDir() throws IOException {
        dir = Files.createTempDirectory("bess-lo-props");
    }

    @AfterProperty
    void removeDir() throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }

    @Provide
    Arbitrary<List<Op>> sequences() {
        final Arbitrary<Integer> lengths = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0, 9_000)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(9_000, 400_000)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(400_000, 2_500_000)));
        final Arbitrary<Op> op = Combinators.combine(
                        Arbitraries.integers().between(0, 14),
                        Arbitraries.doubles().between(0, 1),
                        lengths,
                        Arbitraries.doubles().between(0, 1))
                .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 30)
    void shouldBehaveLikeAByteArray(@ForAll("sequences") final List<Op> ops, @ForAll final boolean deep) {
        run(ops, deep, TestSessions.Way.EMBEDDED);
    }

    @Property(tries = 8)
    void shouldBehaveLikeAByteArrayThroughAClient(
            @ForAll("sequences") final List<Op> ops, @ForAll final boolean deep, @ForAll final boolean sharedMemory) {
        run(ops, deep, sharedMemory ? TestSessions.Way.SHARED_MEMORY : TestSessions.Way.COPY_ON_ACCESS);
    }

    private void run(final List<Op> ops, final boolean deep, final TestSessions.Way way) {
        final Path root = dir.resolve("p" + (run++) + ".root");
        final Models models = new Models();
        final Ref[] refs = new Ref[2];
        try (Session s = session(way, "a" + run, deep)) {
            final Database db = s.createDatabase(root, 1L << 20);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "blobs");
                final LargeObject a = tx.createLarge(f);
                final LargeObject b = tx.createLarge(f);
                refs[0] = a.ref();
                refs[1] = b.ref();
                final List<CompletableFuture<?>> pending = new ArrayList<>();
                for (int i = 0; i < ops.size(); i++) {
                    apply(ops.get(i), i, a, b, models, pending);
                    assertThat(a.length())
                            .as("length after op %d %s", i, ops.get(i))
                            .isEqualTo(models.a.length);
                }
                CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
                        .join();
                assertThat(readAll(a)).isEqualTo(models.a);
                assertThat(readAll(b)).isEqualTo(models.b);
                tx.setRoot(db, "a", refs[0]);
                tx.setRoot(db, "b", refs[1]);
                tx.commit();
            }
        }
        final CheckReport report = new DatabaseChecker(root, dir.resolve("chk" + run)).run(l -> {});
        assertThat(report.problems()).as(report.summary()).isEmpty();
        try (Session s = session(way, "b" + run, false)) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final LargeObject a = tx.openLarge(tx.root(db, "a"));
                assertThat(a.length()).isEqualTo(models.a.length);
                assertThat(readStream(a)).isEqualTo(models.a);
                assertThat(readAll(tx.openLarge(tx.root(db, "b")))).isEqualTo(models.b);
                tx.commit();
            }
        }
    }

    private Session session(final TestSessions.Way way, final String node, final boolean deep) {
        // a small cache: the sequences evict, write back and read runs back
        final Context context = new Context().nodeDir(dir.resolve(node)).cacheSizeBytes(2L << 20);
        if (deep) {
            // one-page leaves and nodes of 8 entries: a few hundred KiB make trees of several levels
            context.largeLeafOrder(0).largeNodeFanout(8);
        }
        return TestSessions.open(way, context);
    }

    /** The two objects' models. */
    static final class Models {
        byte[] a = new byte[0];
        byte[] b = new byte[0];
    }

    private static int at(final double fraction, final int length) {
        return (int) Math.min(length, Math.floor(fraction * (length + 1)));
    }

    private static byte[] data(final int seed, final int length) {
        final byte[] d = new byte[length];
        new SplittableRandom(seed).nextBytes(d);
        // a narrow alphabet, so that searches find things
        for (int i = 0; i < length; i += 7) {
            d[i] = (byte) (i % 3);
        }
        return d;
    }

    @SuppressWarnings("checkstyle:MethodLength")
    private static void apply(
            final Op op,
            final int index,
            final LargeObject a,
            final LargeObject b,
            final Models m,
            final List<CompletableFuture<?>> pending) {
        final int len = m.a.length;
        final int pos = at(op.position(), len);
        final byte[] d = data(index, op.length());
        switch (op.kind()) {
            case 0 -> {
                assertThat(a.append(d)).isEqualTo(len);
                m.a = Model.insert(m.a, len, d);
            }
            case 1 -> {
                a.insert(pos, d);
                m.a = Model.insert(m.a, pos, d);
            }
            case 2 -> {
                final int n = Math.min(op.length(), len - pos);
                a.delete(pos, n);
                m.a = Model.delete(m.a, pos, n);
            }
            case 3 -> {
                a.write(pos, d);
                m.a = Model.write(m.a, pos, d);
            }
            case 4 -> {
                final int n = at(op.second(), len);
                a.truncate(n);
                m.a = Arrays.copyOf(m.a, n);
            }
            case 5 -> {
                final int n = Math.min(op.length(), len - pos);
                final byte[] got = new byte[n];
                a.read(pos, got);
                assertThat(got).isEqualTo(Arrays.copyOfRange(m.a, pos, pos + n));
            }
            case 6 -> {
                final int n = Math.min(op.length(), len - pos);
                final byte[] probe = Arrays.copyOfRange(m.a, pos, pos + n);
                assertThat(a.compare(pos, probe)).isZero();
                if (n > 0) {
                    final int k = at(op.second(), n - 1);
                    probe[k] ^= (byte) 0x80;
                    assertThat(Integer.signum(a.compare(pos, probe)))
                            .isEqualTo(Integer.signum((m.a[pos + k] & 0xFF) - (probe[k] & 0xFF)));
                }
            }
            case 7 -> {
                final int n = Math.min(op.length(), len - pos);
                final int dst = at(op.second(), len);
                a.copy(pos, a, dst, n);
                m.a = Model.write(m.a, dst, Arrays.copyOfRange(m.a, pos, pos + n));
            }
            case 8 -> {
                final int n = Math.min(op.length(), len - pos);
                final int dst = at(op.second(), m.b.length);
                a.copy(pos, b, dst, n);
                m.b = Model.write(m.b, dst, Arrays.copyOfRange(m.a, pos, pos + n));
            }
            case 9 -> {
                final byte value = (byte) (op.length() % 5);
                assertThat(a.indexOf(value, pos)).isEqualTo(Model.indexOf(m.a, new byte[] {value}, pos));
            }
            case 10 -> {
                final int n = Math.min(1 + op.length() % 6, len - pos);
                final byte[] pattern = op.second() < 0.7 || n <= 0
                        ? Arrays.copyOfRange(m.a, at(op.second(), Math.max(0, len - n)), at(op.second(), len - n) + n)
                        : new byte[] {0, 1, 2, (byte) n};
                assertThat(a.indexOf(pattern, pos)).isEqualTo(Model.indexOf(m.a, pattern, pos));
            }
            case 11 -> {
                pending.add(a.appendAsync(d));
                m.a = Model.insert(m.a, len, d);
            }
            case 12 -> {
                pending.add(a.insertAsync(pos, d));
                m.a = Model.insert(m.a, pos, d);
            }
            case 13 -> {
                final int n = Math.min(op.length(), len - pos);
                final byte[] expected = Arrays.copyOfRange(m.a, pos, pos + n);
                pending.add(
                        a.readAsync(pos, n).thenAccept(got -> assertThat(got).isEqualTo(expected)));
            }
            default -> {
                final int n = Math.min(op.length(), len - pos);
                pending.add(a.deleteAsync(pos, n));
                pending.add(a.writeAsync(Math.min(pos, len - n), d));
                m.a = Model.write(Model.delete(m.a, pos, n), Math.min(pos, len - n), d);
            }
        }
    }

    private static byte[] readAll(final LargeObject lo) {
        final byte[] all = new byte[(int) lo.length()];
        lo.read(0, all);
        return all;
    }

    private static byte[] readStream(final LargeObject lo) {
        try (InputStream in = lo.inputStream(0)) {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The plain byte-array model. */
    static final class Model {
        private Model() {}

        static byte[] insert(final byte[] m, final int pos, final byte[] d) {
            final byte[] r = new byte[m.length + d.length];
            System.arraycopy(m, 0, r, 0, pos);
            System.arraycopy(d, 0, r, pos, d.length);
            System.arraycopy(m, pos, r, pos + d.length, m.length - pos);
            return r;
        }

        static byte[] delete(final byte[] m, final int pos, final int n) {
            final byte[] r = new byte[m.length - n];
            System.arraycopy(m, 0, r, 0, pos);
            System.arraycopy(m, pos + n, r, pos, m.length - pos - n);
            return r;
        }

        static byte[] write(final byte[] m, final int pos, final byte[] d) {
            final byte[] r = Arrays.copyOf(m, Math.max(m.length, pos + d.length));
            System.arraycopy(d, 0, r, pos, d.length);
            return r;
        }

        static long indexOf(final byte[] m, final byte[] pattern, final int from) {
            outer:
            for (int i = from; i + pattern.length <= m.length; i++) {
                for (int k = 0; k < pattern.length; k++) {
                    if (m[i + k] != pattern[k]) {
                        continue outer;
                    }
                }
                return i;
            }
            return pattern.length == 0 && from <= m.length ? from : -1;
        }
    }
}
