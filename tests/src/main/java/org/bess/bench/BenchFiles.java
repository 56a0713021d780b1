package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** What the large-object benchmarks share: temporary directories, seeded bytes, the plain-file peer. */
final class BenchFiles {
    private BenchFiles() {}

    /** A new temporary directory for one trial. */
    static Path tempDir(final String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a directory tree. */
    static void deleteTree(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Seeded random bytes. */
    static byte[] bytes(final long seed, final int length) {
        final byte[] b = new byte[length];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code totalBytes} to a new plain file in chunks, then forces it: the peer of a large-object write. */
    static void writePlain(final Path file, final byte[] chunk, final long totalBytes) {
        try (FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            final ByteBuffer buf = ByteBuffer.wrap(chunk);
            for (long done = 0; done < totalBytes; done += chunk.length) {
                buf.clear().limit((int) Math.min(chunk.length, totalBytes - done));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            ch.force(false);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
