package org.bess.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * The master record {@code <log dir>/master}: the LSN of the last complete checkpoint, 8 bytes, then a CRC32C of them.
 * Replaced atomically: written to a temporary file, forced, renamed over the old one, and the directory forced.
 */
final class MasterRecord {
    static final String FILE = "master";

    private MasterRecord() {}

    static void write(final Path logDir, final long checkpointLsn) {
        final ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, checkpointLsn);
        final CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 8);
        b.putInt(8, (int) crc.getValue());
        final Path tmp = logDir.resolve(FILE + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(b);
                ch.force(true);
            }
            FaultPoints.hit("master.beforeRename");
            Files.move(tmp, logDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            FaultPoints.hit("master.beforeDirSync");
            try (FileChannel d = FileChannel.open(logDir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot write the master record: dir=" + logDir + ": " + e, e);
        }
    }

    /** The last checkpoint's LSN, or -1 when there is no (valid) master record. */
    static long read(final Path logDir) {
        final Path file = logDir.resolve(FILE);
        if (!Files.exists(file)) {
            return -1;
        }
        try {
            final byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != 12) {
                return -1;
            }
            final ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            final CRC32C crc = new CRC32C();
            crc.update(bytes, 0, 8);
            return (int) crc.getValue() == b.getInt(8) ? b.getLong(0) : -1;
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot read the master record: dir=" + logDir + ": " + e, e);
        }
    }
}
