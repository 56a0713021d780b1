package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.server.check.CheckReport;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The large-object tests that take minutes ({@code mvn -B verify -Pfull}): the byte-array model with hundreds of MiB,
 * and a 1 GiB stream in and out of a child JVM whose heap is 128 MiB (nothing may buffer a whole object).
 */
@Tag("slow")
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class LargeObjectSlowTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void shouldMatchTheModelWithHundredsOfMebibytes() {
        final long seed = Long.getLong("bess.test.seed", System.nanoTime());
        final SplittableRandom rnd = new SplittableRandom(seed);
        final Path root = dir.resolve("big.root");
        byte[] model = new byte[0];
        final long t0 = System.nanoTime();
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("n1")).cacheSizeBytes(64 * MIB))) {
            final Database db = s.createDatabase(root);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.createLarge(tx.createFile(db, "big"));
                model = apply(lo, model, 0, 0, data(rnd, (int) (300 * MIB)));
                for (int step = 0; step < 40; step++) {
                    final int kind = rnd.nextInt(5);
                    final int pos = rnd.nextInt(model.length + 1);
                    final int n = rnd.nextInt(rnd.nextBoolean() ? (int) (40 * MIB) : 70_000);
                    model = apply(lo, model, kind, pos, data(rnd, n));
                    assertThat(lo.length()).as("seed=%d step %d", seed, step).isEqualTo(model.length);
                    final int probe = rnd.nextInt(Math.max(1, model.length - 4096));
                    final byte[] got = new byte[Math.min(4096, model.length)];
                    lo.read(probe, got);
                    assertThat(got)
                            .as("seed=%d step %d", seed, step)
                            .isEqualTo(Arrays.copyOfRange(model, probe, probe + got.length));
                }
                tx.setRoot(db, "big", lo.ref());
                tx.commit();
            }
        }
        final long t1 = System.nanoTime();
        final CheckReport report = new DatabaseChecker(root, dir.resolve("chk")).run(l -> {});
        assertThat(report.problems()).as("seed=%d %s", seed, report.summary()).isEmpty();
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("n2")).cacheSizeBytes(64 * MIB))) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final LargeObject lo = tx.openLarge(tx.root(db, "big"));
                assertThat(lo.length()).isEqualTo(model.length);
                final byte[] chunk = new byte[(int) (8 * MIB)];
                for (int pos = 0; pos < model.length; pos += chunk.length) {
                    final int n = Math.min(chunk.length, model.length - pos);
                    lo.read(pos, chunk, 0, n);
                    assertThat(Arrays.equals(chunk, 0, n, model, pos, pos + n))
                            .as("seed=%d bytes at %d", seed, pos)
                            .isTrue();
                }
                System.out.printf(
                        "large-object model: seed=%d, final length %d MiB, %s, ops %d ms, check+reopen+compare %d ms%n",
                        seed,
                        model.length >> 20,
                        lo.info(),
                        (t1 - t0) / 1_000_000,
                        (System.nanoTime() - t1) / 1_000_000);
            }
        }
    }

    private static byte[] data(final SplittableRandom rnd, final int n) {
        final byte[] d = new byte[n];
        rnd.nextBytes(d);
        return d;
    }

    private static byte[] apply(final LargeObject lo, final byte[] m, final int kind, final int pos, final byte[] d) {
        switch (kind) {
            case 0 -> {
                lo.append(d);
                return LargeObjectProperties.Model.insert(m, m.length, d);
            }
            case 1 -> {
                lo.insert(pos, d);
                return LargeObjectProperties.Model.insert(m, pos, d);
            }
            case 2 -> {
                final int n = Math.min(d.length, m.length - pos);
                lo.delete(pos, n);
                return LargeObjectProperties.Model.delete(m, pos, n);
            }
            case 3 -> {
                lo.write(pos, d);
                return LargeObjectProperties.Model.write(m, pos, d);
            }
            default -> {
                final int n = Math.min(d.length, m.length - pos);
                final int dst = pos / 2;
                lo.copy(pos, lo, dst, n);
                return LargeObjectProperties.Model.write(m, dst, Arrays.copyOfRange(m, pos, pos + n));
            }
        }
    }

    @Test
    void shouldStreamOneGibInAndOutWithA128MibHeap() throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx128m");
        cmd.add("-XX:-CreateCoredumpOnCrash");
        cmd.add("--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED");
        cmd.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
        cmd.add("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(LargeStreamChild.class.getName());
        cmd.add(dir.toString());
        cmd.add("1024");
        final Process child = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile())
                .start();
        final boolean ended = child.waitFor(25, TimeUnit.MINUTES);
        if (!ended) {
            child.destroyForcibly().waitFor();
        }
        final String log = java.nio.file.Files.readString(dir.resolve("child.log"), StandardCharsets.UTF_8);
        System.out.println("1 GiB stream child (-Xmx128m): " + log.strip());
        assertThat(ended).as("child ended: %s", log).isTrue();
        assertThat(child.exitValue()).as(log).isZero();
        assertThat(log).contains("ok in=").contains("maxHeap=");
        final CheckReport report = new DatabaseChecker(dir.resolve("stream.root"), dir.resolve("chk")).run(l -> {});
        assertThat(report.problems()).as(report.summary()).isEmpty();
        assertThat(report.summary()).contains("largeBytes=" + (1L << 30));
        assertThat(new File(dir.toFile(), "stream.root").length()).isGreaterThan(1L << 30);
    }
}
