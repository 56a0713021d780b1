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
import static org.bess.format.CacheControlDescriptor.FRAME_PAGE_LSN_OFFSET;
import static org.bess.format.CacheControlDescriptor.FRAME_PIN_COUNT_OFFSET;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CacheControlDescriptor;
import org.bess.format.ClientMapDescriptor;
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
    /** Most pages read or written in one system call by {@link #loadRun} and by write-back. */
    public static final int RUN_PAGES = 64;

    private final Path dir;
    private final int frameCount;
    private final MappedFile cacheFile;
    private final MappedFile controlFile;
    /** Which clients map each frame by themselves (docs/format/client-map.md); CASed by clients. */
    private final MappedFile mapsFile;

    private final long mapsBase;
    private final UnsafeBuffer maps;
    /** See {@link #clientExclusiveSkips()}. */
    private long clientExclusiveSkips;
    /** See {@link #clientReferencedChances()}. */
    private long clientReferencedChances;

    private final int mapSlots;
    private final int mapWords;
    private long clientMapGarbage;
    private volatile String lastClientMapGarbage = "";
    private final long cacheBase;
    private final long controlBase;
    private final long controlLength;
    private final UnsafeBuffer control;
    private final UnsafeBuffer scratch = new UnsafeBuffer(0, 0);
    /** Native staging for multi-page reads and writes: {@link #RUN_PAGES} pages. */
    private final UnsafeBuffer staging = new UnsafeBuffer(ByteBuffer.allocateDirect(RUN_PAGES << PAGE_SHIFT));

    private final long stagingAddress = staging.addressOffset();
    private final int[] runFrames = new int[RUN_PAGES];
    private final long[] runAddresses = new long[RUN_PAGES];
    private final int tableOffset;
    private final int tableMask;
    private PageSource[] sources = new PageSource[0];
    private Runnable pressureHandler = () -> {};
    private WriteBackGate gate = (window, pageNo, frame) -> {};
    private boolean verifying = true;
    private org.bess.server.io.StorageIo storageIo = org.bess.server.io.StorageIo.REAL;
    private int clockHand;
    /** Frames from here up were never handed out by {@link #victim()} (the cache fills in frame order first). */
    private int nextUnused;

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
        this.controlHand = frameCount - 1;
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve("cache"));
            Files.deleteIfExists(dir.resolve("control"));
            Files.deleteIfExists(dir.resolve(MAPS_FILE));
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
        this.mapSlots = ClientMapDescriptor.DEFAULT_SLOTS;
        this.mapWords = ClientMapDescriptor.wordsPerFrame(mapSlots);
        final long mapsLength = ClientMapDescriptor.fileLength(frameCount, mapSlots);
        this.mapsFile = MappedFile.create(dir.resolve(MAPS_FILE), mapsLength, 0600);
        this.mapsBase = Native.mmap(0, mapsLength, rw, Native.MAP_SHARED, mapsFile.fd(), 0);
        this.maps = new UnsafeBuffer(mapsBase, (int) mapsLength);
        ClientMapDescriptor.writeHeader(maps, frameCount, mapSlots);
    }

    /** The client-map file's name in the cache directory. */
    public static final String MAPS_FILE = "maps";

    /** The file naming the engine's node directory (written by the engine, deleted with the cache at close). */
    public static final String NODE_FILE = "node";

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

    /** Sets what runs before a dirty frame is written back (the write-ahead rule: force the log to its LSN). */
    public void writeBackGate(final WriteBackGate writeBackGate) {
        this.gate = writeBackGate;
    }

    /** The storage I/O seam areas are opened through. */
    public org.bess.server.io.StorageIo storageIo() {
        return storageIo;
    }

    /** Sets the storage I/O seam (tests: a simulated disk). */
    public void storageIo(final org.bess.server.io.StorageIo io) {
        this.storageIo = io;
    }

    /** Whether page sources verify checksums on load (off only while restart recovery repairs pages). */
    public boolean verifying() {
        return verifying;
    }

    /** Turns checksum verification on load on or off. */
    public void verifying(final boolean on) {
        this.verifying = on;
    }

    /** The in-memory page LSN of a frame: the last log record that changed it. */
    public long pageLsn(final int frame) {
        return control.getLong(CacheControlDescriptor.frameOffset(frame) + FRAME_PAGE_LSN_OFFSET);
    }

    /** Sets the in-memory page LSN of a frame. */
    public void pageLsn(final int frame, final long lsn) {
        control.putLong(CacheControlDescriptor.frameOffset(frame) + FRAME_PAGE_LSN_OFFSET, lsn);
    }

    /** The engine pins on a frame. */
    public int pinCount(final int frame) {
        return control.getInt(CacheControlDescriptor.frameOffset(frame) + FRAME_PIN_COUNT_OFFSET);
    }

    /** Whether a frame holds a control page. */
    public boolean isControl(final int frame) {
        return (control.getInt(CacheControlDescriptor.frameOffset(frame) + FRAME_FLAGS_OFFSET) & FLAG_CONTROL) != 0;
    }

    /** Registers the page source of a window. */
    public void register(final int window, final PageSource source) {
        if (window >= sources.length) {
            sources = Arrays.copyOf(sources, window + 1);
        }
        sources[window] = source;
    }

    /** Whether a window has a page source (an open area). */
    public boolean hasSource(final int window) {
        return window >= 0 && window < sources.length && sources[window] != null;
    }

    /** Forgets the page source of a window whose area closed (its frames were dropped first). */
    public void unregister(final int window) {
        if (window < sources.length) {
            sources[window] = null;
        }
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

    /** Frames that hold a page now (a scan of the frame descriptors: for statistics, not for hot paths). */
    public int framesInUse() {
        int used = 0;
        for (int frame = 0; frame < frameCount; frame++) {
            if (control.getLong(CacheControlDescriptor.frameOffset(frame) + FRAME_PAGE_KEY_OFFSET) != 0) {
                used++;
            }
        }
        return used;
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
        if (pinHook != null) {
            pinHook.beforePin(window, pageNo);
        }
        return pin(window, pageNo, controlPage, true, false);
    }

    /** Pins a page without the pin hook (no lock): the engine's own bookkeeping of a page it has locked already. */
    public int pinUnlocked(final int window, final long pageNo, final boolean controlPage) {
        return pin(window, pageNo, controlPage, true, false);
    }

    /** What runs before a page is pinned for reading: the engine takes the transaction's shared page lock. */
    @FunctionalInterface
    public interface PinHook {
        /** A page of a window is about to be pinned for reading. */
        void beforePin(int window, long pageNo);
    }

    private PinHook pinHook;
    private java.util.function.LongSupplier recLsnSource = () -> 0;

    /** Sets the pin hook. */
    public void pinHook(final PinHook hook) {
        this.pinHook = hook;
    }

    /**
     * Pins a page and sets its kind (control or data) whether or not it was cached with another one: for restoring a
     * page's earlier bytes (abort, restart recovery), which may belong to its earlier role.
     *
     * @return the frame, pinned.
     */
    public int pinAs(final int window, final long pageNo, final boolean controlPage) {
        return pin(window, pageNo, controlPage, true, true);
    }

    /**
     * Pins a page that was just allocated and whose old bytes do not matter: no read, the frame is zeroed.
     *
     * @return the frame, pinned.
     */
    public int pinNew(final int window, final long pageNo, final boolean controlPage) {
        return pin(window, pageNo, controlPage, false, true);
    }

    private int pin(
            final int window, final long pageNo, final boolean controlPage, final boolean read, final boolean setKind) {
        final long key = CacheControlDescriptor.pageKey(window, pageNo);
        final int cached = lookup(key);
        if (cached >= 0) {
            hits++;
            return pinHit(cached, controlPage, read, setKind);
        }
        misses++;
        final int frame = controlPage ? victimForControl() : victimNear(window, pageNo);
        // writing back the victim may have pinned pages, and so loaded this one: never hold a page in two frames
        final int loadedMeanwhile = lookup(key);
        if (loadedMeanwhile >= 0) {
            releaseUnused(frame);
            return pinHit(loadedMeanwhile, controlPage, read, setKind);
        }
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
            releaseUnused(frame);
            throw e;
        }
        final int loadedDuringLoad = lookup(key);
        if (loadedDuringLoad >= 0) {
            releaseUnused(frame);
            return pinHit(loadedDuringLoad, controlPage, read, setKind);
        }
        control.putInt(d + FRAME_FLAGS_OFFSET, FLAG_REFERENCED | (controlPage ? FLAG_CONTROL : 0));
        control.putInt(d + FRAME_ACCESS_COUNT_OFFSET, 0);
        control.putLong(d + FRAME_PAGE_LSN_OFFSET, 0);
        // published last (a release): a client that reads this key reads the page's bytes and flags behind it
        control.putLongVolatile(d + FRAME_PAGE_KEY_OFFSET, key);
        insert(key, frame);
        return frame;
    }

    private int pinHit(final int frame, final boolean controlPage, final boolean read, final boolean setKind) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        control.putInt(d + FRAME_PIN_COUNT_OFFSET, control.getInt(d + FRAME_PIN_COUNT_OFFSET) + 1);
        final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
        control.putInt(d + FRAME_FLAGS_OFFSET, flags | FLAG_REFERENCED);
        if (setKind) {
            // a page's kind follows its role: a freed data page may come back as a control page, and the reverse; a
            // plain pin never changes it (a bad reference to a cached data page must not turn it into a control page)
            control.putInt(
                    d + FRAME_FLAGS_OFFSET,
                    (control.getInt(d + FRAME_FLAGS_OFFSET) & ~FLAG_CONTROL) | (controlPage ? FLAG_CONTROL : 0));
        }
        if (!read) {
            scratch.wrap(frameAddress(frame), PAGE_LENGTH);
            scratch.setMemory(0, PAGE_LENGTH, (byte) 0);
        }
        return frame;
    }

    /**
     * Brings the missing pages of a run of data pages into the cache without pinning them, reading each stretch of
     * missing pages from disk in one read (sequential scans and prefetch). Pages already cached are left alone.
     *
     * @param window the pages' window.
     * @param firstPage the first page of the run.
     * @param count pages in the run.
     */
    public void loadRun(final int window, final long firstPage, final int count) {
        int i = 0;
        while (i < count) {
            while (i < count && lookup(CacheControlDescriptor.pageKey(window, firstPage + i)) >= 0) {
                i++;
            }
            final int start = i;
            while (i < count
                    && i - start < RUN_PAGES
                    && lookup(CacheControlDescriptor.pageKey(window, firstPage + i)) < 0) {
                i++;
            }
            if (i - start > 1) {
                loadMissing(window, firstPage + start, i - start);
            } else if (i > start) {
                unpin(pin(window, firstPage + start, false));
            }
        }
    }

    /**
     * Reads the stretch of data pages from {@code firstPage} that are not cached straight from disk into native memory,
     * verified, without caching them (a sequential scan that would otherwise replace the whole cache). The stretch ends
     * at the first cached page, after {@code count} pages or after {@link #RUN_PAGES}; a page not cached was written
     * back before it left the cache, so the disk holds its latest bytes.
     *
     * @param address where page {@code i} of the stretch goes, {@code i * 4096} bytes on.
     * @return pages read (0 when the first page is cached).
     */
    public int readUncached(final int window, final long firstPage, final int count, final long address) {
        int n = 0;
        while (n < count && n < RUN_PAGES && lookup(CacheControlDescriptor.pageKey(window, firstPage + n)) < 0) {
            n++;
        }
        if (n > 0) {
            sources[window].loadRun(firstPage, n, address);
            misses += n;
        }
        return n;
    }

    private void loadMissing(final int window, final long firstPage, final int count) {
        // one read for the stretch; then frames are taken one by one (taking one may write back a victim, which
        // never touches the staging buffer)
        sources[window].loadRun(firstPage, count, stagingAddress);
        for (int i = 0; i < count; i++) {
            final long key = CacheControlDescriptor.pageKey(window, firstPage + i);
            final int frame = victimNear(window, firstPage + i);
            if (lookup(key) >= 0) {
                releaseUnused(frame);
                continue;
            }
            scratch.wrap(frameAddress(frame), PAGE_LENGTH);
            scratch.putBytes(0, staging, i << PAGE_SHIFT, PAGE_LENGTH);
            final int d = CacheControlDescriptor.frameOffset(frame);
            control.putInt(d + FRAME_FLAGS_OFFSET, FLAG_REFERENCED);
            control.putInt(d + FRAME_ACCESS_COUNT_OFFSET, 0);
            control.putLong(d + FRAME_PAGE_LSN_OFFSET, 0);
            control.putInt(d + FRAME_PIN_COUNT_OFFSET, 0);
            control.putLongVolatile(d + FRAME_PAGE_KEY_OFFSET, key);
            insert(key, frame);
            misses++;
        }
    }

    /** Gives back a frame that {@link #victim()} returned but that is not needed after all. */
    private void releaseUnused(final int frame) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        control.putLong(d + FRAME_PAGE_KEY_OFFSET, 0);
        control.putInt(d + FRAME_FLAGS_OFFSET, 0);
        control.putInt(d + FRAME_PIN_COUNT_OFFSET, 0);
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

    /**
     * Whether the next miss takes a free frame and changes no other frame: the frame at the clock hand is free (no
     * replacement, no write-back). Restart's redo applies records on a second thread and need not wait for it before
     * such a pin.
     */
    public boolean freeFrameAtHand() {
        while (nextUnused < frameCount) {
            if (isFree(nextUnused)) {
                return true;
            }
            nextUnused++; // taken out of order (victimNear, victimForControl): the fill would skip it too
        }
        final int d = CacheControlDescriptor.frameOffset(clockHand);
        return control.getLong(d + FRAME_PAGE_KEY_OFFSET) == 0
                && control.getInt(d + FRAME_PIN_COUNT_OFFSET) == 0
                && !clientMapped(clockHand);
    }

    /** Marks a pinned frame dirty: it is written back before it is replaced and at the next checkpoint. */
    public void markDirty(final int frame) {
        markDirty(frame, recLsnSource.getAsLong());
    }

    /**
     * Marks a frame dirty; when it was clean, {@code recLsn} becomes its recovery LSN: no log record that changed the
     * page since it was last clean lies before it (the checkpoint's dirty page table, where redo must start).
     */
    public void markDirty(final int frame, final long recLsn) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
        if ((flags & FLAG_DIRTY) == 0) {
            control.putLong(d + CacheControlDescriptor.FRAME_REC_LSN_OFFSET, recLsn);
        }
        control.putInt(d + FRAME_FLAGS_OFFSET, flags | FLAG_DIRTY);
    }

    /**
     * Sets a dirty frame's recovery LSN, whatever it was (restart's redo: a full page image rebuilds the page whole, so
     * a redo from the image on suffices for it).
     */
    public void resetRecLsn(final int frame, final long recLsn) {
        control.putLong(
                CacheControlDescriptor.frameOffset(frame) + CacheControlDescriptor.FRAME_REC_LSN_OFFSET, recLsn);
    }

    /** Where recovery LSNs come from when the caller gives none: the log's end now. */
    public void recLsnSource(final java.util.function.LongSupplier source) {
        this.recLsnSource = source;
    }

    /** The recovery LSN of a dirty frame. */
    public long recLsn(final int frame) {
        return control.getLong(CacheControlDescriptor.frameOffset(frame) + CacheControlDescriptor.FRAME_REC_LSN_OFFSET);
    }

    /** The page key ({@code window + 1 << 40 | page}) of a frame, 0 when it holds none. */
    public long pageKeyOf(final int frame) {
        return control.getLong(CacheControlDescriptor.frameOffset(frame) + FRAME_PAGE_KEY_OFFSET);
    }

    /**
     * The write-back of a fuzzy checkpoint: every dirty page whose recovery LSN is below {@code olderThan} (dirty since
     * before the previous checkpoint), then every dirty page that is not logged (page-info pages, catalog pages: the
     * log cannot redo them), data pages first; then every source is forced. Pages changed since the previous
     * checkpoint stay dirty: the checkpoint lists them with their recovery LSNs.
     *
     * @return frames written.
     */
    public int checkpointFuzzy(final long olderThan) {
        final int written = writeBackFuzzy(olderThan);
        force(sources());
        return written;
    }

    /**
     * The writes of {@link #checkpointFuzzy} without the force: the caller forces {@link #sources()} afterwards (the
     * engine does so with its latch let go, then once more under it).
     *
     * @return frames written.
     */
    public int writeBackFuzzy(final long olderThan) {
        int written = 0;
        for (int pass = 0; pass < 2; pass++) {
            final boolean controlPass = pass == 1;
            if (controlPass) {
                for (final PageSource source : sources) {
                    if (source != null) {
                        source.flushPending();
                    }
                }
            }
            for (int frame = 0; frame < frameCount; frame++) {
                final int d = CacheControlDescriptor.frameOffset(frame);
                final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
                if ((flags & FLAG_DIRTY) == 0 || ((flags & FLAG_CONTROL) != 0) != controlPass) {
                    continue;
                }
                if ((recLsn(frame) < olderThan || (controlPass && !isLoggedKind(frame)))
                        && mayWriteBack(frame)
                        && writeBack(frame)) {
                    written++;
                }
            }
        }
        return written;
    }

    /** The page sources registered now (a copy: {@link #force} may run on it without the engine latch). */
    public PageSource[] sources() {
        return sources.clone();
    }

    /**
     * Forces every source of {@code sources} (nulls skipped). Needs no latch: a source's force is safe beside the
     * engine's reads and writes of it and after its close (the store then has nothing left to force).
     */
    public static void force(final PageSource[] sources) {
        for (final PageSource source : sources) {
            if (source != null) {
                source.force();
            }
        }
    }

    private boolean mayWriteBack(final int frame) {
        final long key = pageKeyOf(frame);
        return gate == null || gate.mayWriteBack((int) (key >>> 40) - 1, key & ((1L << 40) - 1), frame);
    }

    /**
     * The dirty frames of logged pages with their recovery LSNs, for a checkpoint's dirty page table.
     *
     * @param into receives {page key, recovery LSN} pairs.
     */
    public void dirtyPageTable(final java.util.List<long[]> into) {
        for (int frame = 0; frame < frameCount; frame++) {
            final int flags = control.getInt(CacheControlDescriptor.frameOffset(frame) + FRAME_FLAGS_OFFSET);
            if ((flags & FLAG_DIRTY) != 0 && ((flags & FLAG_CONTROL) == 0 || isLoggedKind(frame))) {
                into.add(new long[] {pageKeyOf(frame), recLsn(frame)});
            }
        }
    }

    private boolean isLoggedKind(final int frame) {
        final short type = frameView(frame).getShort(org.bess.format.PageHeaderDescriptor.PAGE_TYPE_OFFSET);
        return type != org.bess.format.PageHeaderDescriptor.TYPE_PAGE_INFO
                && type != org.bess.format.PageHeaderDescriptor.TYPE_CATALOG
                && type != org.bess.format.PageHeaderDescriptor.TYPE_AREA_HEADER;
    }

    private final UnsafeBuffer typeView = new UnsafeBuffer(0, 0);

    private UnsafeBuffer frameView(final int frame) {
        typeView.wrap(frameAddress(frame), PAGE_LENGTH);
        return typeView;
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

    /**
     * How many processes map a frame now: mappings acquired through the engine and not yet released, plus clients
     * that mapped it by themselves (their bits in the client-map file).
     */
    public int accessCount(final int frame) {
        return control.getInt(CacheControlDescriptor.frameOffset(frame) + FRAME_ACCESS_COUNT_OFFSET)
                + clientMapCount(frame);
    }

    /** Clients that map a frame by themselves now (their bits in the client-map file). */
    public int clientMapCount(final int frame) {
        int count = 0;
        final long base = ClientMapDescriptor.stateOffset(mapSlots, frame) + Long.BYTES;
        for (int w = 0; w < mapWords - 1; w++) {
            count += Long.bitCount(maps.getLongVolatile((int) base + w * Long.BYTES));
        }
        return count;
    }

    /** Whether any client maps a frame by itself now. */
    private boolean clientMapped(final int frame) {
        final long base = ClientMapDescriptor.stateOffset(mapSlots, frame) + Long.BYTES;
        for (int w = 0; w < mapWords - 1; w++) {
            if (maps.getLongVolatile((int) base + w * Long.BYTES) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether a frame is mapped by any process (engine-counted or a client's own hit). */
    private boolean mapped(final int frame) {
        return control.getInt(CacheControlDescriptor.frameOffset(frame) + FRAME_ACCESS_COUNT_OFFSET) > 0
                || clientMapped(frame);
    }

    /**
     * The evicting handshake with clients that map frames by themselves: sets the frame's evicting flag, then reads
     * the client bits. A client sets its bit, then reads the flag (both sequentially consistent), so either this sees
     * the client's bit (and backs out) or the client sees the flag (and backs out). On success the flag stays set until
     * {@link #endEviction} (after the frame's page key changed).
     *
     * @return whether no client maps the frame and it may be replaced.
     */
    private boolean beginEviction(final int frame) {
        final int state = (int) ClientMapDescriptor.stateOffset(mapSlots, frame);
        changeState(state, ClientMapDescriptor.EVICTING, 0);
        if (clientMapped(frame)) {
            changeState(state, 0, ClientMapDescriptor.EVICTING);
            return false;
        }
        return true;
    }

    private void endEviction(final int frame) {
        // the frame holds another page now: a referenced bit set meanwhile was for the old one
        maps.putLongVolatile((int) ClientMapDescriptor.stateOffset(mapSlots, frame), 0);
    }

    /** The client-map file's path (shared-memory clients map it read-write). */
    public Path mapsFile() {
        return dir.resolve(MAPS_FILE);
    }

    /** Client slots of the client-map file. */
    public int clientMapSlots() {
        return mapSlots;
    }

    /**
     * A shared-memory client is gone: clears its bit in every frame, so that nothing it mapped stays unreplaceable, and
     * checks every frame's state word on the way (a word that is neither 0 nor evicting is garbage: reported through
     * {@link #clientMapGarbage()} and cleared). Thread safe (CAS on the client-map file only); call it after the
     * client's lock-log slot was revoked and before the slot is given to another client.
     *
     * @param slot the client's slot (its lock-log slot).
     * @return frames whose bit was set.
     */
    public synchronized int releaseClientSlot(final int slot) {
        if (slot < 0 || slot >= mapSlots) {
            return 0;
        }
        final long bit = ClientMapDescriptor.slotBit(slot);
        int released = 0;
        for (int frame = 0; frame < frameCount; frame++) {
            final int offset = (int) ClientMapDescriptor.slotWordOffset(mapSlots, frame, slot);
            long word = maps.getLongVolatile(offset);
            while ((word & bit) != 0) {
                if (maps.compareAndSetLong(offset, word, word & ~bit)) {
                    released++;
                    break;
                }
                word = maps.getLongVolatile(offset);
            }
            final int state = (int) ClientMapDescriptor.stateOffset(mapSlots, frame);
            final long s = maps.getLongVolatile(state);
            if (!ClientMapDescriptor.isValidState(s)) {
                clientMapGarbage++;
                lastClientMapGarbage =
                        "client-map state word is garbage: frame=" + frame + ", word=0x" + Long.toHexString(s)
                                + " (only bits 0 evicting, 1 writing and 2 referenced are defined); cleared";
                maps.compareAndSetLong(
                        state,
                        s,
                        s
                                & (ClientMapDescriptor.EVICTING
                                        | ClientMapDescriptor.WRITING
                                        | ClientMapDescriptor.REFERENCED));
            }
        }
        return released;
    }

    /** Garbage state words found in the client-map file so far. */
    public long clientMapGarbage() {
        return clientMapGarbage;
    }

    /** The last garbage found in the client-map file, or "". */
    public String lastClientMapGarbage() {
        return lastClientMapGarbage;
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
            if (controlPass) {
                for (final PageSource source : sources) {
                    if (source != null) {
                        source.flushPending();
                    }
                }
            }
            for (int frame = 0; frame < frameCount; frame++) {
                final int d = CacheControlDescriptor.frameOffset(frame);
                final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
                if ((flags & FLAG_DIRTY) != 0 && ((flags & FLAG_CONTROL) != 0) == controlPass && mayWriteBack(frame)) {
                    written += writeBackRun(frame);
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
        if (!discard) {
            // data before control, as in checkpoint; entries the data left pending may load page-info pages
            for (final int frame : windowFrames(window, fromPage)) {
                if (isDirty(frame) && !isControl(frame)) {
                    writeBack(frame);
                }
            }
            if (window < sources.length && sources[window] != null) {
                sources[window].flushPending();
            }
            for (final int frame : windowFrames(window, fromPage)) {
                if (isDirty(frame)) {
                    writeBack(frame);
                }
            }
        }
        final List<Integer> frames = windowFrames(window, fromPage);
        for (final int frame : frames) {
            final int d = CacheControlDescriptor.frameOffset(frame);
            remove(control.getLong(d + FRAME_PAGE_KEY_OFFSET));
            control.putLong(d + FRAME_PAGE_KEY_OFFSET, 0);
            control.putInt(d + FRAME_FLAGS_OFFSET, 0);
            control.putInt(d + FRAME_ACCESS_COUNT_OFFSET, 0);
            control.putInt(d + FRAME_PIN_COUNT_OFFSET, 0);
        }
    }

    private List<Integer> windowFrames(final int window, final long fromPage) {
        final List<Integer> frames = new ArrayList<>();
        for (int frame = 0; frame < frameCount; frame++) {
            final long key = control.getLong(CacheControlDescriptor.frameOffset(frame) + FRAME_PAGE_KEY_OFFSET);
            if (key != 0 && (int) (key >>> 40) - 1 == window && (key & ((1L << 40) - 1)) >= fromPage) {
                frames.add(frame);
            }
        }
        return frames;
    }

    /**
     * Writes a dirty frame back, unless a client transaction holds X on its page by the lock fast path (its changes are
     * not logged): the write-back handshake with such clients ({@link #beginWriteBack}).
     *
     * @return whether the frame was written.
     */
    private boolean writeBack(final int frame) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        final long key = control.getLong(d + FRAME_PAGE_KEY_OFFSET);
        final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
        if (!beginWriteBack(frame, key)) {
            return false;
        }
        try {
            control.putInt(d + FRAME_PIN_COUNT_OFFSET, control.getInt(d + FRAME_PIN_COUNT_OFFSET) + 1);
            try {
                // the write-ahead rule: what changed the page is in the log, and the log is durable that far
                gate.beforeWriteBack((int) (key >>> 40) - 1, key & ((1L << 40) - 1), frame);
            } catch (final RuntimeException e) {
                control.putInt(d + FRAME_PIN_COUNT_OFFSET, control.getInt(d + FRAME_PIN_COUNT_OFFSET) - 1);
                throw e;
            }
            // clear first: storing a data page dirties its page-info page, never this frame again
            control.putInt(d + FRAME_FLAGS_OFFSET, control.getInt(d + FRAME_FLAGS_OFFSET) & ~FLAG_DIRTY);
            try {
                sources[(int) (key >>> 40) - 1].store(
                        key & ((1L << 40) - 1), frameAddress(frame), (flags & FLAG_CONTROL) != 0);
            } catch (final RuntimeException e) {
                control.putInt(d + FRAME_FLAGS_OFFSET, control.getInt(d + FRAME_FLAGS_OFFSET) | FLAG_DIRTY);
                throw e;
            } finally {
                control.putInt(d + FRAME_PIN_COUNT_OFFSET, control.getInt(d + FRAME_PIN_COUNT_OFFSET) - 1);
            }
            return true;
        } finally {
            endWriteBack(frame);
        }
    }

    /**
     * The write-back handshake with clients that take X by the lock fast path (docs/format/client-map.md): stores the
     * frame's writing flag, then asks the gate whether a client transaction holds X on the page. A client takes X (a
     * CAS), then reads the flag and waits while it is set before it makes the frame writable; both sides are
     * sequentially consistent, so either this sees the X (and skips the frame) or the client sees the flag (and
     * writes nothing until the write-back is done).
     *
     * @return whether the frame may be written; when false the flag is clear again.
     */
    private boolean beginWriteBack(final int frame, final long key) {
        final int state = (int) ClientMapDescriptor.stateOffset(mapSlots, frame);
        changeState(state, ClientMapDescriptor.WRITING, 0);
        if (gate.clientExclusive((int) (key >>> 40) - 1, key & ((1L << 40) - 1))) {
            changeState(state, 0, ClientMapDescriptor.WRITING);
            clientExclusiveSkips++;
            return false;
        }
        return true;
    }

    private void endWriteBack(final int frame) {
        changeState((int) ClientMapDescriptor.stateOffset(mapSlots, frame), 0, ClientMapDescriptor.WRITING);
    }

    /** Sets and clears bits of a frame's state word by CAS: clients set their referenced bit in it concurrently. */
    private void changeState(final int offset, final long set, final long clear) {
        long s = maps.getLongVolatile(offset);
        while (!maps.compareAndSetLong(offset, s, (s | set) & ~clear)) {
            s = maps.getLongVolatile(offset);
        }
    }

    /** Write-backs and replacements skipped because a client held X on the page by the lock fast path. */
    public long clientExclusiveSkips() {
        return clientExclusiveSkips;
    }

    /** Second chances the clock gave frames for a client's referenced bit (cache hits) in the client-map file. */
    public long clientReferencedChances() {
        return clientReferencedChances;
    }

    /**
     * Writes back a dirty frame; a data page goes with the dirty data pages that follow it in its area (cached, neither
     * pinned nor mapped), up to {@link #RUN_PAGES}, in one write.
     *
     * @return pages written.
     */
    private int writeBackRun(final int frame) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        final long key = control.getLong(d + FRAME_PAGE_KEY_OFFSET);
        if ((control.getInt(d + FRAME_FLAGS_OFFSET) & FLAG_CONTROL) != 0) {
            return writeBack(frame) ? 1 : 0;
        }
        final int window = (int) (key >>> 40) - 1;
        final long firstPage = key & ((1L << 40) - 1);
        if (!beginWriteBack(frame, key)) {
            return 0;
        }
        runFrames[0] = frame;
        int n = 1;
        try {
            while (n < RUN_PAGES) {
                final int f = lookup(CacheControlDescriptor.pageKey(window, firstPage + n));
                if (f < 0) {
                    break;
                }
                final int fd = CacheControlDescriptor.frameOffset(f);
                final int flags = control.getInt(fd + FRAME_FLAGS_OFFSET);
                if ((flags & FLAG_DIRTY) == 0
                        || (flags & FLAG_CONTROL) != 0
                        || control.getInt(fd + FRAME_PIN_COUNT_OFFSET) > 0
                        || mapped(f)
                        || !mayWriteBack(f)
                        || !beginWriteBack(f, CacheControlDescriptor.pageKey(window, firstPage + n))) {
                    break;
                }
                runFrames[n++] = f;
            }
            storeRun(window, firstPage, n);
            return n;
        } finally {
            for (int i = 0; i < n; i++) {
                endWriteBack(runFrames[i]);
            }
        }
    }

    /** Writes frames {@code runFrames[0, n)}, pages {@code firstPage...} of a window, in one write (the WAL first). */
    private void storeRun(final int window, final long firstPage, final int n) {
        // pinned so that nothing replaces them while they are written
        for (int i = 0; i < n; i++) {
            final int fd = CacheControlDescriptor.frameOffset(runFrames[i]);
            control.putInt(fd + FRAME_PIN_COUNT_OFFSET, control.getInt(fd + FRAME_PIN_COUNT_OFFSET) + 1);
            runAddresses[i] = frameAddress(runFrames[i]);
        }
        try {
            // the write-ahead rule, page by page, as writeBack does: each page's changes are in the durable log
            for (int i = 0; i < n; i++) {
                gate.beforeWriteBack(window, firstPage + i, runFrames[i]);
            }
        } catch (final RuntimeException e) {
            for (int i = 0; i < n; i++) {
                final int fd = CacheControlDescriptor.frameOffset(runFrames[i]);
                control.putInt(fd + FRAME_PIN_COUNT_OFFSET, control.getInt(fd + FRAME_PIN_COUNT_OFFSET) - 1);
            }
            throw e;
        }
        // clear first, as writeBack does
        for (int i = 0; i < n; i++) {
            final int fd = CacheControlDescriptor.frameOffset(runFrames[i]);
            control.putInt(fd + FRAME_FLAGS_OFFSET, control.getInt(fd + FRAME_FLAGS_OFFSET) & ~FLAG_DIRTY);
        }
        try {
            if (n == 1) {
                sources[window].store(firstPage, runAddresses[0], false);
            } else {
                sources[window].storeRun(firstPage, n, runAddresses);
            }
        } catch (final RuntimeException e) {
            for (int i = 0; i < n; i++) {
                final int fd = CacheControlDescriptor.frameOffset(runFrames[i]);
                control.putInt(fd + FRAME_FLAGS_OFFSET, control.getInt(fd + FRAME_FLAGS_OFFSET) | FLAG_DIRTY);
            }
            throw e;
        } finally {
            for (int i = 0; i < n; i++) {
                final int fd = CacheControlDescriptor.frameOffset(runFrames[i]);
                control.putInt(fd + FRAME_PIN_COUNT_OFFSET, control.getInt(fd + FRAME_PIN_COUNT_OFFSET) - 1);
            }
        }
    }

    /**
     * Picks a frame for page {@code pageNo} of a window: the frame after the one holding the page before it when that
     * frame is free, else {@link #victim()}. Pages written or read in order then sit in consecutive frames, and a
     * process maps a run of them as one kernel mapping (adjacent virtual frames of consecutive cache offsets merge),
     * where each frame apart costs two of the few tens of thousands a process may have.
     */
    private int victimNear(final int window, final long pageNo) {
        if (pageNo > 0) {
            final int before = lookup(CacheControlDescriptor.pageKey(window, pageNo - 1));
            if (before >= 0 && before + 1 < frameCount) {
                final int frame = before + 1;
                final int d = CacheControlDescriptor.frameOffset(frame);
                if (control.getLong(d + FRAME_PAGE_KEY_OFFSET) == 0
                        && control.getInt(d + FRAME_PIN_COUNT_OFFSET) == 0
                        && !clientMapped(frame)) {
                    control.putInt(d + FRAME_PIN_COUNT_OFFSET, 1);
                    return frame;
                }
            }
        }
        return victim();
    }

    /** Whether a frame holds no page, is not being filled, and no client maps it. */
    private boolean isFree(final int frame) {
        final int d = CacheControlDescriptor.frameOffset(frame);
        return control.getLong(d + FRAME_PAGE_KEY_OFFSET) == 0
                && control.getInt(d + FRAME_PIN_COUNT_OFFSET) == 0
                && !clientMapped(frame);
    }

    /** Free frames a control page's miss looks for from the top of the cache before it takes {@link #victim()}. */
    private static final int CONTROL_PROBES = 16;

    private int controlHand;

    /**
     * Picks a frame for a control page: a free frame from the top of the cache down when one is near the control
     * hand, else {@link #victim()}. Control pages (slotted segments, extent maps) are made between the data pages of
     * objects written in order; taken from the clock hand, each would sit in the frame the next data page's
     * {@link #victimNear} wants, and split the data pages' run of frames.
     */
    private int victimForControl() {
        for (int probe = 0; probe < CONTROL_PROBES; probe++) {
            final int frame = controlHand;
            controlHand = controlHand == 0 ? frameCount - 1 : controlHand - 1;
            final int d = CacheControlDescriptor.frameOffset(frame);
            if (control.getLong(d + FRAME_PAGE_KEY_OFFSET) == 0
                    && control.getInt(d + FRAME_PIN_COUNT_OFFSET) == 0
                    && !clientMapped(frame)) {
                control.putInt(d + FRAME_PIN_COUNT_OFFSET, 1);
                return frame;
            }
        }
        return victim();
    }

    /** Picks a frame to reuse, writes it back if dirty, unhooks it, and returns it pinned once. */
    private int victim() {
        // while the cache fills, the lowest frame never handed out: the clock must not evict while free frames remain
        // (victimNear and victimForControl take free frames out of order, so the one at the hand may be taken)
        while (nextUnused < frameCount) {
            final int frame = nextUnused++;
            if (isFree(frame)) {
                control.putInt(CacheControlDescriptor.frameOffset(frame) + FRAME_PIN_COUNT_OFFSET, 1);
                return frame;
            }
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            for (int step = 0; step < 2 * frameCount; step++) {
                final int frame = clockHand;
                clockHand = clockHand + 1 == frameCount ? 0 : clockHand + 1;
                final int d = CacheControlDescriptor.frameOffset(frame);
                final long key = control.getLong(d + FRAME_PAGE_KEY_OFFSET);
                if (key == 0) {
                    // a free frame, unless a miss further up this call chain took it and is still filling it (or a
                    // client still maps it: a dropped window's frame)
                    if (control.getInt(d + FRAME_PIN_COUNT_OFFSET) == 0 && !clientMapped(frame)) {
                        control.putInt(d + FRAME_PIN_COUNT_OFFSET, 1);
                        return frame;
                    }
                    continue;
                }
                if (control.getInt(d + FRAME_PIN_COUNT_OFFSET) > 0 || mapped(frame)) {
                    continue;
                }
                final int flags = control.getInt(d + FRAME_FLAGS_OFFSET);
                if ((flags & FLAG_REFERENCED) != 0) {
                    control.putInt(d + FRAME_FLAGS_OFFSET, flags & ~FLAG_REFERENCED);
                    continue;
                }
                final int state = (int) ClientMapDescriptor.stateOffset(mapSlots, frame);
                if ((maps.getLongVolatile(state) & ClientMapDescriptor.REFERENCED) != 0) {
                    // a client mapped it by a hit since the last turn: the same second chance
                    changeState(state, 0, ClientMapDescriptor.REFERENCED);
                    clientReferencedChances++;
                    continue;
                }
                if ((flags & FLAG_DIRTY) != 0) {
                    writeBackRun(frame);
                    if (control.getInt(d + FRAME_PIN_COUNT_OFFSET) > 0
                            || (control.getInt(d + FRAME_FLAGS_OFFSET) & FLAG_DIRTY) != 0) {
                        continue;
                    }
                }
                if (gate.clientExclusive((int) (key >>> 40) - 1, key & ((1L << 40) - 1))) {
                    clientExclusiveSkips++;
                    continue; // a client changed it in place, unlogged (its X by the lock fast path): never dropped
                }
                if (!beginEviction(frame)) {
                    continue; // a client mapped it by itself meanwhile
                }
                evictions++;
                remove(key);
                control.putLongVolatile(d + FRAME_PAGE_KEY_OFFSET, 0);
                control.putInt(d + FRAME_FLAGS_OFFSET, 0);
                control.putInt(d + FRAME_PIN_COUNT_OFFSET, 1);
                // a client that sets its bit from here on finds the page key changed and backs out
                endEviction(frame);
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
        return CacheControlDescriptor.home(key, tableMask);
    }

    /** Unmaps and deletes the cache files (the caller checkpointed first). */
    @Override
    public void close() {
        Native.munmap(cacheBase, cacheFile.length());
        Native.munmap(controlBase, controlLength);
        Native.munmap(mapsBase, mapsFile.length());
        cacheFile.close();
        controlFile.close();
        mapsFile.close();
        try {
            Files.deleteIfExists(dir.resolve("cache"));
            Files.deleteIfExists(dir.resolve("control"));
            Files.deleteIfExists(dir.resolve(MAPS_FILE));
            Files.deleteIfExists(dir.resolve(NODE_FILE));
            Files.deleteIfExists(dir);
        } catch (final IOException e) {
            // a leftover volatile file in /dev/shm is recreated at the next start
        }
    }
}
