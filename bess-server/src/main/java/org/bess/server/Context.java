package org.bess.server;

import java.nio.file.Path;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LargeObjectNodeDescriptor;

/**
 * Configuration of a server, with defaults from system properties ({@code bess.<component>.<name>}). Fluent setters;
 * read once when the server starts.
 */
public final class Context {
    /** Property: cache size in bytes (suffixes k, m, g accepted). */
    public static final String CACHE_SIZE_PROP_NAME = "bess.cache.size";
    /** Default cache size: 256 MiB. */
    public static final long CACHE_SIZE_DEFAULT = 256L << 20;
    /** Property: the directory of the cache and control files. */
    public static final String CACHE_DIR_PROP_NAME = "bess.cache.dir";
    /** Property: the size of each area's window of virtual frames, i.e. the largest area. */
    public static final String WINDOW_SIZE_PROP_NAME = "bess.frames.window.size";
    /** Default window: 16 GiB. */
    public static final long WINDOW_SIZE_DEFAULT = 16L << 30;
    /** Property: the most areas open at once in one process. */
    public static final String MAX_WINDOWS_PROP_NAME = "bess.frames.windows";
    /** Default: 256 windows. */
    public static final int MAX_WINDOWS_DEFAULT = 256;
    /** Property: the most frames mapped at once by the level-one clock. */
    public static final String FRAME_BUDGET_PROP_NAME = "bess.frames.budget";

    /** Property: log2 of the pages of the largest large-object leaf (0 to 6; also at most half an extent). */
    public static final String LARGE_LEAF_ORDER_PROP_NAME = "bess.large.leaf.order";
    /** Property: entries a large-object node fills before it splits (4 to 248); small values make deep trees. */
    public static final String LARGE_NODE_FANOUT_PROP_NAME = "bess.large.node.fanout";
    /** Property: bytes per log segment. */
    public static final String LOG_SEGMENT_SIZE_PROP_NAME = "bess.log.segment.size";
    /** Default log segment: 64 MiB. */
    public static final long LOG_SEGMENT_SIZE_DEFAULT = 64L << 20;
    /** Property: pages the recovery buffer holds before a transaction's diffs are logged early. */
    public static final String RECOVERY_BUFFER_PAGES_PROP_NAME = "bess.txn.recovery.buffer.pages";
    /** Property: log bytes written after which a commit also takes a checkpoint. */
    public static final String CHECKPOINT_LOG_BYTES_PROP_NAME = "bess.checkpoint.log.bytes";

    private Path nodeDir;
    private org.bess.server.io.StorageIo storageIo = org.bess.server.io.StorageIo.REAL;
    private long logSegmentBytes = sizeProperty(LOG_SEGMENT_SIZE_PROP_NAME, LOG_SEGMENT_SIZE_DEFAULT);
    private int recoveryBufferPages = Integer.getInteger(RECOVERY_BUFFER_PAGES_PROP_NAME, 1024);
    private long checkpointLogBytes = sizeProperty(CHECKPOINT_LOG_BYTES_PROP_NAME, 256L << 20);
    private Path cacheDir;
    private long cacheSizeBytes = sizeProperty(CACHE_SIZE_PROP_NAME, CACHE_SIZE_DEFAULT);
    private long windowSizeBytes = sizeProperty(WINDOW_SIZE_PROP_NAME, WINDOW_SIZE_DEFAULT);
    private int maxWindows = Integer.getInteger(MAX_WINDOWS_PROP_NAME, MAX_WINDOWS_DEFAULT);
    private int frameBudget = Integer.getInteger(FRAME_BUDGET_PROP_NAME, 0);
    private int largeLeafOrder =
            Integer.getInteger(LARGE_LEAF_ORDER_PROP_NAME, LargeObjectNodeDescriptor.MAX_LEAF_ORDER);
    private int largeNodeFanout =
            Integer.getInteger(LARGE_NODE_FANOUT_PROP_NAME, LargeObjectNodeDescriptor.ENTRY_CAPACITY);

    /** The node directory. */
    public Path nodeDir() {
        return nodeDir;
    }

    /** Sets the node directory. */
    public Context nodeDir(final Path dir) {
        this.nodeDir = dir;
        return this;
    }

