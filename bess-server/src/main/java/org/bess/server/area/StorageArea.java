package org.bess.server.area;

import static org.bess.format.PageHeaderDescriptor.AREA_ID_OFFSET;
import static org.bess.format.PageHeaderDescriptor.CHECKSUM_OFFSET;
import static org.bess.format.PageHeaderDescriptor.FORMAT_VERSION_OFFSET;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_NO_OFFSET;
import static org.bess.format.PageHeaderDescriptor.PAGE_TYPE_OFFSET;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.CorruptPageException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.AreaHeaderDescriptor;
import org.bess.format.ExtentMapDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.PageInfoDescriptor;
import org.bess.nativeshim.Native;
import org.bess.server.cache.BufferCache;
import org.bess.server.cache.PageSource;
import org.bess.server.cache.PageWriteHook;
import org.bess.server.io.PageStore;
import org.bess.server.io.StorageIo;
import org.bess.server.txn.TransactionManager;

/**
 * One storage area of an open database: its header, its extents and their buddy maps, and the checksums of its pages.
 * It is the {@link PageSource} of its window in the cache: pages read from disk are verified (control pages by the
 * checksum, type, page number and area id in their header; data pages against their extent's page-info entry), and
 * pages written back are stamped first.
 *
 * <p>The area header (page 0) never enters the cache: it is read at open and rewritten, then forced, whenever the area
 * grows, shrinks or (root area) the catalog moves.
 *
 * <p>Not thread safe: the engine thread only.
 */
public final class StorageArea implements PageSource, AutoCloseable {
    private final String databaseName;
    private final PageStore store;
    /** The first failed force: sticky (see {@link #force()}); volatile, a checkpoint forces without the latch. */
    private volatile RuntimeException forceFailure;

    private final BufferCache cache;
    private final int window;
    private final PageChecksums checksums = new PageChecksums();
    private final UnsafeBuffer header;
    private final long headerAddress;
    private final UnsafeBuffer pageView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer ioView = new UnsafeBuffer(0, 0);
    /**
     * Data-page checksum entries written back while their page-info page was not in the cache: page-info page → (data
     * page → entry). Read before the page-info page, applied whenever it is pinned, flushed at checkpoint.
     */
    private final Long2ObjectHashMap<Long2LongHashMap> pendingEntries = new Long2ObjectHashMap<>();

    /** Native staging for {@link #storeRun}, made on first use. */
    private UnsafeBuffer runStaging;

    private PageWriteHook writeHook;
    private int[] largestFree = new int[0];
    private int[] freePages = new int[0];

    private StorageArea(final String databaseName, final PageStore store, final BufferCache cache, final int window) {
        this.databaseName = databaseName;
        this.store = store;
        this.cache = cache;
        this.window = window;
        this.headerAddress = Native.mmap(
                0, PAGE_LENGTH, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0);
        this.header = new UnsafeBuffer(headerAddress, PAGE_LENGTH);
        this.writeHook = (w, pageNo, frame) -> cache.markDirty(frame);
    }

    /** Sets the update path that extent map changes go through (default: just mark the frame dirty). */
    public void writeHook(final PageWriteHook hook) {
        this.writeHook = hook;
    }

    /**
     * Creates a new area file with one extent.
     *
     * @param extentPages pages per extent.
     * @param maxExtents the most extents the area may grow to.
     */
    public static StorageArea create(
            final String databaseName,
            final Path path,
            final long databaseId,
            final int areaId,
            final boolean root,
            final int extentPages,
            final int maxExtents,
            final BufferCache cache,
            final int window) {
        final PageStore store = io(cache).createArea(path, 1);
        final StorageArea area = new StorageArea(databaseName, store, cache, window);
        try {
            final UnsafeBuffer h = area.header;
            h.putShort(PAGE_TYPE_OFFSET, PageHeaderDescriptor.TYPE_AREA_HEADER);
            h.putShort(FORMAT_VERSION_OFFSET, PageHeaderDescriptor.FORMAT_VERSION);
            h.putInt(AREA_ID_OFFSET, areaId);
            h.putLong(AreaHeaderDescriptor.MAGIC_OFFSET, AreaHeaderDescriptor.MAGIC);
            h.putInt(AreaHeaderDescriptor.AREA_FORMAT_VERSION_OFFSET, AreaHeaderDescriptor.AREA_FORMAT_VERSION);
            h.putInt(AreaHeaderDescriptor.PAGE_LENGTH_OFFSET, PAGE_LENGTH);
            h.putLong(AreaHeaderDescriptor.DATABASE_ID_OFFSET, databaseId);
            h.putInt(AreaHeaderDescriptor.AREA_ID_OFFSET, areaId);
            h.putInt(AreaHeaderDescriptor.FLAGS_OFFSET, root ? AreaHeaderDescriptor.FLAG_ROOT : 0);
            h.putInt(AreaHeaderDescriptor.EXTENT_PAGES_OFFSET, extentPages);
            h.putInt(AreaHeaderDescriptor.MAX_EXTENT_COUNT_OFFSET, maxExtents);
            h.putLong(AreaHeaderDescriptor.CREATED_MS_OFFSET, System.currentTimeMillis());
            cache.register(window, area);
            area.writeHeader();
            area.addExtent();
            return area;
        } catch (final RuntimeException e) {
            area.close();
            throw e;
        }
    }

