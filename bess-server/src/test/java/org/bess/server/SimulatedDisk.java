package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.server.io.ForwardingPageStore;
import org.bess.server.io.PageStore;
import org.bess.server.io.StorageIo;
import org.bess.server.log.FileLogDevice;
import org.bess.server.log.ForwardingLogDevice;
import org.bess.server.log.LogDevice;

/**
 * A disk that remembers what was written and not yet forced (TESTING.md "The storage I/O seam"). Writes go to the real
 * files at once (so reads see them, as the page cache would serve them); each write since the last force of its file
 * is recorded with the bytes it replaced. {@link #crash(long, Mode)} then decides what a power cut left on disk.
 */
final class SimulatedDisk implements StorageIo {
    /** What a power cut does to un-forced writes. */
    enum Mode {
        /** Every un-forced write is lost. */
        DROP_UNSYNCED,
        /** Each 512-byte sector of an un-forced write survives or not, at random. */
        TORN_512,
        /** Each 4096-byte sector of an un-forced write survives or not, at random. */
        TORN_4096,
        /** Un-forced writes leave random bytes. */
        GARBAGE
    }

    private record Write(Path file, long offset, byte[] before, byte[] after, long lengthBefore) {}

    /** An area page that a power cut left torn: neither its durable bytes nor the last bytes written to it. */
    record TornPage(Path file, long pageNo, byte[] lastWritten) {}

    private final List<Write> unsynced = new ArrayList<>();
    private final List<TornPage> torn = new ArrayList<>();
    private long writes;

    /** The area pages the last {@link #crash} tore (none but in the {@code TORN_*} modes). */
    synchronized List<TornPage> tornPages() {
        return new ArrayList<>(torn);
    }

    /** Un-forced writes recorded now. */
    synchronized int pending() {
        return unsynced.size();
    }

    /** Writes seen so far. */
    synchronized long writes() {
        return writes;
    }

    private synchronized void record(final Path file, final long offset, final byte[] after) {
        writes++;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            final long length = f.length();
            final byte[] before = new byte[after.length];
            if (offset < length) {
                f.seek(offset);
                f.read(before, 0, (int) Math.min(after.length, length - offset));
            }
            unsynced.add(new Write(file, offset, before, after, length));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private synchronized void forced(final Path file) {
        unsynced.removeIf(w -> w.file.equals(file));
    }

    /** Applies the power cut to the files: newest un-forced writes first. */
    synchronized void crash(final long seed, final Mode mode) {
        final List<Write> cut = new ArrayList<>(unsynced);
        crashWrites(seed, mode);
        torn.clear();
        if (mode == Mode.TORN_512 || mode == Mode.TORN_4096) {
            findTornPages(cut);
        }
    }

    /** Pages of area files whose bytes after the cut are neither the oldest before-image nor the newest after-image. */
    private void findTornPages(final List<Write> cut) {
        // every version each page had: the durable one, then each un-forced write's
        final java.util.Map<String, List<byte[]>> pages = new java.util.LinkedHashMap<>();
        for (final Write w : cut) {
            if (w.file.getFileName().toString().startsWith("log-")
                    || w.offset % PAGE_LENGTH != 0
                    || w.after.length % PAGE_LENGTH != 0) {
                continue;
            }
            for (int p = 0; p < w.after.length / PAGE_LENGTH; p++) {
                final long pageNo = (w.offset >> PAGE_SHIFT) + p;
                final List<byte[]> v = pages.computeIfAbsent(w.file + "\n" + pageNo, k -> new ArrayList<>());
                if (v.isEmpty()) {
                    v.add(java.util.Arrays.copyOfRange(w.before, p * PAGE_LENGTH, (p + 1) * PAGE_LENGTH));
                }
                v.add(java.util.Arrays.copyOfRange(w.after, p * PAGE_LENGTH, (p + 1) * PAGE_LENGTH));
            }
        }
        for (final java.util.Map.Entry<String, List<byte[]>> e : pages.entrySet()) {
            final String[] key = e.getKey().split("\n", 2);
            final Path file = Path.of(key[0]);
            final long pageNo = Long.parseLong(key[1]);
            final byte[] now = new byte[PAGE_LENGTH];
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                if (f.length() < (pageNo + 1) * PAGE_LENGTH) {
                    continue;
                }
                f.seek(pageNo << PAGE_SHIFT);
                f.readFully(now);
            } catch (final IOException ex) {
                throw new UncheckedIOException(ex);
            }
            if (e.getValue().stream().noneMatch(v -> java.util.Arrays.equals(now, v))) {
                torn.add(
                        new TornPage(file, pageNo, e.getValue().get(e.getValue().size() - 1)));
            }
        }
    }

