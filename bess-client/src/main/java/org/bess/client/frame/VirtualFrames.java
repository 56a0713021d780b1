package org.bess.client.frame;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.util.Arrays;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.nativeshim.AddressSpace;
import org.bess.nativeshim.Protection;

/**
 * The virtual frames of this process. One address range is reserved; each open storage area gets a window of {@code
 * windowLength} bytes in it, so the address of {@code (window, pageNo, offset)} is arithmetic. A state byte per frame,
 * in a per-window array sized to the area, is checked before every access:
 *
 * <ul>
 *   <li>{@link #INVALID}: nothing mapped; an access asks the fault handler for the page and maps its cache frame here;
 *   <li>{@link #PROTECTED}: mapped, but {@code PROT_NONE} (level-one clock's second chance); an access restores it;
 *   <li>{@link #UNLOCKED}: mapped read-only, but the current transaction holds no lock on the page (it was read by an
 *       earlier transaction of this process); an access asks the fault handler for a shared lock, with no system call;
 *   <li>{@link #READ}: mapped read-only, and the transaction holds the page's lock;
 *   <li>{@link #WRITE}: mapped read-write because the current transaction passed the first-write path for it.
 * </ul>
 *
 * <p>The level-one clock keeps at most {@code budget} frames mapped: it sweeps mapped frames, turning readable ones
 * protected and protected ones invalid (unmapped, and the cache frame released); written frames go the same way
 * (their cache frames stay dirty and the next write to them takes the fault path again), so a transaction may write
 * more pages than the budget or the cache holds. No system call happens on an access whose frames are already in the
 * needed state.
 *
 * <p>The kernel merges neighbouring frames of consecutive cache offsets and equal protection into one mapping (VMA),
 * and a process may have only {@code vm.max_map_count} of them: the frames count their mappings exactly (see {@link
 * #breakAfter}), the clock protects and unmaps merged runs (whole near the limit, which never adds a mapping), and a
 * fault that may
 * split a run first sweeps while the process is within two mappings of {@link #MAPPING_LIMIT}. So the frames mapped
 * at once are limited by the budget and by the runs they form, not by the mapping limit alone.
 *
 * <p>Not thread safe: owned by one session thread.
 */
public final class VirtualFrames implements AutoCloseable {
    /** Nothing mapped. */
    public static final byte INVALID = 0;
    /** Mapped with no access. */
    public static final byte PROTECTED = 1;
    /** Mapped read-only, no lock held by the current transaction. */
    public static final byte UNLOCKED = 2;
    /** Mapped read-only, locked (shared or exclusive) by the current transaction. */
    public static final byte READ = 3;
    /** Mapped read-write. */
    public static final byte WRITE = 4;

    private static final int NO_FRAME = -1;

    private final AddressSpace space;
    private final long windowLength;
    private final int maxWindows;
    private final FrameFaultHandler handler;
    private final int budget;

    private byte[][] states = new byte[0][];
    private int[][] cacheFrames = new int[0][];
    // per page of a window: the index of its ring entry while mapped, and the clock's lap when it was protected
    private int[][] ringPositions = new int[0][];
    private int[][] protectedLaps = new int[0][];

    // level-one clock over mapped frames: packed (window << 40 | pageNo), open slots hold -1
    /** Entries of the level-one clock's ring at first; it doubles when full. */
    private static final int INITIAL_RING = 1024;

    private long[] ring;
    private int ringHand;
    private int lap;
    private int mappedCount;
    // open entries of the ring, as a stack: an unmapped frame's entry is reused by the next mapping at once, where a
    // scan from the hand would pass over the whole ring (the entry the sweep freed lies just behind the hand)
    private int[] openEntries;
    private int openCount;
    /**
     * The kernel mappings (VMAs) these frames add to the reservation's own: one per boundary between two neighbouring
     * pages of a window that the kernel cannot merge (see {@link #breakAfter}), counted in {@link #PROCESS_MAPPINGS}.
     */
    private int mappings;
    /** The most mappings these frames may add themselves (the process-wide limit applies too); for tests. */
    private int ownMappingLimit = Integer.MAX_VALUE;

    private long[] writable = new long[64];
    private int writableCount;
    private long[] locked = new long[64];
    private int lockedCount;
    private long faultCount;
    private boolean released;