    /**
     * Makes a raw block device an area: used at its size, all its extents formatted now, never grown.
     *
     * @throws BessException when the device is smaller than one extent or already holds a bess area.
     */
    public static StorageArea createOnDevice(
            final String databaseName,
            final Path path,
            final long databaseId,
            final int areaId,
            final int extentPages,
            final BufferCache cache,
            final int window) {
        final PageStore store = io(cache).openArea(path);
        final StorageArea area = new StorageArea(databaseName, store, cache, window);
        try {
            final long extents = (store.pageCount() - 1) / extentPages;
            if (extents < 1) {
                throw new BessException(
                        ErrorCode.STORAGE_FULL,
                        "block device smaller than one extent: path=" + path + ", bytes=" + (store.pageCount() << 12));
            }
            if (store.pageCount() > 0) {
                store.read(0, area.headerAddress);
                if (area.header.getLong(AreaHeaderDescriptor.MAGIC_OFFSET) == AreaHeaderDescriptor.MAGIC) {
                    throw new BessException(
                            ErrorCode.NAME,
                            "block device already holds a bess storage area; wipe it first: path=" + path);
                }
                area.header.setMemory(0, PAGE_LENGTH, (byte) 0);
            }
            final UnsafeBuffer h = area.header;
            h.putShort(PAGE_TYPE_OFFSET, PageHeaderDescriptor.TYPE_AREA_HEADER);
            h.putShort(FORMAT_VERSION_OFFSET, PageHeaderDescriptor.FORMAT_VERSION);
            h.putInt(AREA_ID_OFFSET, areaId);
            h.putLong(AreaHeaderDescriptor.MAGIC_OFFSET, AreaHeaderDescriptor.MAGIC);
            h.putInt(AreaHeaderDescriptor.AREA_FORMAT_VERSION_OFFSET, AreaHeaderDescriptor.AREA_FORMAT_VERSION);
            h.putInt(AreaHeaderDescriptor.PAGE_LENGTH_OFFSET, PAGE_LENGTH);
            h.putLong(AreaHeaderDescriptor.DATABASE_ID_OFFSET, databaseId);
            h.putInt(AreaHeaderDescriptor.AREA_ID_OFFSET, areaId);
            h.putInt(AreaHeaderDescriptor.FLAGS_OFFSET, AreaHeaderDescriptor.FLAG_DEVICE);
            h.putInt(AreaHeaderDescriptor.EXTENT_PAGES_OFFSET, extentPages);
            h.putInt(AreaHeaderDescriptor.MAX_EXTENT_COUNT_OFFSET, (int) extents);
            h.putLong(AreaHeaderDescriptor.CREATED_MS_OFFSET, System.currentTimeMillis());
            cache.register(window, area);
            for (int e = 0; e < extents; e++) {
                area.addExtent();
            }
            return area;
        } catch (final RuntimeException e) {
            cache.dropWindow(window, 0, true);
            cache.unregister(window);
            area.close();
            throw e;
        }
    }

    private static StorageIo io(final BufferCache cache) {
        return cache.storageIo();
    }

    /** Whether the area is a raw block device. */
    public boolean isDevice() {
        return store.isDevice();
    }

    /** Overwrites the area header with zeros, so that a block device no longer looks like an area. */
    public void wipeHeader() {
        header.setMemory(0, PAGE_LENGTH, (byte) 0);
        store.write(0, headerAddress);
        store.force();
    }

    /**
     * Opens an existing area and verifies its header.
     *
     * @param expectedDatabaseId the database it must belong to, or 0 to accept any (opening a root area).
     * @param expectedAreaId the id the catalog gives it, or -1 for any.
     */
    public static StorageArea open(
            final String databaseName,
            final Path path,
            final long expectedDatabaseId,
            final int expectedAreaId,
            final BufferCache cache,
            final int window) {
        final PageStore store = io(cache).openArea(path);
        final StorageArea area = new StorageArea(databaseName, store, cache, window);
        try {
            area.readHeader(expectedDatabaseId, expectedAreaId);
            cache.register(window, area);
            area.loadHints();
            return area;
        } catch (final RuntimeException e) {
            area.close();
            throw e;
        }
    }

