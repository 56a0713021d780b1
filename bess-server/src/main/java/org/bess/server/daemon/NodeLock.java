package org.bess.server.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * One server per node directory: an exclusive {@code fcntl} lock on {@code <node dir>/server.lock}, held for the
 * server's life, plus the holder's pid and details written in the file. The kernel drops the lock when its process
 * dies however it dies (SIGKILL included), so a stale file from a killed server is simply taken over: the new server
 * gets the lock, reads the previous holder's details to log them, and rewrites the file. A server that finds the lock
 * held refuses to start ({@code NODE_IN_USE}) and names the holder.
 *
 * <p>Not thread safe; the daemon's main thread.
 */
public final class NodeLock implements AutoCloseable {
    /** The lock file's name. */
    public static final String FILE_NAME = "server.lock";

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;
    private final Properties previous;

    private NodeLock(final Path path, final FileChannel channel, final FileLock lock, final Properties previous) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
        this.previous = previous;
    }

    /**
     * Takes the node directory.
     *
     * @param nodeDir the node directory (must exist).
     * @return the held lock; {@link #previousHolder()} tells whether a dead server's file was taken over.
     * @throws BessException {@code NODE_IN_USE} when a live server holds it, {@code IO} when the file cannot be used.
     */
    public static NodeLock acquire(final Path nodeDir) {
        final Path path = nodeDir.resolve(FILE_NAME);
        final FileChannel channel;
        try {
            channel = FileChannel.open(
                    path,
                    java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot open the node lock file: path=" + path + ": " + e, e);
        }
        FileLock lock = null;
        try {
            try {
                lock = channel.tryLock();
            } catch (final OverlappingFileLockException e) {
                lock = null; // held by this very JVM
            }
            final Properties holder = read(channel);
            if (lock == null) {
                throw new BessException(
                        ErrorCode.NODE_IN_USE,
                        "node directory is in use by a running server: nodeDir=" + nodeDir + ", pid="
                                + holder.getProperty("pid", "?") + ", started=" + holder.getProperty("started", "?")
                                + "; stop it first (SIGTERM) or use another node directory");
            }
            return new NodeLock(path, channel, lock, holder.isEmpty() ? null : holder);
        } catch (final IOException e) {
            closeQuietly(channel);
            throw new BessException(ErrorCode.IO, "cannot lock the node lock file: path=" + path + ": " + e, e);
        } catch (final RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** Reads whatever the last holder wrote; garbage gives empty or partial details, never a failure. */
    private static Properties read(final FileChannel channel) throws IOException {
        final long size = Math.min(channel.size(), 64 << 10);
        final ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining() && channel.read(b, b.position()) > 0) {
            // read to the end
        }
        final Properties p = new Properties();
        try {
            p.load(new java.io.StringReader(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8)));
        } catch (final IllegalArgumentException | IOException e) {
            p.setProperty("unreadable", e.toString());
        }
        return p;
    }

    private static void closeQuietly(final FileChannel channel) {
        try {
            channel.close();
        } catch (final IOException ignored) {
            // the lock goes with the channel
        }
    }

    /** The details the previous, dead holder left (pid, started, ...), or null for a fresh node directory. */
    public Properties previousHolder() {
        return previous;
    }

    /**
     * Writes this server's details into the lock file (pid, start time and the given entries).
     *
     * @param details more {@code key=value} lines.
     */
    public void publish(final Properties details) {
        final Properties p = new Properties();
        p.putAll(details);
        p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        p.setProperty("started", java.time.Instant.now().toString());
        final java.io.StringWriter w = new java.io.StringWriter();
        try {
            p.store(w, "bess node server");
            final ByteBuffer bytes = ByteBuffer.wrap(w.toString().getBytes(StandardCharsets.UTF_8));
            channel.truncate(0);
            while (bytes.hasRemaining()) {
                channel.write(bytes, bytes.position());
            }
            channel.force(true);
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot write the node lock file: path=" + path + ": " + e, e);
        }
    }

    /** Reads the lock file's details without locking anything (admin tools). */
    public static Properties peek(final Path nodeDir) {
        final Path path = nodeDir.resolve(FILE_NAME);
        if (!Files.exists(path)) {
            return new Properties();
        }
        try (FileChannel c = FileChannel.open(path, StandardOpenOption.READ)) {
            return read(c);
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot read the node lock file: path=" + path + ": " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (final IOException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(channel);
    }
}
