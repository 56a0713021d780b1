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

    /** Bytes per system call of the plain-file peers: what bess moves per pread/pwrite too. */
    static final int IO_LENGTH = 256 * 1024;

    /**
     * Writes {@code totalBytes} to a new plain file in chunks, then forces it: the peer of a large-object write. The
     * chunks are copied from the array into a direct buffer of {@link #IO_LENGTH} and written from there: the fastest
     * way found (a heap buffer makes the JDK copy through its own temporary buffer, several times slower here, and a
     * 1 MiB buffer no longer fits the CPU cache).
     */
    static void writePlain(final Path file, final byte[] chunk, final long totalBytes) {
        try (FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            final ByteBuffer buf = ByteBuffer.allocateDirect(IO_LENGTH);
            for (long done = 0; done < totalBytes; ) {
                final int n = (int) Math.min(chunk.length, totalBytes - done);
                for (int at = 0; at < n; ) {
                    final int k = Math.min(IO_LENGTH, n - at);
                    buf.clear();
                    buf.put(chunk, at, k).flip();
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    at += k;
                }
                done += n;
            }
            ch.force(false);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a plain file from start to end into {@code chunk}, {@code piece} bytes per call, each call moving the bytes
     * through a direct buffer of {@link #IO_LENGTH} (see {@link #writePlain}).
     *
     * @return the last byte read, so that nothing can be eliminated.
     */
    static int readPlain(final Path file, final byte[] chunk, final int piece, final ByteBuffer buffer) {
        int last = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (true) {
                int got = 0;
                while (got < piece) {
                    buffer.clear().limit(Math.min(IO_LENGTH, piece - got));
                    final int n = ch.read(buffer);
                    if (n < 0) {
                        return last;
                    }
                    buffer.flip();
                    buffer.get(chunk, got, n);
                    got += n;
                }
                last += chunk[piece - 1];
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