    private void readHeader(final long expectedDatabaseId, final int expectedAreaId) {
        if (store.pageCount() < 1) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "not a bess storage area (shorter than one page): path=" + path() + ", bytes=" + sizeOf(path()));
        }
        store.read(0, headerAddress);
        if (header.getLong(AreaHeaderDescriptor.MAGIC_OFFSET) != AreaHeaderDescriptor.MAGIC) {
            throw new BessException(ErrorCode.BAD_FORMAT, "not a bess storage area (bad magic): path=" + path());
        }
        final int version = header.getInt(AreaHeaderDescriptor.AREA_FORMAT_VERSION_OFFSET);
        if (version > AreaHeaderDescriptor.AREA_FORMAT_VERSION) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "storage area has a newer format than this bess reads: path=" + path() + ", version=" + version
                            + ", supported=" + AreaHeaderDescriptor.AREA_FORMAT_VERSION);
        }
        final int expected = header.getInt(CHECKSUM_OFFSET);
        final int actual = checksums.controlChecksum(headerAddress);
        if (expected != actual) {
            throw new CorruptPageException(databaseName, path().toString(), 0, expected, actual);
        }
        checkLayoutVersion(header, 0);
        if (header.getInt(AreaHeaderDescriptor.PAGE_LENGTH_OFFSET) != PAGE_LENGTH) {
            throw new BessException(ErrorCode.BAD_FORMAT, "storage area has another page length: path=" + path());
        }
        if (expectedDatabaseId != 0 && databaseId() != expectedDatabaseId) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "storage area belongs to another database: path=" + path() + ", databaseId=" + databaseId()
                            + ", expected=" + expectedDatabaseId);
        }
        if (expectedAreaId >= 0 && id() != expectedAreaId) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "storage area has another id than the catalog says: path=" + path() + ", id=" + id() + ", expected="
                            + expectedAreaId);
        }
        final long needed = AreaHeaderDescriptor.extentFirstPage(extentCount(), extentPages());
        if (store.pageCount() < needed) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "storage area is truncated: path=" + path() + ", pages=" + store.pageCount() + ", expected="
                            + needed);
        }
    }

    /**
     * Rebuilds every page-info page whose checksum fails (a torn or garbled write of it was lost with the power):
     * its entries are recomputed from the pages as they are now. Run by restart recovery with verification off,
     * after redo and undo repaired the data pages.
     *
     * @return page-info pages rebuilt.
     */
    public int repairPageInfo() {
        int rebuilt = 0;
        final int infoPages = ExtentMapDescriptor.pageInfoPages(extentPages());
        final long scratch = Native.mmap(
                0, PAGE_LENGTH, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0);
        try {
            for (int e = 0; e < extentCount(); e++) {
                for (int i = 1; i <= infoPages; i++) {
                    final long infoPage = extentFirstPage(e) + i;
                    final int cached = cache.frameOf(window, infoPage);
                    if (cached >= 0) {
                        continue;
                    }
                    store.read(infoPage, scratch);
                    ioView.wrap(scratch, PAGE_LENGTH);
                    if (ioView.getInt(CHECKSUM_OFFSET) == checksums.controlChecksum(scratch)
                            && ioView.getShort(PAGE_TYPE_OFFSET) == PageHeaderDescriptor.TYPE_PAGE_INFO) {
                        continue;
                    }
                    rebuildInfoPage(e, i, scratch);
                    rebuilt++;
                }
            }
        } finally {
            Native.munmap(scratch, PAGE_LENGTH);
        }
        return rebuilt;
    }

    private void rebuildInfoPage(final int extentNo, final int infoIndex, final long scratch) {
        final long infoPage = extentFirstPage(extentNo) + infoIndex;
        final int frame = cache.pinNew(window, infoPage, true);
        try {
            final UnsafeBuffer info = new UnsafeBuffer(cache.frameAddress(frame), PAGE_LENGTH);
            info.putShort(PAGE_TYPE_OFFSET, PageHeaderDescriptor.TYPE_PAGE_INFO);
            info.putShort(FORMAT_VERSION_OFFSET, PageHeaderDescriptor.FORMAT_VERSION);
            final int first = (infoIndex - 1) * PageInfoDescriptor.ENTRIES_PER_PAGE;
            final int last = Math.min(extentPages(), first + PageInfoDescriptor.ENTRIES_PER_PAGE);
            for (int rel = first; rel < last; rel++) {
                final long pageNo = extentFirstPage(extentNo) + rel;
                final int cachedData = cache.frameOf(window, pageNo);
                final long address;
                if (cachedData >= 0) {
                    address = cache.frameAddress(cachedData);
                } else {
                    store.read(pageNo, scratch);
                    address = scratch;
                }
                info.putInt(PageInfoDescriptor.entryOffset(rel), checksums.dataEntry(address));
            }
            cache.markDirty(frame);
        } finally {
            cache.unpin(frame);
        }
    }

    /** Re-reads the allocation hints from the extent maps (after recovery or an abort changed them). */
    public void reloadHints() {
        loadHints();
    }

    private static long sizeOf(final Path path) {
        try {
            return java.nio.file.Files.size(path);
        } catch (final java.io.IOException e) {
            return -1;
        }
    }

    /** Refuses a control page written with a newer layout of its page type (readers refuse another version). */
    private void checkLayoutVersion(final UnsafeBuffer page, final long pageNo) {
        final int version = page.getShort(FORMAT_VERSION_OFFSET) & 0xFFFF;
        if (version > PageHeaderDescriptor.FORMAT_VERSION) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "control page has a newer layout version than this bess reads: database=" + databaseName + ", area="
                            + path() + ", page=" + pageNo + ", type=" + page.getShort(PAGE_TYPE_OFFSET) + ", version="
                            + version + ", supported=" + PageHeaderDescriptor.FORMAT_VERSION);
        }
    }

    /**
     * Whether a page's bytes on disk verify as a data page against its page-info entry (a page never written counts).
     * Tells a reference to a data page or a free page, which reads as a control page with a bad checksum, from a
     * damaged control page.
     */
    public boolean verifiesAsDataPage(final long pageNo) {
        if (pageNo < 1 || pageNo >= pageCount()) {
            return false;
        }
        final int extentNo = extentOf(pageNo);
        if (pageNo - extentFirstPage(extentNo) < ExtentMapDescriptor.metaPages(extentPages())) {
            return false;
        }
        final long scratch = Native.mmap(
                0, PAGE_LENGTH, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0);
        try {
            store.read(pageNo, scratch);
            return checksums.dataEntry(scratch) == dataEntry(pageNo);
        } finally {
            Native.munmap(scratch, PAGE_LENGTH);
        }
    }

    private void loadHints() {
        final int count = extentCount();
        largestFree = new int[count];
        freePages = new int[count];
        for (int e = 0; e < count; e++) {
            final int frame = cache.pin(window, extentFirstPage(e), true);
            try {
                final UnsafeBuffer map = cache.wrap(pageView, frame);
                if (!cache.verifying() && map.getShort(PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_EXTENT_MAP) {
                    // restart recovery opens areas before redo repairs their pages: a map page torn by the power
                    // cut gives no hints until reloadHints runs after redo and undo
                    largestFree[e] = -1;
                    freePages[e] = 0;
                    continue;
                }
                checkControlType(map, extentFirstPage(e), PageHeaderDescriptor.TYPE_EXTENT_MAP);
                largestFree[e] = BuddyAllocator.largestFreeOrder(map);
                freePages[e] = BuddyAllocator.freePages(map);
            } finally {
                cache.unpin(frame);
            }
        }
    }

    /** Throws {@link CorruptPageException} when a control page has another type than expected. */
    public void checkControlType(final UnsafeBuffer page, final long pageNo, final short type) {
        final short actual = page.getShort(PAGE_TYPE_OFFSET);
        if (actual != type) {
            throw new CorruptPageException("control page of the wrong type: database=" + databaseName + ", area="
                    + path() + ", page=" + pageNo + ", type=" + actual + ", expected=" + type);
        }
    }

    /** The area file or device. */
    public Path path() {
        return store.path();
    }

    /** The window of this area in the cache and in virtual frames. */
    public int window() {
        return window;
    }

    /** The area id. */
    public int id() {
        return header.getInt(AreaHeaderDescriptor.AREA_ID_OFFSET);
    }

    /** The database id recorded in the header. */
    public long databaseId() {
        return header.getLong(AreaHeaderDescriptor.DATABASE_ID_OFFSET);
    }

    /** Whether this is the root area. */
    public boolean isRoot() {
        return (header.getInt(AreaHeaderDescriptor.FLAGS_OFFSET) & AreaHeaderDescriptor.FLAG_ROOT) != 0;
    }

    /** Pages per extent. */
    public int extentPages() {
        return header.getInt(AreaHeaderDescriptor.EXTENT_PAGES_OFFSET);
    }

    /** Extents in the area. */
    public int extentCount() {
        return header.getInt(AreaHeaderDescriptor.EXTENT_COUNT_OFFSET);
    }

    /** Pages the area holds (header included). */
    public long pageCount() {
        return AreaHeaderDescriptor.extentFirstPage(extentCount(), extentPages());
    }

    /** Free pages over all extents. */
    public long freePageCount() {
        long sum = 0;
        for (final int f : freePages) {
            sum += f;
        }
        return sum;
    }

    /** The first page of an extent. */
    public long extentFirstPage(final int extentNo) {
        return AreaHeaderDescriptor.extentFirstPage(extentNo, extentPages());
    }

    /** The root area's catalog location: first page, page count, byte length. */
    public long[] catalogLocation() {
        return new long[] {
            header.getInt(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET) & 0xFFFF_FFFFL,
            header.getInt(AreaHeaderDescriptor.CATALOG_PAGE_COUNT_OFFSET),
            header.getLong(AreaHeaderDescriptor.CATALOG_LENGTH_OFFSET)
        };
    }

    /** The node that has this (root) area's database open, or 0. */
    public int openByNode() {
        return header.getInt(AreaHeaderDescriptor.OPEN_BY_NODE_OFFSET);
    }

    /** Records the node that has the database open (0: closed cleanly); the header is rewritten and forced. */
    public void openByNode(final int node) {
        header.putInt(AreaHeaderDescriptor.OPEN_BY_NODE_OFFSET, node);
        writeHeader();
    }

    /** Switches the root area to a new catalog (clearing the pending block): the header is rewritten and forced. */
    public void catalogLocation(final long firstPage, final int pageCount, final long length) {
        header.putInt(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET, (int) firstPage);
        header.putInt(AreaHeaderDescriptor.CATALOG_PAGE_COUNT_OFFSET, pageCount);
        header.putLong(AreaHeaderDescriptor.CATALOG_LENGTH_OFFSET, length);
        header.putInt(AreaHeaderDescriptor.PENDING_CATALOG_FIRST_PAGE_OFFSET, 0);
        header.putInt(AreaHeaderDescriptor.PENDING_CATALOG_PAGE_COUNT_OFFSET, 0);
        writeHeader();
    }

    /** Names a catalog block being written and not yet switched in (0 clears it); the header is forced. */
    public void pendingCatalog(final long firstPage, final int pageCount) {
        header.putInt(AreaHeaderDescriptor.PENDING_CATALOG_FIRST_PAGE_OFFSET, (int) firstPage);
        header.putInt(AreaHeaderDescriptor.PENDING_CATALOG_PAGE_COUNT_OFFSET, pageCount);
        writeHeader();
    }

    /** The pending catalog block: {first page, page count}; first page 0 when none. */
    public long[] pendingCatalog() {
        return new long[] {
            header.getInt(AreaHeaderDescriptor.PENDING_CATALOG_FIRST_PAGE_OFFSET) & 0xFFFF_FFFFL,
            header.getInt(AreaHeaderDescriptor.PENDING_CATALOG_PAGE_COUNT_OFFSET)
        };
    }

    /** Whether a block of {@code 2^order} pages is allocated at {@code page}. */
    public boolean isAllocated(final long page, final int order) {
        if (page < 1 || page >= pageCount()) {
            return false;
        }
        final int extentNo = extentOf(page);
        final int frame = pinMap(extentNo);
        try {
            return BuddyAllocator.isAllocated(
                    cache.wrap(pageView, frame), (int) (page - extentFirstPage(extentNo)), order);
        } finally {
            cache.unpin(frame);
        }
    }

    private void writeHeader() {
        header.putInt(PAGE_NO_OFFSET, 0);
        header.putInt(CHECKSUM_OFFSET, checksums.controlChecksum(headerAddress));
        store.write(0, headerAddress);
        store.force();
    }

    /**
     * Allocates a segment of {@code 2^order} pages, growing the area by an extent when no extent has room.
     *
     * @return the area page of the segment, or -1 when the area is full and cannot grow.
     */
    public long allocate(final int order) {
        if (order > Integer.numberOfTrailingZeros(extentPages())) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "segment larger than an extent: order=" + order + ", extentPages=" + extentPages());
        }
        for (int e = 0; e < largestFree.length; e++) {
            if (largestFree[e] >= order) {
                return allocateIn(e, order);
            }
        }
        final int max = header.getInt(AreaHeaderDescriptor.MAX_EXTENT_COUNT_OFFSET);
        if (store.isDevice() || (max > 0 && extentCount() >= max)) {
            return -1;
        }
        addExtent();
        return allocateIn(extentCount() - 1, order);
    }

    private long allocateIn(final int extentNo, final int order) {
        return changeMap(extentNo, map -> {
            final int rel = BuddyAllocator.allocate(map, order);
            if (rel < 0) {
                throw new IllegalStateException("extent hint out of date: extent=" + extentNo + ", order=" + order);
            }
            final long page = extentFirstPage(extentNo) + rel;
            writeHook.structureUndo(TransactionManager.UNDO_FREE, window, page, order);
            return page;
        });
    }

    /** Frees a segment. */
    public void free(final long page, final int order) {
        final int extentNo = extentOf(page);
        changeMap(extentNo, map -> {
            BuddyAllocator.free(map, (int) (page - extentFirstPage(extentNo)), order);
            writeHook.structureUndo(TransactionManager.UNDO_REALLOCATE, window, page, order);
            return 0;
        });
    }

    /**
     * Allocates the block at {@code page} again (the logical undo of a free).
     *
     * @return false when it is no longer free (nothing changed).
     */
    public boolean allocateAt(final long page, final int order) {
        final int extentNo = extentOf(page);
        return changeMap(
                        extentNo,
                        map -> BuddyAllocator.allocateAt(map, (int) (page - extentFirstPage(extentNo)), order) ? 1 : 0)
                != 0;
    }

    /** Shrinks a segment in place. */
    public void shrink(final long page, final int order, final int newOrder) {
        final int extentNo = extentOf(page);
        changeMap(extentNo, map -> {
            BuddyAllocator.shrink(map, (int) (page - extentFirstPage(extentNo)), order, newOrder);
            return 0;
        });
    }

    /** Grows a segment in place by one order when its buddy is free. */
    public boolean tryGrow(final long page, final int order) {
        final int extentNo = extentOf(page);
        return changeMap(extentNo, map -> {
                    if (!BuddyAllocator.tryGrow(map, (int) (page - extentFirstPage(extentNo)), order)) {
                        return 0;
                    }
                    writeHook.structureUndo(TransactionManager.UNDO_SHRINK, window, page, order);
                    return 1;
                })
                != 0;
    }

    /** A change of an extent's buddy maps. */
    @FunctionalInterface
    private interface MapChange {
        long apply(UnsafeBuffer map);
    }

    /**
     * Changes an extent's map page through the update path (it is logged like any page), then refreshes the
     * extent's allocation hints.
     */
    private long changeMap(final int extentNo, final MapChange change) {
        writeHook.beginStructureChange();
        try {
            return changeMapPage(extentNo, change);
        } finally {
            writeHook.endStructureChange();
        }
    }

    private long changeMapPage(final int extentNo, final MapChange change) {
        final int frame = pinMap(extentNo);
        try {
            writeHook.beforeWrite(window, extentFirstPage(extentNo), frame);
            final UnsafeBuffer map = cache.wrap(pageView, frame);
            final long result = change.apply(map);
            largestFree[extentNo] = BuddyAllocator.largestFreeOrder(map);
            freePages[extentNo] = BuddyAllocator.freePages(map);
            return result;
        } finally {
            cache.unpin(frame);
        }
    }

    /**
     * Whether a page is area metadata (the header, an extent's map or page-info pages): changed only by nested top
     * actions under the engine latch, never locked by transactions.
     */
    public boolean isMetaPage(final long pageNo) {
        return isMetaPage(pageNo, extentPages());
    }

    /** Whether a page is area metadata in an area of {@code extentPages} pages per extent. */
    public static boolean isMetaPage(final long pageNo, final int extentPages) {
        if (pageNo == 0 || extentPages <= 0) {
            return true;
        }
        final long rel = (pageNo - 1) % extentPages;
        return rel <= ExtentMapDescriptor.pageInfoPages(extentPages);
    }

    /** The extent holding a page. */
    public int extentOf(final long page) {
        if (page < 1 || page >= pageCount()) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "page outside the area: path=" + path() + ", page=" + page);
        }
        return (int) ((page - 1) / extentPages());
    }

    /** Pins an extent's map page. */
    public int pinMap(final int extentNo) {
        return cache.pin(window, extentFirstPage(extentNo), true);
    }

    private void addExtent() {
        final int extentNo = extentCount();
        final long first = extentFirstPage(extentNo);
        dropPending(extentNo);
        if (!store.isDevice()) {
            store.grow(first + extentPages());
        }
        final int infoPages = ExtentMapDescriptor.pageInfoPages(extentPages());
        for (int i = 0; i <= infoPages; i++) {
            final long pageNo = first + i;
            final int frame = cache.pinNew(window, pageNo, true);
            try {
                final UnsafeBuffer page = cache.wrap(pageView, frame);
                page.putShort(
                        PAGE_TYPE_OFFSET,
                        i == 0 ? PageHeaderDescriptor.TYPE_EXTENT_MAP : PageHeaderDescriptor.TYPE_PAGE_INFO);
                page.putShort(FORMAT_VERSION_OFFSET, PageHeaderDescriptor.FORMAT_VERSION);
                if (i == 0) {
                    BuddyAllocator.format(page, extentNo, extentPages());
                }
                // written now, before the header counts the extent: a crash leaves a harmless unused tail
                store(pageNo, cache.frameAddress(frame), true);
            } finally {
                cache.unpin(frame);
            }
        }
        store.force();
        header.putInt(AreaHeaderDescriptor.EXTENT_COUNT_OFFSET, extentNo + 1);
        writeHeader();
        largestFree = Arrays.copyOf(largestFree, extentNo + 1);
        freePages = Arrays.copyOf(freePages, extentNo + 1);
        final int frame = pinMap(extentNo);
        try {
            final UnsafeBuffer map = cache.wrap(pageView, frame);
            largestFree[extentNo] = BuddyAllocator.largestFreeOrder(map);
            freePages[extentNo] = BuddyAllocator.freePages(map);
        } finally {
            cache.unpin(frame);
        }
    }

    /**
     * Cuts empty extents from the tail of a file area (never the first extent).
     *
     * @return extents removed.
     */
    public int truncateEmptyTail() {
        if (store.isDevice()) {
            return 0;
        }
        final int meta = ExtentMapDescriptor.metaPages(extentPages());
        int removed = 0;
        while (extentCount() > 1 && freePages[extentCount() - 1] == extentPages() - meta) {
            final int last = extentCount() - 1;
            cache.dropWindow(window, extentFirstPage(last), true);
            dropPending(last);
            header.putInt(AreaHeaderDescriptor.EXTENT_COUNT_OFFSET, last);
            writeHeader();
            store.truncate(extentFirstPage(last));
            largestFree = Arrays.copyOf(largestFree, last);
            freePages = Arrays.copyOf(freePages, last);
            removed++;
        }
        return removed;
    }

    @Override
    public void load(final long pageNo, final long address, final boolean control) {
        store.read(pageNo, address);
        verify(pageNo, address, control);
    }

    @Override
    public void loadRun(final long firstPage, final int count, final long address) {
        store.read(firstPage, count, address);
        for (int i = 0; i < count; i++) {
            verify(firstPage + i, address + ((long) i << 12), false);
        }
    }

    /** Verifies a page just read from disk: checksum (and, for a control page, its identity). */
    private void verify(final long pageNo, final long address, final boolean control) {
        if (!cache.verifying()) {
            return;
        }
        if (control) {
            ioView.wrap(address, PAGE_LENGTH);
            final int expected = ioView.getInt(CHECKSUM_OFFSET);
            final int actual = checksums.controlChecksum(address);
            if (expected != actual) {
                throw new CorruptPageException(databaseName, path().toString(), pageNo, expected, actual);
            }
            if ((ioView.getInt(PAGE_NO_OFFSET) & 0xFFFF_FFFFL) != pageNo
                    || (ioView.getShort(AREA_ID_OFFSET) & 0xFFFF) != id()) {
                throw new CorruptPageException("misdirected control page: database=" + databaseName + ", area="
                        + path() + ", page=" + pageNo + ", recordedPage=" + ioView.getInt(PAGE_NO_OFFSET)
                        + ", recordedArea=" + ioView.getShort(AREA_ID_OFFSET));
            }
            checkLayoutVersion(ioView, pageNo);
        } else {
            final int actual = checksums.dataEntry(address);
            final int expected = dataEntry(pageNo);
            if (expected != actual) {
                throw new CorruptPageException(
                        databaseName,
                        path().toString(),
                        pageNo,
                        expected ^ PageChecksums.ZERO_PAGE_CRC,
                        actual ^ PageChecksums.ZERO_PAGE_CRC);
            }
        }
    }

    /** The page-info entry of a data page. */
    public int dataEntry(final long pageNo) {
        final int extentNo = extentOf(pageNo);
        final int rel = (int) (pageNo - extentFirstPage(extentNo));
        final long infoPage = extentFirstPage(extentNo) + PageInfoDescriptor.infoPage(rel);
        final Long2LongHashMap pending = pendingEntries.get(infoPage);
        if (pending != null && pending.containsKey(pageNo)) {
            return (int) pending.get(pageNo);
        }
        final int frame = cache.pin(window, infoPage, true);
        try {
            applyPending(infoPage, frame);
            return new UnsafeBuffer(cache.frameAddress(frame), PAGE_LENGTH).getInt(PageInfoDescriptor.entryOffset(rel));
        } finally {
            cache.unpin(frame);
        }
    }

    @Override
    public void store(final long pageNo, final long address, final boolean control) {
        if (control) {
            ioView.wrap(address, PAGE_LENGTH);
            ioView.putInt(PAGE_NO_OFFSET, (int) pageNo);
            ioView.putShort(AREA_ID_OFFSET, (short) id());
            ioView.putInt(CHECKSUM_OFFSET, checksums.controlChecksum(address));
        } else {
            recordDataChecksum(pageNo, address);
        }
        store.write(pageNo, address);
    }

    @Override
    public void storeRun(final long firstPage, final int count, final long[] addresses) {
        // checksums first (this pins only cached pages, so no other write-back runs in between), then one write
        for (int i = 0; i < count; i++) {
            recordDataChecksum(firstPage + i, addresses[i]);
        }
        if (runStaging == null) {
            runStaging = new UnsafeBuffer(ByteBuffer.allocateDirect(BufferCache.RUN_PAGES * PAGE_LENGTH));
        }
        for (int i = 0; i < count; i++) {
            ioView.wrap(addresses[i], PAGE_LENGTH);
            runStaging.putBytes(i * PAGE_LENGTH, ioView, 0, PAGE_LENGTH);
        }
        store.write(firstPage, count, runStaging.addressOffset());
    }

    /** Records a data page's checksum in its page-info entry (or as pending when that page is not cached). */
    private void recordDataChecksum(final long pageNo, final long address) {
        final int entry = checksums.dataEntry(address);
        final int extentNo = extentOf(pageNo);
        final int rel = (int) (pageNo - extentFirstPage(extentNo));
        final long infoPage = extentFirstPage(extentNo) + PageInfoDescriptor.infoPage(rel);
        if (cache.frameOf(window, infoPage) >= 0) {
            // a hit: pinning takes no frame, so nothing else is written back from here
            final int frame = cache.pin(window, infoPage, true);
            try {
                applyPending(infoPage, frame);
                final UnsafeBuffer info = new UnsafeBuffer(cache.frameAddress(frame), PAGE_LENGTH);
                if (info.getInt(PageInfoDescriptor.entryOffset(rel)) != entry) {
                    info.putInt(PageInfoDescriptor.entryOffset(rel), entry);
                    cache.markDirty(frame);
                }
            } finally {
                cache.unpin(frame);
            }
        } else {
            // taking a frame for the page-info page here could write back another dirty data page of this extent,
            // which would need the same page, and so on down the stack: the entry waits instead, until the page
            // is next pinned (at the latest by the next checkpoint's flushPending)
            Long2LongHashMap pending = pendingEntries.get(infoPage);
            if (pending == null) {
                pending = new Long2LongHashMap(Long.MIN_VALUE);
                pendingEntries.put(infoPage, pending);
            }
            pending.put(pageNo, entry);
        }
    }

    /** Writes the entries waiting for a page-info page into it (pinned at {@code frame}). */
    private void applyPending(final long infoPage, final int frame) {
        final Long2LongHashMap pending = pendingEntries.remove(infoPage);
        if (pending == null) {
            return;
        }
        final UnsafeBuffer info = new UnsafeBuffer(cache.frameAddress(frame), PAGE_LENGTH);
        final int extentNo = extentOf(infoPage);
        final long first = extentFirstPage(extentNo);
        pending.forEachLong(
                (pageNo, entry) -> info.putInt(PageInfoDescriptor.entryOffset((int) (pageNo - first)), (int) entry));
        cache.markDirty(frame);
    }

    @Override
    public void flushPending() {
        while (!pendingEntries.isEmpty()) {
            final long infoPage = pendingEntries.keySet().iterator().nextLong();
            final int frame = cache.pin(window, infoPage, true);
            try {
                applyPending(infoPage, frame);
            } finally {
                cache.unpin(frame);
            }
        }
    }

    /** Forgets entries waiting for the page-info pages of an extent that is being added again or cut. */
    private void dropPending(final int extentNo) {
        final long first = extentFirstPage(extentNo);
        for (int i = 1; i <= ExtentMapDescriptor.pageInfoPages(extentPages()); i++) {
            pendingEntries.remove(first + i);
        }
    }

    @Override
    public void force() {
        if (forceFailure != null) {
            throw forceFailed(forceFailure);
        }
        try {
            store.force();
        } catch (final RuntimeException e) {
            // after a failed fdatasync the kernel may have dropped the dirty pages and a retry may report success
            // (PostgreSQL's fsyncgate): never let a later force, and so a checkpoint, pretend they are durable
            forceFailure = e;
            throw forceFailed(e);
        }
    }

    private BessException forceFailed(final RuntimeException cause) {
        return new BessException(
                ErrorCode.IO,
                "storage area failed to force its pages; no checkpoint can complete, restart recovery is needed: path="
                        + store.path() + ": " + cause.getMessage(),
                cause);
    }

    /** Closes the file (the caller wrote back its pages first). */
    @Override
    public void close() {
        store.close();
        Native.munmap(headerAddress, PAGE_LENGTH);
    }
}
