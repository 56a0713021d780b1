package org.bess.server.log;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.bess.format.LogSegmentHeaderDescriptor;

/** Copies of a log directory and the mid-log defects the log scan tests inject into them. */
final class LogDamage {
    private LogDamage() {}

    /** Copies the files of the log directory {@code from} into {@code to}. */
    static void copyTree(final Path from, final Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (final Path p : (Iterable<Path>) files::iterator) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    /** The segment file of {@code log} that holds {@code lsn}, open for writing. */
    static RandomAccessFile segmentOf(final Path log, final long lsn, final long segmentSize) throws IOException {
        return new RandomAccessFile(
                log.resolve(LogSegmentHeaderDescriptor.fileName(lsn / segmentSize))
                        .toFile(),
                "rw");
    }

    /**
     * Damages the record at {@code offset} of segment file {@code f} one of four ways, by {@code variant % 4}: 0 flips
     * {@code flip} in a payload byte chosen in {@code [offset + payloadAt, offset + payloadAt + payloadSpan)} (only the
     * checksum tells), 1 zeroes the length (the rest of the segment reads as unused), 2 writes a random length, 3
     * overwrites {@code garbageBytes} (at most up to the file's end) with random bytes.
     */
    static void damage(
            final RandomAccessFile f,
            final long offset,
            final int variant,
            final Random random,
            final int payloadAt,
            final int payloadSpan,
            final int flip,
            final int garbageBytes)
            throws IOException {
        switch (variant % 4) {
            case 0 -> {
                final long at = offset + payloadAt + random.nextInt(payloadSpan);
                f.seek(at);
                final int b = f.read();
                f.seek(at);
                f.write(b ^ flip);
            }
            case 1 -> {
                f.seek(offset);
                f.write(new byte[4]);
            }
            case 2 -> {
                f.seek(offset);
                f.writeInt(random.nextInt());
            }
            default -> {
                final byte[] garbage = new byte[garbageBytes];
                random.nextBytes(garbage);
                f.seek(offset);
                f.write(garbage, 0, (int) Math.min(garbage.length, f.length() - offset));
            }
        }
    }
}
