package org.bess.bench.oo7;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.bess.nativeshim.MappedFile;
import org.bess.nativeshim.Native;

/** Temporary directories of the OO7 stores, and emptying the page cache of their files. Stateless. */
public final class Oo7Files {
    private Oo7Files() {}

    /** A new temporary directory. */
    public static Path newDirectory(final String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory: prefix=" + prefix, e);
        }
    }

    /** Closes a store (when not null) and deletes its directory (when not null). */
    public static void closeAndDelete(final Oo7Store store, final Path dir) {
        try {
            if (store != null) {
                store.close();
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** Deletes a directory and everything in it; null or missing is ignored. */
    public static void deleteTree(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot delete an OO7 directory: dir=" + dir, e);
        }
    }

    /**
     * Drops every regular file under {@code dir} from the kernel's page cache: {@code fdatasync}, then {@code
     * posix_fadvise(POSIX_FADV_DONTNEED)} on the whole file. The store must be closed (its mappings gone), else mapped
     * pages stay. Only these files are dropped: the rest of the (shared) machine keeps its cache.
     *
     * @param dir the store's directory.
     * @return the number of files dropped.
     */
    public static int dropPageCache(final Path dir) {
        final List<Path> files;
        try (Stream<Path> paths = Files.walk(dir)) {
            files = paths.filter(Files::isRegularFile).toList();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot list an OO7 directory: dir=" + dir, e);
        }
        for (final Path file : files) {
            try (MappedFile open = MappedFile.open(file, false)) {
                Native.fdatasync(open.fd());
                Native.posixFadvise(open.fd(), 0, 0, Native.POSIX_FADV_DONTNEED);
            }
        }
        return files.size();
    }
}