    private void crashWrites(final long seed, final Mode mode) {
        final Random random = new Random(seed);
        for (int i = unsynced.size() - 1; i >= 0; i--) {
            final Write w = unsynced.get(i);
            try (RandomAccessFile f = new RandomAccessFile(w.file.toFile(), "rw")) {
                switch (mode) {
                    case DROP_UNSYNCED -> {
                        f.seek(w.offset);
                        f.write(w.before);
                        if (w.lengthBefore <= w.offset) {
                            f.setLength(Math.max(w.lengthBefore, Math.min(f.length(), w.offset)));
                        }
                    }
                    case TORN_512, TORN_4096 -> {
                        final int sector = mode == Mode.TORN_512 ? 512 : 4096;
                        for (int s = 0; s < w.after.length; s += sector) {
                            if (random.nextBoolean()) {
                                f.seek(w.offset + s);
                                f.write(w.before, s, Math.min(sector, w.after.length - s));
                            }
                        }
                    }
                    case GARBAGE -> {
                        final byte[] junk = new byte[w.after.length];
                        random.nextBytes(junk);
                        f.seek(w.offset);
                        f.write(junk);
                    }
                    default -> throw new IllegalArgumentException("mode " + mode);
                }
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        unsynced.clear();
    }

    @Override
    public PageStore createArea(final Path path, final long pageCount) {
        return new SimPageStore(StorageIo.REAL.createArea(path, pageCount));
    }

    @Override
    public PageStore openArea(final Path path) {
        return new SimPageStore(StorageIo.REAL.openArea(path));
    }

    @Override
    public LogDevice openLog(final Path dir) {
        return new SimLogDevice(new FileLogDevice(dir), dir);
    }

    /** Records every page write (a multi-page write page by page) and every force. */
    private final class SimPageStore extends ForwardingPageStore {
        private final UnsafeBuffer view = new UnsafeBuffer(0, 0);

        SimPageStore(final PageStore delegate) {
            super(delegate);
        }

        @Override
        public void write(final long pageNo, final long address) {
            final byte[] after = new byte[PAGE_LENGTH];
            view.wrap(address, PAGE_LENGTH);
            view.getBytes(0, after);
            record(delegate.path(), pageNo << PAGE_SHIFT, after);
            delegate.write(pageNo, address);
        }

        @Override
        public void write(final long pageNo, final int count, final long address) {
            for (int i = 0; i < count; i++) {
                write(pageNo + i, address + ((long) i << PAGE_SHIFT));
            }
        }

        @Override
        public void force() {
            delegate.force();
            forced(delegate.path());
        }
    }

    /** Records every log write and every force, truncation and deletion; log reads are never mapped. */
    private final class SimLogDevice extends ForwardingLogDevice {
        private final Path dir;

        SimLogDevice(final LogDevice delegate, final Path dir) {
            super(delegate);
            this.dir = dir;
        }

        private Path file(final long index) {
            return dir.resolve(LogSegmentHeaderDescriptor.fileName(index));
        }

        @Override
        public MappedByteBuffer map(final long index, final long length) {
            return null; // reads go through read(), as they would on a device that cannot map
        }

        @Override
        public void write(final long index, final long offset, final ByteBuffer src) {
            final byte[] after = new byte[src.remaining()];
            src.duplicate().get(after);
            record(file(index), offset, after);
            delegate.write(index, offset, src);
        }

        @Override
        public void force(final long index) {
            delegate.force(index);
            forced(file(index));
        }

        @Override
        public void truncate(final long index, final long length) {
            delegate.truncate(index, length);
            forced(file(index));
        }

        @Override
        public void delete(final long index) {
            forced(file(index));
            delegate.delete(index);
        }
    }
}
