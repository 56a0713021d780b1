package org.bess.server.cache;

import static org.bess.format.CacheControlDescriptor.ENTRY_FRAME_OFFSET;
import static org.bess.format.CacheControlDescriptor.ENTRY_KEY_OFFSET;
import static org.bess.format.CacheControlDescriptor.ENTRY_LENGTH;
import static org.bess.format.CacheControlDescriptor.FLAG_CONTROL;
import static org.bess.format.CacheControlDescriptor.FLAG_DIRTY;
import static org.bess.format.CacheControlDescriptor.FLAG_REFERENCED;
import static org.bess.format.CacheControlDescriptor.FRAME_ACCESS_COUNT_OFFSET;
import static org.bess.format.CacheControlDescriptor.FRAME_FLAGS_OFFSET;
import static org.bess.format.CacheControlDescriptor.FRAME_PAGE_KEY_OFFSET;
import static org.bess.format.CacheControlDescriptor.FRAME_PIN_COUNT_OFFSET;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CacheControlDescriptor;
import org.bess.nativeshim.MappedFile;
import org.bess.nativeshim.Native;

/**
 * The page cache. Frames are pinned by the engine while it works on them ({@link #pin}/{@link #unpin}) and counted
 * while processes map them into virtual frames ({@link #acquireMapping}/{@link #releaseMapping}); the clock replaces
 * only frames with neither, writing a dirty victim back first. When no frame is replaceable the cache asks its pressure
 * handler (the level-one clock of the process's virtual frames) to let go of some.
 *
 * <p>Not thread safe: the engine thread only.
 */
public final class BufferCache implements AutoCloseable {
    private final Path dir;
    private final int frameCount;
    private final MappedFile cacheFile;
    private final MappedFile controlFile;
    private final long cacheBase;
    private final long controlBase;
    private final long controlLength;
    private final UnsafeBuffer control;
    private final UnsafeBuffer scratch = new UnsafeBuffer(0, 0);
    private final int tableOffset;
    private final int tableMask;
    private PageSource[] sources = new PageSource[0];
    private Runnable pressureHandler = () -> {};
    private int clockHand;
    private long hits;
    private long misses;
    private long evictions;