    /** The cache directory: the property, else {@code /dev/shm/bess-<node>} when /dev/shm exists, else the node dir. */
    public Path cacheDir() {
        if (cacheDir != null) {
            return cacheDir;
        }
        final String prop = System.getProperty(CACHE_DIR_PROP_NAME);
        if (prop != null) {
            return Path.of(prop);
        }
        final String node =
                Integer.toHexString(nodeDir.toAbsolutePath().normalize().hashCode()) + "-"
                        + ProcessHandle.current().pid();
        final Path shm = Path.of("/dev/shm");
        return java.nio.file.Files.isDirectory(shm) ? shm.resolve("bess-" + node) : nodeDir.resolve("cache-" + node);
    }

    /** Sets the cache directory. */
    public Context cacheDir(final Path dir) {
        this.cacheDir = dir;
        return this;
    }

    /** Cache size in bytes. */
    public long cacheSizeBytes() {
        return cacheSizeBytes;
    }

    /** Sets the cache size. */
    public Context cacheSizeBytes(final long bytes) {
        this.cacheSizeBytes = bytes;
        return this;
    }

    /** Window size in bytes. */
    public long windowSizeBytes() {
        return windowSizeBytes;
    }

    /** Sets the window size. */
    public Context windowSizeBytes(final long bytes) {
        this.windowSizeBytes = bytes;
        return this;
    }

    /** Windows in the address range. */
    public int maxWindows() {
        return maxWindows;
    }

    /** Sets the number of windows. */
    public Context maxWindows(final int count) {
        this.maxWindows = count;
        return this;
    }

    /**
     * Level-one clock budget: the property, else half the cache frames, at least 64 and at most 1M. The budget counts
     * frames; the kernel mappings (VMAs) they cost are limited apart, by {@link #mappableFrames()}: frames of
     * consecutive pages in consecutive cache frames share one mapping, so many more frames than that can stay mapped
     * when they lie in runs (see {@link org.bess.client.frame.VirtualFrames#MAPPING_LIMIT}).
     */
    public int frameBudget() {
        return frameBudget > 0 ? frameBudget : Math.max(64, Math.min(1 << 20, cacheFrames() / 2));
    }

    /**
     * Kernel mappings a process may spend on virtual frames: {@code vm.max_map_count} less 4,096 mappings for the JVM
     * and the rest (at least 1,024; the kernel's default 65,530 gives 61,434), as {@link
     * org.bess.client.frame.VirtualFrames#MAPPING_LIMIT}. A frame mapped apart from its neighbours costs two mappings
     * (its own, and the split of the reserved range around it), a run of frames of consecutive pages held in
     * consecutive cache frames with one protection costs one together; the level-one clock unmaps runs before the
     * process's mappings would pass the limit, whatever the frame budget.
     */
    public static int mappableFrames() {
        return org.bess.client.frame.VirtualFrames.MAPPING_LIMIT;
    }

    /** Sets the level-one clock budget. */
    public Context frameBudget(final int frames) {
        this.frameBudget = frames;
        return this;
    }

    /** log2 of the pages of the largest large-object leaf. */
    public int largeLeafOrder() {
        return largeLeafOrder;
    }