    /**
     * Reserves the address range.
     *
     * @param maxWindows windows (open areas) the range can hold.
     * @param windowLength bytes per window, a multiple of the page length: the largest area size.
     * @param budget most frames mapped at once (level-one clock).
     * @param handler the slow path.
     */
    public VirtualFrames(
            final int maxWindows, final long windowLength, final int budget, final FrameFaultHandler handler) {
        this(maxWindows, windowLength, budget, handler, true);
    }

    /**
     * Frames with the given layout; without a reservation when {@code reserve} is false: the session that owns them
     * works for a client process, whose own frames map its pages, so nothing is ever mapped here (a fault is refused)
     * and no address range is taken from this process.
     *
     * @param maxWindows windows (open areas) the range can hold.
     * @param windowLength bytes per window, a multiple of the page length: the largest area size.
     * @param budget most frames mapped at once (level-one clock).
     * @param handler the slow path.
     * @param reserve whether to reserve the address range.
     */
    public VirtualFrames(
            final int maxWindows,
            final long windowLength,
            final int budget,
            final FrameFaultHandler handler,
            final boolean reserve) {
        if (windowLength % PAGE_LENGTH != 0 || budget < 16) {
            throw new IllegalArgumentException("bad frame layout: windowLength=" + windowLength + ", budget=" + budget);
        }
        this.space = reserve ? AddressSpace.reserve(maxWindows * windowLength) : null;
        this.windowLength = windowLength;
        this.maxWindows = maxWindows;
        this.handler = handler;
        this.budget = budget;
        // the ring grows (doubling) with the frames actually mapped: a budget of half a large cache would otherwise
        // cost
        // 8 bytes per budgeted frame of heap in every session, mapped or not (the server keeps one per client)
        this.ring = new long[Math.min(budget, INITIAL_RING)];
        Arrays.fill(ring, -1L);
        this.openEntries = new int[ring.length];
        for (int i = 0; i < ring.length; i++) {
            openEntries[i] = ring.length - 1 - i;
        }
        this.openCount = ring.length;
    }

    /** The largest page count a window holds. */
    public long windowPages() {
        return windowLength >>> PAGE_SHIFT;
    }

    /**
     * Makes sure window {@code window} has states for {@code pageCount} pages (an area was opened or grew).
     *
     * @param window the window.
     * @param pageCount the area's page count.
     */
    public void ensureWindow(final int window, final long pageCount) {
        // the common case, every open of an object in a known area: states already cover it (an array is never longer
        // than the window's page count, so this also passes the checks below)
        final byte[][] all = states;
        if (window >= 0 && window < all.length) {
            final byte[] st = all[window];
            if (st != null && pageCount <= st.length) {
                return;
            }
        }
        growWindow(window, pageCount);
    }

    private void growWindow(final int window, final long pageCount) {
        if (window >= maxWindows) {
            throw new BessException(
                    ErrorCode.STORAGE_FULL, "too many open areas for the address range: maxWindows=" + maxWindows);
        }
        if (pageCount > windowPages()) {
            throw new BessException(
                    ErrorCode.STORAGE_FULL,
                    "area larger than its window: pages=" + pageCount + ", windowPages=" + windowPages());
        }
        if (window >= states.length) {
            states = Arrays.copyOf(states, window + 1);
            cacheFrames = Arrays.copyOf(cacheFrames, window + 1);
            ringPositions = Arrays.copyOf(ringPositions, window + 1);
            protectedLaps = Arrays.copyOf(protectedLaps, window + 1);
        }
        final byte[] old = states[window];
        if (old == null || old.length < pageCount) {
            final int length = (int) Math.max(pageCount, old == null ? 0 : Math.min(windowPages(), old.length * 2L));
            states[window] = old == null ? new byte[length] : Arrays.copyOf(old, length);
            final int[] frames =
                    cacheFrames[window] == null ? new int[length] : Arrays.copyOf(cacheFrames[window], length);
            if (cacheFrames[window] == null) {
                Arrays.fill(frames, NO_FRAME);
            } else {
                Arrays.fill(frames, cacheFrames[window].length, length, NO_FRAME);
            }
            cacheFrames[window] = frames;
            ringPositions[window] =
                    ringPositions[window] == null ? new int[length] : Arrays.copyOf(ringPositions[window], length);
            protectedLaps[window] =
                    protectedLaps[window] == null ? new int[length] : Arrays.copyOf(protectedLaps[window], length);
        }
    }

    /** The address of a page's virtual frame. */
    public long address(final int window, final long pageNo) {
        return (space == null ? 0 : space.baseAddress()) + window * windowLength + (pageNo << PAGE_SHIFT);
    }

