package org.bess.server.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogSegmentHeaderDescriptor;

/** A {@link LogDevice} over real files in a directory, with {@code fdatasync} and directory fsync on creation. */
public final class FileLogDevice implements LogDevice {
    private final Path dir;
    private final Map<Long, FileChannel> open = new HashMap<>();
    /** Segments made by this device: {segment length, bytes zero-filled so far}. */
    private final Map<Long, long[]> filled = new HashMap<>();

    /** Bytes zeroed ahead of the write position at a time. */
    private static final int FILL_AHEAD = 1 << 20;
    /** What {@link #fillAhead} writes (read-only and shared: each use takes a duplicate). */
    private static final ByteBuffer ZEROS =
            ByteBuffer.allocateDirect(FILL_AHEAD).asReadOnlyBuffer();

    /** The log in {@code dir} (created if missing). */
    public FileLogDevice(final Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (final IOException e) {
            throw io("cannot create the log directory", e);
        }
    }

    private BessException io(final String what, final IOException e) {
        return new BessException(ErrorCode.IO, what + ": dir=" + dir + ": " + e, e);
    }

    private synchronized FileChannel channel(final long index) {
        FileChannel ch = open.get(index);
        if (ch == null) {
            try {
                ch = FileChannel.open(
                        dir.resolve(LogSegmentHeaderDescriptor.fileName(index)),
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            } catch (final IOException e) {
                throw io("cannot open log segment " + index, e);
            }
            open.put(index, ch);
        }
        return ch;
    }

    @Override
    public List<Long> segments() {
        final List<Long> list = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "log-*.dat")) {
            for (final Path p : files) {
                final String name = p.getFileName().toString();
                try {
                    list.add(Long.parseUnsignedLong(name.substring(4, name.length() - 4), 16));
                } catch (final NumberFormatException e) {
                    // not one of ours
                }
            }
        } catch (final IOException e) {
            throw io("cannot list the log", e);
        }
        Collections.sort(list);
        return list;
    }

    @Override
    public void create(final long index, final ByteBuffer header) {
        final Path file = dir.resolve(LogSegmentHeaderDescriptor.fileName(index));
        try {
            final FileChannel ch = FileChannel.open(
                    file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            final int headerLength = header.remaining();
            final long segmentLength = header.duplicate()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getLong(header.position() + org.bess.format.LogSegmentHeaderDescriptor.SEGMENT_LENGTH_OFFSET);
            while (header.hasRemaining()) {
                ch.write(header, header.position());
            }
            ch.force(true);
            synchronized (this) {
                open.put(index, ch);
                filled.put(index, new long[] {segmentLength, headerLength});
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (final IOException e) {
            throw io("cannot create log segment " + index, e);
        }
    }

    /**
     * Zeroes a new segment ahead of the write position, {@value #FILL_AHEAD} bytes at a time, so that most appends
     * overwrite blocks the file already has: an {@code fdatasync} after an overwrite flushes only the data, where one
     * after an append must also commit the file's new size and blocks to the file system's journal (about twice the
     * latency of a commit here). A zeroed tail reads as the end of the log (a record length of zero).
     */
    private void fillAhead(final long index, final FileChannel ch, final long end) throws IOException {
        final long[] f;
        synchronized (this) {
            f = filled.get(index);
        }
        if (f == null || end <= f[1] || f[1] >= f[0]) {
            return;
        }
        final long to = Math.min(f[0], Math.max(end, f[1]) + FILL_AHEAD);
        final ByteBuffer zeros = ZEROS.duplicate();
        long position = f[1];
        while (position < to) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), to - position));
            while (zeros.hasRemaining()) {
                position += ch.write(zeros, position);
            }
        }
        f[1] = to;
    }

    @Override
    public int read(final long index, final long offset, final ByteBuffer dst) {
        try {
            int total = 0;
            final FileChannel ch = channel(index);
            while (dst.hasRemaining()) {
                final int n = ch.read(dst, offset + total);
                if (n <= 0) {
                    break;
                }
                total += n;
            }
            return total;
        } catch (final IOException e) {
            throw io("cannot read log segment " + index, e);
        }
    }

    @Override
    public MappedByteBuffer map(final long index, final long length) {
        try {
            return channel(index).map(FileChannel.MapMode.READ_ONLY, 0, length);
        } catch (final IOException e) {
            throw io("cannot map log segment " + index, e);
        }
    }

    @Override
    public void write(final long index, final long offset, final ByteBuffer src) {
        try {
            final FileChannel ch = channel(index);
            fillAhead(index, ch, offset + src.remaining());
            long position = offset;
            while (src.hasRemaining()) {
                position += ch.write(src, position);
            }
        } catch (final IOException e) {
            throw io("cannot write log segment " + index, e);
        }
    }

    @Override
    public void force(final long index) {
        try {
            channel(index).force(false);
        } catch (final IOException e) {
            throw io("cannot force log segment " + index, e);
        }
    }

    @Override
    public void truncate(final long index, final long length) {
        try {
            final FileChannel ch = channel(index);
            ch.truncate(length);
            ch.force(true);
        } catch (final IOException e) {
            throw io("cannot truncate log segment " + index, e);
        }
    }

    @Override
    public synchronized void delete(final long index) {
        final FileChannel ch = open.remove(index);
        try {
            if (ch != null) {
                ch.close();
            }
            Files.deleteIfExists(dir.resolve(LogSegmentHeaderDescriptor.fileName(index)));
        } catch (final IOException e) {
            throw io("cannot delete log segment " + index, e);
        }
    }

    @Override
    public long size(final long index) {
        try {
            return channel(index).size();
        } catch (final IOException e) {
            throw io("cannot size log segment " + index, e);
        }
    }

    @Override
    public synchronized void close() {
        for (final FileChannel ch : open.values()) {
            try {
                ch.close();
            } catch (final IOException e) {
                // closing: nothing left to protect
            }
        }
        open.clear();
    }
}
