package org.bess.server.io;

import java.nio.file.Path;
import org.bess.server.log.FileLogDevice;
import org.bess.server.log.LogDevice;

/**
 * The storage I/O seam: where the engine gets the stores of its durable bytes. Production uses {@link #REAL}; tests
 * substitute a simulated disk that loses, tears or garbles what was written and not forced.
 */
public interface StorageIo {
    /** Real files and devices. */
    StorageIo REAL = new StorageIo() {
        @Override
        public PageStore createArea(final Path path, final long pageCount) {
            return FilePageStore.create(path, pageCount);
        }

        @Override
        public PageStore openArea(final Path path) {
            return FilePageStore.open(path);
        }

        @Override
        public LogDevice openLog(final Path dir) {
            return new FileLogDevice(dir);
        }
    };

    /** Creates a new area file of {@code pageCount} zero pages. */
    PageStore createArea(Path path, long pageCount);

    /** Opens an existing area file or device. */
    PageStore openArea(Path path);

    /** Opens (creating if needed) the log directory. */
    LogDevice openLog(Path dir);
}