    /** The state array of a window, for the inlined check of {@link ObjectView}. */
    byte[] states(final int window) {
        return states[window];
    }

    /** Number of slow-path entries so far (faults), for tests and counters. */
    public long faultCount() {
        return faultCount;
    }

    /** Number of frames mapped now. */
    public int mappedCount() {
        return mappedCount;
    }

    /** Pages window {@code window} has states for now (0 for a window never opened). */
    public int statePages(final int window) {
        return window < states.length && states[window] != null ? states[window].length : 0;
    }

    /** The state of a page's frame. */
    public byte state(final int window, final long pageNo) {
        return states[window][(int) pageNo];
    }

    /**
     * Brings every frame of pages {@code [firstPage, lastPage]} of a window to at least {@code needed}.
     *
     * @param window the window.
     * @param firstPage the first page touched.
     * @param lastPage the last page touched.
     * @param needed {@link #READ} or {@link #WRITE}.
     */
    public void fault(final int window, final long firstPage, final long lastPage, final byte needed) {
        final byte[] st = states[window];
        // the fault of one page may take back another page of the range: its first write may log the recovery buffer
        // early, which write-protects every frame written so far, and the level-one clock may protect or unmap a frame
        // to stay in its budget; so the range is gone over again until all of it is accessible (the access that
        // follows touches every page of it at once)
        for (int round = 0; ; round++) {
            boolean faulted = false;
            for (long page = firstPage; page <= lastPage; page++) {
                if (st[(int) page] < needed) {
                    if (round >= MAX_FAULT_ROUNDS) {
                        throw new BessException(
                                ErrorCode.ILLEGAL_STATE,
                                "cannot keep the pages of one access accessible together: window=" + window + ", pages="
                                        + firstPage + ".." + lastPage + ", frame budget=" + budget);
                    }
                    faultOne(window, page, needed);
                    faulted = true;
                }
            }
            if (!faulted) {
                return;
            }
        }
    }

    /** Passes over an access's range before {@link #fault} gives up (each pass faults what the last one took back). */
    private static final int MAX_FAULT_ROUNDS = 8;

