package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.FileInfo;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.server.check.DatabaseChecker;

/**
 * Shared pieces of the crash tests: child JVMs, copies of a node and its database (always restored to the same paths,
 * because the log names databases by absolute path), the bank oracle and a logical dump of a database (every file,
 * every object's reference, size and bytes) to compare two recoveries.
 */
final class CrashHarness {
    private CrashHarness() {}

    /** Starts a child JVM on the test class path with {@code props}, output (both streams) to {@code out}. */
    static Process child(final Path out, final List<String> props, final Class<?> main, final String... args)
            throws IOException {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens",
                "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-XX:-CreateCoredumpOnCrash",
                "-XX:TieredStopAtLevel=1",
                "-Xshare:auto"));
        command.addAll(props);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
    }

    /** Runs a child to its end (bounded) and returns its exit status; the child is killed if it overruns. */
    static int run(final Path out, final List<String> props, final Class<?> main, final String... args)
            throws IOException, InterruptedException {
        final Process p = child(out, props, main, args);
        try {
            assertThat(p.waitFor(180, TimeUnit.SECONDS))
                    .as("child %s %s finished in time", main.getSimpleName(), props)
                    .isTrue();
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }

    /** Replaces {@code to} by a copy of {@code from} (both directories). */
    static void copyTree(final Path from, final Path to) {
        deleteTree(to);
        try (Stream<Path> files = Files.walk(from)) {
            for (final Path p : (Iterable<Path>) files::iterator) {
                final Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a directory tree if it exists. */
    static void deleteTree(final Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (final Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The balances the bank workload's output promises: {@code start} plus every acknowledged transfer. */
    static Outcome outcome(final long[] start, final Path out) throws IOException {
        final long[] expected = start.clone();
        long[] inFlight = null;
        int acks = 0;
        for (final String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            final String[] p = line.split(" ", -1);
            if (p[0].equals("try")) {
                inFlight = new long[] {Long.parseLong(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4])};
            } else if (p[0].equals("ack") && inFlight != null) {
                expected[(int) inFlight[0]] -= inFlight[2];
                expected[(int) inFlight[1]] += inFlight[2];
                inFlight = null;
                acks++;
            }
        }
        final long[] withInFlight = expected.clone();
        if (inFlight != null) {
            withInFlight[(int) inFlight[0]] -= inFlight[2];
            withInFlight[(int) inFlight[1]] += inFlight[2];
        }
        return new Outcome(expected, withInFlight, acks);
    }

    /** What a bank run may recover to: every ack, and the transfer in flight whole or absent. */
    record Outcome(long[] acked, long[] withInFlight, int acks) {
        boolean allows(final long[] actual) {
            return Arrays.equals(actual, acked) || Arrays.equals(actual, withInFlight);
        }

        String describe(final long[] actual) {
            return String.format(
                    "balances %s, expected %s (or with the transfer in flight %s) after %d acks",
                    Arrays.toString(actual), Arrays.toString(acked), Arrays.toString(withInFlight), acks);
        }
    }

    /** Opens the node (restart recovery runs if needed) and returns the balances and a logical dump. */
    static Recovered recover(final Path node, final Path root, final int accounts) {
        try (Session s = BessServer.embedded(new Context().nodeDir(node).cacheSizeBytes(2L << 20))) {
            final String summary = BessServer.recoverySummary(s);
            final Database db = s.openDatabase(root);
            return new Recovered(BankWorkload.balances(s, db, accounts), dump(s, db), summary);
        }
    }

    /** The result of one recovery. */
    record Recovered(long[] balances, String dump, String summary) {}

    /** A hash of every file's name and every object's reference, size and bytes, in scan order. */
    static String dump(final Session s, final Database db) {
        final MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long objects = 0;
        try (Transaction tx = s.begin()) {
            final List<FileInfo> files = new ArrayList<>(db.files());
            files.sort(Comparator.comparing(FileInfo::name));
            for (final FileInfo f : files) {
                md.update(f.name().getBytes(StandardCharsets.UTF_8));
                try (Cursor c = tx.scan(tx.file(db, f.name()))) {
                    while (c.next()) {
                        final ObjectRef o = c.object();
                        final byte[] bytes = new byte[o.size()];
                        o.getBytes(0, bytes, 0, bytes.length);
                        md.update(Long.toString(o.ref().word()).getBytes(StandardCharsets.UTF_8));
                        md.update(bytes);
                        objects++;
                    }
                }
            }
            tx.commit();
        }
        return objects + " objects, sha256 " + HexFormat.of().formatHex(md.digest());
    }

    /** The offline check's problems (empty when healthy). */
    static List<String> check(final Path root, final Path scratch) {
        deleteTree(scratch);
        return new DatabaseChecker(root, scratch).run(l -> {}).problems();
    }
}