    /**
     * Sets the largest large-object leaf: 2^order pages, 0 to 6. Smaller leaves make inserts and deletes in the middle
     * cheaper and trees larger.
     */
    public Context largeLeafOrder(final int order) {
        if (order < 0 || order > LargeObjectNodeDescriptor.MAX_LEAF_ORDER) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "large-object leaf order out of range (0 to " + LargeObjectNodeDescriptor.MAX_LEAF_ORDER + "): "
                            + order);
        }
        this.largeLeafOrder = order;
        return this;
    }

    /** Entries a large-object node fills before it splits. */
    public int largeNodeFanout() {
        return largeNodeFanout;
    }

    /** Sets the entries a large-object node fills before it splits (4 to 248): small values make deep trees. */
    public Context largeNodeFanout(final int entries) {
        if (entries < 4 || entries > LargeObjectNodeDescriptor.ENTRY_CAPACITY) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "large-object node fan-out out of range (4 to " + LargeObjectNodeDescriptor.ENTRY_CAPACITY + "): "
                            + entries);
        }
        this.largeNodeFanout = entries;
        return this;
    }

    /**
     * Cache frames: from 64 (256 KiB) to 2^24 (64 GiB). The control file of a larger cache would pass 2 GiB, beyond
     * what its int-indexed frame descriptors and page table address (CacheControlDescriptor.frameOffset is an int).
     */
    public int cacheFrames() {
        final long frames = cacheSizeBytes / 4096;
        if (frames < 64 || frames > (1 << 24)) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "cache size out of range (256 KiB to 64 GiB): " + CACHE_SIZE_PROP_NAME + "=" + cacheSizeBytes);
        }
        return (int) frames;
    }

    /** The storage I/O seam. */
    public org.bess.server.io.StorageIo storageIo() {
        return storageIo;
    }

    /** Sets the storage I/O seam (tests substitute a simulated disk). */
    public Context storageIo(final org.bess.server.io.StorageIo io) {
        this.storageIo = io;
        return this;
    }

    /** Bytes per log segment. */
    public long logSegmentBytes() {
        return logSegmentBytes;
    }

    /** Sets the log segment length. */
    public Context logSegmentBytes(final long bytes) {
        this.logSegmentBytes = bytes;
        return this;
    }

    /** Pages of the recovery buffer. */
    public int recoveryBufferPages() {
        return recoveryBufferPages;
    }

    /** Sets the recovery buffer's size in pages. */
    public Context recoveryBufferPages(final int pages) {
        this.recoveryBufferPages = pages;
        return this;
    }

    /** Log bytes after which a commit takes a checkpoint. */
    public long checkpointLogBytes() {
        return checkpointLogBytes;
    }

    /** Sets the checkpoint interval in log bytes. */
    public Context checkpointLogBytes(final long bytes) {
        this.checkpointLogBytes = bytes;
        return this;
    }

    /** Parses a size with an optional k, m or g suffix. */
    public static long parseSize(final String text) {
        final String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        long unit = 1;
        String digits = t;
        if (t.endsWith("k") || t.endsWith("m") || t.endsWith("g")) {
            unit = t.endsWith("k") ? 1L << 10 : t.endsWith("m") ? 1L << 20 : 1L << 30;
            digits = t.substring(0, t.length() - 1);
        }
        try {
            return Long.parseLong(digits) * unit;
        } catch (final NumberFormatException e) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "not a size: '" + text + "' (e.g. 64m, 16g)");
        }
    }

    private static long sizeProperty(final String name, final long defaultValue) {
        final String value = System.getProperty(name);
        return value == null ? defaultValue : parseSize(value);
    }

    private org.bess.server.lock.LockContext lockContext = new org.bess.server.lock.LockContext();

    /** The lock manager's settings (lock wait timeout, deadlock re-check, quota). */
    public org.bess.server.lock.LockContext lockContext() {
        return lockContext;
    }

    /** Sets the lock manager's settings. */
    public Context lockContext(final org.bess.server.lock.LockContext settings) {
        this.lockContext = settings;
        return this;
    }

    /** Property: whether the first change of a clean page logs a full image of it (torn-page repair). */
    public static final String FULL_PAGE_IMAGES_PROP_NAME = "bess.txn.full.page.images";

    private boolean fullPageImages = Boolean.parseBoolean(System.getProperty(FULL_PAGE_IMAGES_PROP_NAME, "true"));

    /**
     * Whether the first change of a clean page logs a full image of it, so that a page torn by a crash while it was
     * written back can be rebuilt (default on). Off, the log holds only the changed bytes, and a torn page is detected
     * by its checksum but cannot be repaired from the log.
     */
    public boolean fullPageImages() {
        return fullPageImages;
    }

    /** Turns full page images on or off. */
    public Context fullPageImages(final boolean on) {
        this.fullPageImages = on;
        return this;
    }

    /** Property: the longest time between checkpoints while transactions commit, in milliseconds. */
    public static final String CHECKPOINT_INTERVAL_PROP_NAME = "bess.checkpoint.interval.ms";

    private long checkpointIntervalMs = Long.getLong(CHECKPOINT_INTERVAL_PROP_NAME, 300_000L);

    /**
     * The longest time between checkpoints while transactions commit (default 5 minutes): a commit after it takes one,
     * as one does after {@link #checkpointLogBytes()} of log; both bound restart time.
     */
    public long checkpointIntervalMs() {
        return checkpointIntervalMs;
    }

    /** Sets the longest time between checkpoints, in milliseconds. */
    public Context checkpointIntervalMs(final long ms) {
        this.checkpointIntervalMs = ms;
        return this;
    }
}