    private void faultOne(final int window, final long pageNo, final byte needed) {
        if (space == null) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE,
                    "frames of a client's session are not mapped in the server: window=" + window + ", page=" + pageNo);
        }
        faultCount++;
        final int p = (int) pageNo;
        byte s = states[window][p];
        // room first: the budget in frames for a new mapping, and the process's kernel mappings for any system call
        // that changes this page's mapping or protection (each may split a merged run: two more VMAs). The clock
        // protects and unmaps whole merged runs, which never adds a mapping, so the loop ends (every turn unmaps).
        while (needsSystemCall(s, needed)
                && ((s == INVALID && mappedCount >= budget)
                        || PROCESS_MAPPINGS.get() + 2 > MAPPING_LIMIT
                        || mappings + 2 > ownMappingLimit)
                && sweep()) {
            s = states[window][p];
        }
        final long offset = window * windowLength + (pageNo << PAGE_SHIFT);
        if (s == INVALID) {
            // the fault handler locks the page (shared) before it hands out the frame
            final int frame = handler.acquireFrame(window, pageNo);
            // a first access that writes maps the frame writable at once: one system call, not a read-only mapping
            // and an mprotect; the update path runs right after, and should it fail the frame goes back to read-only
            // before the error leaves (the session's thread is the only one that uses these frames)
            final boolean write = needed == WRITE;
            try {
                space.mapFile(
                        offset,
                        PAGE_LENGTH,
                        handler.cacheFd(),
                        (long) frame << PAGE_SHIFT,
                        write ? Protection.READ_WRITE : Protection.READ);
            } catch (final RuntimeException e) {
                handler.releaseFrame(frame);
                throw e;
            }
            ringPositions[window][p] = addToRing(pack(window, pageNo));
            change(window, p, write ? WRITE : READ, frame);
            remember(window, pageNo);
            if (write) {
                try {
                    handler.beforeFirstWrite(window, pageNo, frame, space.address(offset));
                } catch (final RuntimeException | Error e) {
                    space.protect(offset, PAGE_LENGTH, Protection.READ);
                    change(window, p, READ, frame);
                    throw e;
                }
                addWritable(window, pageNo);
                return;
            }
            s = READ;
        } else if (s == PROTECTED || s == UNLOCKED) {
            handler.lockForRead(window, pageNo);
            if (s == PROTECTED) {
                space.protect(offset, PAGE_LENGTH, Protection.READ);
            }
            s = READ;
            remember(window, pageNo);
        }
        if (needed == WRITE && s < WRITE) {
            handler.beforeFirstWrite(window, pageNo, cacheFrames[window][p], space.address(offset));
            space.protect(offset, PAGE_LENGTH, Protection.READ_WRITE);
            addWritable(window, pageNo);
            s = WRITE;
        }
        change(window, p, s, cacheFrames[window][p]);
    }

    private void addWritable(final int window, final long pageNo) {
        if (writableCount == writable.length) {
            writable = Arrays.copyOf(writable, writableCount * 2);
        }
        writable[writableCount++] = pack(window, pageNo);
    }

    private static boolean needsSystemCall(final byte state, final byte needed) {
        return state == INVALID || state == PROTECTED || (needed == WRITE && state < WRITE);
    }

    private void remember(final int window, final long pageNo) {
        if (lockedCount == locked.length) {
            locked = Arrays.copyOf(locked, lockedCount * 2);
        }
        locked[lockedCount++] = pack(window, pageNo);
    }

    /**
     * The recovery buffer was logged early: frames written so far go back to read-only (the page lock stays), so the
     * next write to them takes the update path again.
     */

    /**
     * The recovery buffer was logged early: frames written so far go back to read-only (the page lock stays), so the
     * next write to them takes the update path again.
     */
    public void protectWritten() {
        // the frames still writable, in address order: one mprotect per run of adjacent ones (one system call and one
        // TLB shootdown for a run), and no frame that is not writable is ever part of a run. A run is every writable
        // page between two that are not, so read-only again it merges or splits no more than it did writable.
        int n = 0;
        for (int i = 0; i < writableCount; i++) {
            final int window = (int) (writable[i] >>> 40);
            final long pageNo = writable[i] & ((1L << 40) - 1);
            if (states[window][(int) pageNo] == WRITE) {
                writable[n++] = writable[i];
            }
        }
        if (n > 1) {
            Arrays.sort(writable, 0, n);
        }
        for (int i = 0; i < n; ) {
            final int window = (int) (writable[i] >>> 40);
            final long firstPage = writable[i] & ((1L << 40) - 1);
            int end = i + 1;
            while (end < n && writable[end] == writable[end - 1] + 1 && (int) (writable[end] >>> 40) == window) {
                end++;
            }
            space.protect(
                    window * windowLength + (firstPage << PAGE_SHIFT), (long) (end - i) * PAGE_LENGTH, Protection.READ);
            for (int k = i; k < end; k++) {
                final int page = (int) (firstPage + k - i);
                change(window, page, READ, cacheFrames[window][page]);
            }
            i = end;
        }
        writableCount = 0;
    }

    /**
     * The transaction ended and its locks are gone: written frames go back to read-only, and every frame it read or
     * wrote becomes {@link #UNLOCKED}, so the next transaction locks each page again on its first access (without a
     * system call for frames that stay mapped).
     */
    public void endTransaction() {
        protectWritten();
        for (int i = 0; i < lockedCount; i++) {
            final int window = (int) (locked[i] >>> 40);
            final long pageNo = locked[i] & ((1L << 40) - 1);
            if (window < states.length && states[window] != null && states[window][(int) pageNo] == READ) {
                // the same protection: no mapping changes
                states[window][(int) pageNo] = UNLOCKED;
            }
        }
        lockedCount = 0;
    }

    /**
     * Unmaps every frame of a window (the cache wants frames back, or the area closes).
     *
     * @param window the window, or -1 for all windows.
     * @return frames unmapped.
     */
    public int invalidateAll(final int window) {
        int count = 0;
        for (int i = 0; i < ring.length; i++) {
            final long entry = ring[i];
            if (entry >= 0 && (window < 0 || (int) (entry >>> 40) == window)) {
                final int w = (int) (entry >>> 40);
                final long pageNo = entry & ((1L << 40) - 1);
                // the whole merged run in one call (a page alone would split it)
                count += unmapRun(w, (int) pageNo, Integer.MAX_VALUE);
            }
        }
        return count;
    }

    /**
     * Runs the level-one clock until one run of frames has been unmapped or the hand went round three times and found
     * none.
     *
     * <p>The clock works on merged runs: the page its hand names and every neighbouring page the kernel keeps in the
     * same mapping (same protection, cache frames in order, see {@link #breakAfter}). A readable run goes protected
     * together, a protected run goes unmapped together, in one system call each; changing a whole merged run never
     * adds a mapping (its two ends were already boundaries, and inside it nothing splits), so the clock can always
     * bring the process's mappings down. A run protected on this turn of the hand is not unmapped before the next
     * turn (its other pages' entries may come soon after): the second chance holds for every page of it.
     *
     * @return whether a frame was unmapped.
     */
    public boolean sweep() {
        for (int steps = 0; steps < 3 * ring.length; steps++) {
            final int i = ringHand;
            ringHand++;
            if (ringHand == ring.length) {
                ringHand = 0;
                lap++;
            }
            final long entry = ring[i];
            if (entry < 0) {
                continue;
            }
            final int window = (int) (entry >>> 40);
            final int p = (int) (entry & ((1L << 40) - 1));
            final byte s = states[window][p];
            if (s == UNLOCKED || s == READ || s == WRITE) {
                // a written frame may go too: its cache frame stays dirty, and the next write takes the fault path
                final int reach = reach();
                final int first = runStart(window, p, reach);
                final int last = runEnd(window, p, reach);
                space.protect(
                        window * windowLength + ((long) first << PAGE_SHIFT),
                        (long) (last - first + 1) * PAGE_LENGTH,
                        Protection.NONE);
                final int[] frames = cacheFrames[window];
                for (int k = first; k <= last; k++) {
                    change(window, k, PROTECTED, frames[k]);
                    protectedLaps[window][k] = lap;
                }
            } else if (s == PROTECTED && protectedLaps[window][p] != lap) {
                unmapRun(window, p, reach());
                return true;
            }
        }
        return false;
    }

    /** Frames one system call of the clock changes at most while a split run costs mappings the process has. */
    private static final int MAX_RUN = 256;

    /**
     * How far from the hand's page the clock takes a merged run: {@link #MAX_RUN} / 2 pages either way while the
     * process has room for the two mappings cutting a run may cost (a long run then goes in pieces, as the hand
     * comes to them), the whole run near the limit (which never adds a mapping).
     */
    private int reach() {
        return PROCESS_MAPPINGS.get() + 2 <= MAPPING_LIMIT && mappings + 2 <= ownMappingLimit
                ? MAX_RUN / 2
                : Integer.MAX_VALUE;
    }

    /** The first page of the merged run holding mapped page {@code p}, at most {@code reach} pages before it. */
    private int runStart(final int window, final int p, final int reach) {
        int first = p;
        while (first > 0 && p - first < reach && !breakAfter(window, first - 1)) {
            first--;
        }
        return first;
    }

    /** The last page of the merged run holding mapped page {@code p}, at most {@code reach} pages after it. */
    private int runEnd(final int window, final int p, final int reach) {
        final int length = states[window].length;
        int last = p;
        while (last + 1 < length && last - p < reach && !breakAfter(window, last)) {
            last++;
        }
        return last;
    }

    /** Unmaps the merged run holding mapped page {@code p} (see {@link #reach}) in one call; returns its frames. */
    private int unmapRun(final int window, final int p, final int reach) {
        final int first = runStart(window, p, reach);
        final int last = runEnd(window, p, reach);
        space.unmap(window * windowLength + ((long) first << PAGE_SHIFT), (long) (last - first + 1) * PAGE_LENGTH);
        for (int k = first; k <= last; k++) {
            forget(window, k);
        }
        return last - first + 1;
    }

    /** A frame was unmapped: its state, mappings, ring entry and cache frame go. */
    private void forget(final int window, final int p) {
        final int frame = cacheFrames[window][p];
        change(window, p, INVALID, NO_FRAME);
        final int ringIndex = ringPositions[window][p];
        ring[ringIndex] = -1L;
        openEntries[openCount++] = ringIndex;
        mappedCount--;
        handler.releaseFrame(frame);
    }

    /** Takes an open ring entry for a newly mapped frame; returns its index. */
    private int addToRing(final long entry) {
        if (openCount == 0) {
            // every entry is taken (the ring grows with the frames mapped; past the budget, every mapped frame is being
            // written by the open transaction: the budget is a target, not a hard limit)
            final int old = ring.length;
            ring = Arrays.copyOf(ring, old * 2);
            Arrays.fill(ring, old, ring.length, -1L);
            openEntries = new int[ring.length];
            for (int i = 0; i < old; i++) {
                openEntries[i] = ring.length - 1 - i;
            }
            openCount = old;
        }
        final int i = openEntries[--openCount];
        ring[i] = entry;
        mappedCount++;
        return i;
    }

    /**
     * Whether the kernel keeps page {@code p} of a window and the page after it in separate mappings (VMAs): one of
     * them is mapped and they differ in protection ({@link #PROTECTED}; {@link #UNLOCKED} and {@link #READ}; {@link
     * #WRITE}), or both are mapped but their cache frames are not consecutive. Two unmapped pages lie in the same run
     * of the reservation. Pages outside the window's state array count as unmapped, so a window's edges are counted as
     * if the next window's pages there were unmapped (at most one mapping too many per window).
     */
    private boolean breakAfter(final int window, final int p) {
        final byte[] st = states[window];
        final int a = p >= 0 ? protection(st[p]) : 0;
        final int b = p + 1 < st.length ? protection(st[p + 1]) : 0;
        if (a != b) {
            return true;
        }
        if (a == 0) {
            return false;
        }
        final int[] frames = cacheFrames[window];
        return frames[p + 1] != frames[p] + 1;
    }

    /** The kernel's protection of a frame in a state: 0 unmapped (the reservation), 1 none, 2 read, 3 read-write. */
    private static int protection(final byte state) {
        return state == INVALID ? 0 : state == PROTECTED ? 1 : state == WRITE ? 3 : 2;
    }

    /**
     * Sets page {@code p}'s state and cache frame after its mapping changed, and counts the change in the mappings:
     * the boundaries on its two sides before and after.
     */
    private void change(final int window, final int p, final byte state, final int frame) {
        final int before = (breakAfter(window, p - 1) ? 1 : 0) + (breakAfter(window, p) ? 1 : 0);
        states[window][p] = state;
        cacheFrames[window][p] = frame;
        final int delta = (breakAfter(window, p - 1) ? 1 : 0) + (breakAfter(window, p) ? 1 : 0) - before;
        if (delta != 0) {
            mappings += delta;
            PROCESS_MAPPINGS.addAndGet(delta);
        }
    }

    /**
     * Limits the kernel mappings these frames add to their reservation below the process-wide {@link #MAPPING_LIMIT}
     * (tests: the clock's behaviour at the limit without mapping 60,000 runs).
     *
     * @param limit the most mappings; at least 16.
     */
    public void limitMappings(final int limit) {
        if (limit < 16) {
            throw new IllegalArgumentException("mapping limit below 16: " + limit);
        }
        this.ownMappingLimit = limit;
    }

    /** The kernel mappings these frames add to their reservation now (see {@link #PROCESS_MAPPINGS}). */
    public int mappings() {
        return mappings;
    }

    /**
     * Mappings (kernel VMAs) a process may make for virtual frames: {@code vm.max_map_count} less 4,096 for the JVM,
     * its libraries, thread stacks and the cache files (at least 1,024; the kernel's default 65,530 gives 61,434). Past
     * {@code vm.max_map_count}, {@code mmap} and {@code mprotect} fail with ENOMEM.
     */
    public static final int MAPPING_LIMIT = mappingLimit();

    /** The mappings every {@code VirtualFrames} of this process may cost now, kept under {@link #MAPPING_LIMIT}. */
    private static final java.util.concurrent.atomic.AtomicInteger PROCESS_MAPPINGS =
            new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Reads {@code vm.max_map_count}, line by line: {@code Files.readString} of a procfs file (which reports a size of
     * 0) returns only its first byte on this JDK.
     */
    private static int mappingLimit() {
        long max = 65_530;
        try (java.io.BufferedReader r =
                java.nio.file.Files.newBufferedReader(java.nio.file.Path.of("/proc/sys/vm/max_map_count"))) {
            final String line = r.readLine();
            if (line != null) {
                max = Long.parseLong(line.trim());
            }
        } catch (final java.io.IOException | NumberFormatException e) {
            // not Linux, or not readable: the kernel's default
        }
        return (int) Math.max(1024, Math.min(Integer.MAX_VALUE, max - 4096));
    }

    private static long pack(final int window, final long pageNo) {
        return ((long) window << 40) | pageNo;
    }

    /** Unmaps everything and releases the address range. */
    @Override
    public void close() {
        if (released) {
            return;
        }
        released = true;
        writableCount = 0;
        lockedCount = 0;
        for (int i = 0; i < ring.length; i++) {
            final long entry = ring[i];
            if (entry >= 0) {
                final int window = (int) (entry >>> 40);
                final long pageNo = entry & ((1L << 40) - 1);
                unmapRun(window, (int) pageNo, Integer.MAX_VALUE);
            }
        }
        if (space != null) {
            space.release();
        }
    }
}