    /**
     * Creates the cache and control files in {@code dir} (created 0700 if missing; files 0600) and maps them.
     *
     * @param dir the cache directory, e.g. {@code /dev/shm/bess-<node>}.
     * @param frameCount frames of 4 KiB.
     */
    public BufferCache(final Path dir, final int frameCount) {
        this.dir = dir;
        this.frameCount = frameCount;
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve("cache"));
            Files.deleteIfExists(dir.resolve("control"));
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot prepare the cache directory: dir=" + dir, e);
        }
        this.cacheFile = MappedFile.create(dir.resolve("cache"), (long) frameCount * PAGE_LENGTH, 0600);
        this.controlLength = CacheControlDescriptor.fileLength(frameCount);
        this.controlFile = MappedFile.create(dir.resolve("control"), controlLength, 0600);
        final int rw = Native.PROT_READ | Native.PROT_WRITE;
        this.cacheBase = Native.mmap(0, cacheFile.length(), rw, Native.MAP_SHARED, cacheFile.fd(), 0);
        this.controlBase = Native.mmap(0, controlLength, rw, Native.MAP_SHARED, controlFile.fd(), 0);
        this.control = new UnsafeBuffer(controlBase, (int) controlLength);
        this.tableOffset = CacheControlDescriptor.tableOffset(frameCount);
        this.tableMask = CacheControlDescriptor.tableCapacity(frameCount) - 1;
        control.putLong(CacheControlDescriptor.MAGIC_OFFSET, CacheControlDescriptor.MAGIC);
        control.putInt(CacheControlDescriptor.FORMAT_VERSION_OFFSET, CacheControlDescriptor.FORMAT_VERSION);
        control.putInt(CacheControlDescriptor.FRAME_COUNT_OFFSET, frameCount);
        control.putInt(CacheControlDescriptor.TABLE_CAPACITY_OFFSET, tableMask + 1);
    }

    /** The cache directory. */
    public Path dir() {
        return dir;
    }

    /** The number of frames. */
    public int frameCount() {
        return frameCount;
    }

    /** The cache file's descriptor, for mapping frames into virtual frames. */
    public int cacheFd() {
        return cacheFile.fd();
    }

    /** Sets what is called when every frame is pinned or mapped. */
    public void pressureHandler(final Runnable handler) {
        this.pressureHandler = handler;
    }

    /** Registers the page source of a window. */
    public void register(final int window, final PageSource source) {
        if (window >= sources.length) {
            sources = Arrays.copyOf(sources, window + 1);
        }
        sources[window] = source;
    }

    /** The address of a frame in the engine's own mapping of the cache. */
    public long frameAddress(final int frame) {
        return cacheBase + ((long) frame << PAGE_SHIFT);
    }

    /** Points {@code buffer} at a frame. */
    public UnsafeBuffer wrap(final UnsafeBuffer buffer, final int frame) {
        buffer.wrap(frameAddress(frame), PAGE_LENGTH);
        return buffer;
    }

    /** Cache hits so far. */
    public long hits() {
        return hits;
    }

    /** Cache misses so far. */
    public long misses() {
        return misses;
    }

    /** Frames replaced so far. */
    public long evictions() {
        return evictions;
    }

    /**
     * Pins a page, reading it from its area on a miss.
     *
     * @param window the page's window.
     * @param pageNo the page.
     * @param controlPage whether it is a control page.
     * @return the frame, pinned.
     */
    public int pin(final int window, final long pageNo, final boolean controlPage) {
        return pin(window, pageNo, controlPage, true);
    }

    /**
     * Pins a page that was just allocated and whose old bytes do not matter: no read, the frame is zeroed.
     *
     * @return the frame, pinned.
     */
    public int pinNew(final int window, final long pageNo, final boolean controlPage) {
        return pin(window, pageNo, controlPage, false);
    }

    private int pin(final int window, final long pageNo, final boolean controlPage, final boolean read) {
        final long key = CacheControlDescriptor.pageKey(window, pageNo);
        int frame = lookup(key);
        if (frame >= 0) {
            hits++;
            final int d = CacheControlDescriptor.frameOffset(frame);
            control.putInt(d + FRAME_PIN_COUNT_OFFSET, control.getInt(d + FRAME_PIN_COUNT_OFFSET) + 1);
            // a freed page comes back in another role (data <-> slotted segment or catalog) while its old frame is
            // still cached: the frame takes the role of this pin, which says how the page is written back
            final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
            control.putInt(
                    d + FRAME_FLAGS_OFFSET,
                    (flags & ~FLAG_CONTROL) | FLAG_REFERENCED | (controlPage ? FLAG_CONTROL : 0));
            if (!read) {
                scratch.wrap(frameAddress(frame), PAGE_LENGTH);
                scratch.setMemory(0, PAGE_LENGTH, (byte) 0);
            }
            return frame;
        }
        misses++;
        frame = victim();
        final int d = CacheControlDescriptor.frameOffset(frame);
        final long address = frameAddress(frame);
        try {
            if (read) {
                sources[window].load(pageNo, address, controlPage);
            } else {
                scratch.wrap(address, PAGE_LENGTH);
                scratch.setMemory(0, PAGE_LENGTH, (byte) 0);
            }
        } catch (final RuntimeException e) {
            control.putInt(d + FRAME_PIN_COUNT_OFFSET, 0);
            throw e;
        }
        control.putLong(d + FRAME_PAGE_KEY_OFFSET, key);
        control.putInt(d + FRAME_FLAGS_OFFSET, FLAG_REFERENCED | (controlPage ? FLAG_CONTROL : 0));
        control.putInt(d + FRAME_ACCESS_COUNT_OFFSET, 0);
        insert(key, frame);
        return frame;
    }

    /**
     * Touches a frame the caller found for a page earlier, if it still holds that page: the frame is marked referenced
     * and a hit is counted, as {@link #pin} does, but no pin is taken. For a read that makes no other call on the cache
     * before it is done (nothing can replace the frame in between), which saves the pin and unpin and the table probe.
     *
     * @param frame the frame that held the page.
     * @param window the page's window.
     * @param pageNo the page.
     * @return whether the frame still holds the page; when false, pin the page instead.
     */
    public boolean touchIfHolds(final int frame, final int window, final long pageNo) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        if (control.getLong(d + FRAME_PAGE_KEY_OFFSET) != CacheControlDescriptor.pageKey(window, pageNo)) {
            return false;
        }
        hits++;
        final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
        if ((flags & FLAG_REFERENCED) == 0) {
            control.putInt(d + FRAME_FLAGS_OFFSET, flags | FLAG_REFERENCED);
        }
        return true;
    }

    /** Releases a pin. */
    public void unpin(final int frame) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        final int pins = control.getInt(d + FRAME_PIN_COUNT_OFFSET);
        if (pins <= 0) {
            throw new IllegalStateException("unpin of an unpinned frame: frame=" + frame);
        }
        control.putInt(d + FRAME_PIN_COUNT_OFFSET, pins - 1);
    }

    /** Marks a pinned frame dirty: it is written back before it is replaced and at the next checkpoint. */
    public void markDirty(final int frame) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        control.putInt(d + FRAME_FLAGS_OFFSET, control.getInt(d + FRAME_FLAGS_OFFSET) | FLAG_DIRTY);
    }

    /** Whether a frame is dirty. */
    public boolean isDirty(final int frame) {
        return (control.getInt(CacheControlDescriptor.frameOffset(frame) + FRAME_FLAGS_OFFSET) & FLAG_DIRTY) != 0;
    }

    /**
     * Brings a data page into the cache for a process that maps it into a virtual frame; the frame is not replaced
     * until {@link #releaseMapping}.
     *
     * @return the frame.
     */
    public int acquireMapping(final int window, final long pageNo) {
        final int frame = pin(window, pageNo, false);
        final int d = CacheControlDescriptor.frameOffset(frame);
        control.putInt(d + FRAME_ACCESS_COUNT_OFFSET, control.getInt(d + FRAME_ACCESS_COUNT_OFFSET) + 1);
        unpin(frame);
        return frame;
    }

    /** A process stopped mapping a frame. */
    public void releaseMapping(final int frame) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        control.putInt(d + FRAME_ACCESS_COUNT_OFFSET, Math.max(0, control.getInt(d + FRAME_ACCESS_COUNT_OFFSET) - 1));
    }

    /** The frame currently holding a page, or -1. */
    public int frameOf(final int window, final long pageNo) {
        return lookup(CacheControlDescriptor.pageKey(window, pageNo));
    }

    /**
     * Writes back every dirty frame (data pages first, since writing a data page updates its page-info page), then
     * forces every registered source.
     *
     * @return frames written.
     */
    public int checkpoint() {
        int written = 0;
        for (int pass = 0; pass < 2; pass++) {
            final boolean controlPass = pass == 1;
            for (int frame = 0; frame < frameCount; frame++) {
                final int d = CacheControlDescriptor.frameOffset(frame);
                final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
                if ((flags & FLAG_DIRTY) != 0 && ((flags & FLAG_CONTROL) != 0) == controlPass) {
                    writeBack(frame);
                    written++;
                }
            }
        }
        for (final PageSource source : sources) {
            if (source != null) {
                source.force();
            }
        }
        return written;
    }

    /**
     * Drops every frame of a window: written back first unless {@code discard}, and forgotten. Frames of the window
     * must not be pinned or mapped.
     *
     * @param window the window.
     * @param fromPage drop only pages at or above this one (0 for all).
     * @param discard whether to drop dirty frames without writing them (their pages were truncated away).
     */
    public void dropWindow(final int window, final long fromPage, final boolean discard) {
        final List<Integer> frames = new ArrayList<>();
        for (int frame = 0; frame < frameCount; frame++) {
            final long key = control.getLong(CacheControlDescriptor.frameOffset(frame) + FRAME_PAGE_KEY_OFFSET);
            if (key != 0 && (int) (key >>> 40) - 1 == window && (key & ((1L << 40) - 1)) >= fromPage) {
                frames.add(frame);
            }
        }
        if (!discard) {
            // data before control, as in checkpoint
            for (final int frame : frames) {
                if (isDirty(frame) && !isControl(frame)) {
                    writeBack(frame);
                }
            }
            for (final int frame : frames) {
                if (isDirty(frame)) {
                    writeBack(frame);
                }
            }
        }
        for (final int frame : frames) {
            final int d = CacheControlDescriptor.frameOffset(frame);
            remove(control.getLong(d + FRAME_PAGE_KEY_OFFSET));
            control.putLong(d + FRAME_PAGE_KEY_OFFSET, 0);
            control.putInt(d + FRAME_FLAGS_OFFSET, 0);
            control.putInt(d + FRAME_ACCESS_COUNT_OFFSET, 0);
            control.putInt(d + FRAME_PIN_COUNT_OFFSET, 0);
        }
    }

    private boolean isControl(final int frame) {
        return (control.getInt(CacheControlDescriptor.frameOffset(frame) + FRAME_FLAGS_OFFSET) & FLAG_CONTROL) != 0;
    }

    private void writeBack(final int frame) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        final long key = control.getLong(d + FRAME_PAGE_KEY_OFFSET);
        final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
        // clear first: storing a data page dirties its page-info page, never this frame again
        control.putInt(d + FRAME_FLAGS_OFFSET, flags & ~FLAG_DIRTY);
        control.putInt(d + FRAME_PIN_COUNT_OFFSET, control.getInt(d + FRAME_PIN_COUNT_OFFSET) + 1);
        try {
            sources[(int) (key >>> 40) - 1].store(
                    key & ((1L << 40) - 1), frameAddress(frame), (flags & FLAG_CONTROL) != 0);
        } catch (final RuntimeException e) {
            control.putInt(d + FRAME_FLAGS_OFFSET, control.getInt(d + FRAME_FLAGS_OFFSET) | FLAG_DIRTY);
            throw e;
        } finally {
            control.putInt(d + FRAME_PIN_COUNT_OFFSET, control.getInt(d + FRAME_PIN_COUNT_OFFSET) - 1);
        }
    }

    /** Picks a frame to reuse, writes it back if dirty, unhooks it, and returns it pinned once. */
    private int victim() {
        for (int attempt = 0; attempt < 3; attempt++) {
            for (int step = 0; step < 2 * frameCount; step++) {
                final int frame = clockHand;
                clockHand = clockHand + 1 == frameCount ? 0 : clockHand + 1;
                final int d = CacheControlDescriptor.frameOffset(frame);
                final long key = control.getLong(d + FRAME_PAGE_KEY_OFFSET);
                if (key == 0) {
                    control.putInt(d + FRAME_PIN_COUNT_OFFSET, 1);
                    return frame;
                }
                if (control.getInt(d + FRAME_PIN_COUNT_OFFSET) > 0
                        || control.getInt(d + FRAME_ACCESS_COUNT_OFFSET) > 0) {
                    continue;
                }
                final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
                if ((flags & FLAG_REFERENCED) != 0) {
                    control.putInt(d + FRAME_FLAGS_OFFSET, flags & ~FLAG_REFERENCED);
                    continue;
                }
                if ((flags & FLAG_DIRTY) != 0) {
                    writeBack(frame);
                    if (control.getInt(d + FRAME_PIN_COUNT_OFFSET) > 0
                            || (control.getInt(d + FRAME_FLAGS_OFFSET) & FLAG_DIRTY) != 0) {
                        continue;
                    }
                }
                evictions++;
                remove(key);
                control.putLong(d + FRAME_PAGE_KEY_OFFSET, 0);
                control.putInt(d + FRAME_FLAGS_OFFSET, 0);
                control.putInt(d + FRAME_PIN_COUNT_OFFSET, 1);
                return frame;
            }
            pressureHandler.run();
        }
        throw new BessException(
                ErrorCode.STORAGE_FULL,
                "cache full: every frame is pinned or mapped; raise bess.cache.size: frames=" + frameCount);
    }

    private int lookup(final long key) {
        int i = hash(key);
        while (true) {
            final int e = tableOffset + i * ENTRY_LENGTH;
            final long k = control.getLong(e + ENTRY_KEY_OFFSET);
            if (k == key) {
                return control.getInt(e + ENTRY_FRAME_OFFSET);
            }
            if (k == 0) {
                return -1;
            }
            i = (i + 1) & tableMask;
        }
    }

    private void insert(final long key, final int frame) {
        int i = hash(key);
        while (true) {
            final int e = tableOffset + i * ENTRY_LENGTH;
            final long k = control.getLong(e + ENTRY_KEY_OFFSET);
            if (k == 0 || k == key) {
                control.putInt(e + ENTRY_FRAME_OFFSET, frame);
                control.putLong(e + ENTRY_KEY_OFFSET, key);
                return;
            }
            i = (i + 1) & tableMask;
        }
    }

    /** Removes a key with backward-shift deletion, so probes never need tombstones. */
    private void remove(final long key) {
        int i = hash(key);
        while (true) {
            final int e = tableOffset + i * ENTRY_LENGTH;
            final long k = control.getLong(e + ENTRY_KEY_OFFSET);
            if (k == 0) {
                return;
            }
            if (k == key) {
                break;
            }
            i = (i + 1) & tableMask;
        }
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & tableMask;
            final int e = tableOffset + j * ENTRY_LENGTH;
            final long k = control.getLong(e + ENTRY_KEY_OFFSET);
            if (k == 0) {
                break;
            }
            final int home = hash(k);
            // move k into the hole unless its home lies cyclically in (hole, j]
            final boolean homeBetween = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!homeBetween) {
                final int h = tableOffset + hole * ENTRY_LENGTH;
                control.putLong(h + ENTRY_KEY_OFFSET, k);
                control.putInt(h + ENTRY_FRAME_OFFSET, control.getInt(e + ENTRY_FRAME_OFFSET));
                hole = j;
            }
        }
        control.putLong(tableOffset + hole * ENTRY_LENGTH + ENTRY_KEY_OFFSET, 0);
    }

    private int hash(final long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        h ^= h >>> 29;
        return (int) h & tableMask;
    }

    /** Unmaps and deletes the cache files (the caller checkpointed first). */
    @Override
    public void close() {
        Native.munmap(cacheBase, cacheFile.length());
        Native.munmap(controlBase, controlLength);
        cacheFile.close();
        controlFile.close();
        try {
            Files.deleteIfExists(dir.resolve("cache"));
            Files.deleteIfExists(dir.resolve("control"));
            Files.deleteIfExists(dir);
        } catch (final IOException e) {
            // a leftover volatile file in /dev/shm is recreated at the next start
        }
    }
}
