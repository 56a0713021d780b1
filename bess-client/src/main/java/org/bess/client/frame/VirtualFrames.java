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

    // level-one clock over mapped frames: packed (window << 40 | pageNo), open slots hold -1
    /** Entries of the level-one clock's ring at first; it doubles when full. */
    private static final int INITIAL_RING = 1024;

    private long[] ring;
    private int ringHand;
    private int mappedCount;
    // open entries of the ring, as a stack: an unmapped frame's entry is reused by the next mapping at once, where a
    // scan from the hand would pass over the whole ring (the entry the sweep freed lies just behind the hand)
    private int[] openEntries;
    private int openCount;
    /**
     * The mappings (kernel VMAs) these frames may cost at most: one per mapped frame plus one per run of unmapped pages
     * between mapped ones (the reservation is split around each frame; adjacent frames of adjacent cache offsets and
     * equal protection merge, so the kernel's count is often lower), counted in {@link #PROCESS_MAPPINGS}.
     */
    private int mappings;

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
        final long offset = window * windowLength + (pageNo << PAGE_SHIFT);
        if (s == INVALID) {
            // the budget in frames, and the process's mappings under vm.max_map_count (each frame mapped apart from
            // its neighbours splits the reservation: two more mappings); the sweep unmaps one frame per call
            while ((mappedCount >= budget || PROCESS_MAPPINGS.get() + 2 > MAPPING_LIMIT) && sweep()) {
                // again
            }
            // the fault handler locks the page (shared) before it hands out the frame
            final int frame = handler.acquireFrame(window, pageNo);
            try {
                space.mapFile(offset, PAGE_LENGTH, handler.cacheFd(), (long) frame << PAGE_SHIFT, Protection.READ);
            } catch (final RuntimeException e) {
                handler.releaseFrame(frame);
                throw e;
            }
            cacheFrames[window][p] = frame;
            countMappings(window, p, 1);
            addToRing(pack(window, pageNo));
            s = READ;
            remember(window, pageNo);
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
            if (writableCount == writable.length) {
                writable = Arrays.copyOf(writable, writableCount * 2);
            }
            writable[writableCount++] = pack(window, pageNo);
            s = WRITE;
        }
        states[window][p] = s;
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
    public void protectWritten() {
        // the frames still writable, in address order: one mprotect per run of adjacent ones (one system call and one
        // TLB shootdown for a run), and no frame that is not writable is ever part of a run
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
                states[window][(int) (firstPage + k - i)] = READ;
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
                unmapOne(i, w, pageNo);
                count++;
            }
        }
        return count;
    }

    /**
     * Runs the level-one clock until one frame has been unmapped or a full double turn found none.
     *
     * @return whether a frame was unmapped.
     */
    public boolean sweep() {
        for (int steps = 0; steps < 2 * ring.length; steps++) {
            final int i = ringHand;
            ringHand = (ringHand + 1) % ring.length;
            final long entry = ring[i];
            if (entry < 0) {
                continue;
            }
            final int window = (int) (entry >>> 40);
            final long pageNo = entry & ((1L << 40) - 1);
            final byte s = states[window][(int) pageNo];
            // the ring holds frames in the order they were mapped: a run of entries naming the next (or the previous)
            // pages of the same window, pages read in order, goes in one system call
            if (s == UNLOCKED || s == READ || s == WRITE) {
                // a written frame may go too: its cache frame stays dirty, and the next write takes the fault path
                final int up = runOf(i, window, pageNo, false, 1);
                final int dir = up > 1 ? 1 : -1;
                final int n = up > 1 ? up : runOf(i, window, pageNo, false, -1);
                final long first = dir > 0 ? pageNo : pageNo - n + 1;
                space.protect(window * windowLength + (first << PAGE_SHIFT), (long) n * PAGE_LENGTH, Protection.NONE);
                for (int k = 0; k < n; k++) {
                    states[window][(int) first + k] = PROTECTED;
                }
                ringHand = (i + n) % ring.length;
                steps += n - 1;
            } else if (s == PROTECTED) {
                final int up = runOf(i, window, pageNo, true, 1);
                final int dir = up > 1 ? 1 : -1;
                final int n = up > 1 ? up : runOf(i, window, pageNo, true, -1);
                final long first = dir > 0 ? pageNo : pageNo - n + 1;
                space.unmap(window * windowLength + (first << PAGE_SHIFT), (long) n * PAGE_LENGTH);
                // last entry first: the stack of open entries then hands them out in ring order again, so the pages
                // mapped next form runs too
                for (int k = n - 1; k >= 0; k--) {
                    forget((i + k) % ring.length, window, pageNo + (long) dir * k);
                }
                ringHand = (i + n) % ring.length;
                return true;
            }
        }
        return false;
    }

    /** Most frames one system call of the level-one clock protects or unmaps. */
    private static final int MAX_RUN = 64;

    /**
     * How many ring entries from {@code i} on name pages {@code pageNo, pageNo + dir, pageNo + 2 dir, ...} of {@code
     * window}, all protected ({@code protectedRun}) or all accessible (at most {@link #MAX_RUN}).
     */
    private int runOf(final int i, final int window, final long pageNo, final boolean protectedRun, final int dir) {
        final byte[] st = states[window];
        int n = 1;
        while (n < MAX_RUN && pageNo + (long) dir * n >= 0 && pageNo + (long) dir * n < st.length) {
            final int j = (i + n) % ring.length;
            final long page = pageNo + (long) dir * n;
            if (j == i || ring[j] != pack(window, page)) {
                break;
            }
            final byte s = st[(int) page];
            if (protectedRun ? s != PROTECTED : s != UNLOCKED && s != READ && s != WRITE) {
                break;
            }
            n++;
        }
        return n;
    }

    private void unmapOne(final int ringIndex, final int window, final long pageNo) {
        space.unmap(window * windowLength + (pageNo << PAGE_SHIFT), PAGE_LENGTH);
        forget(ringIndex, window, pageNo);
    }

    /** A frame was unmapped: its state, mappings, ring entry and cache frame go. */
    private void forget(final int ringIndex, final int window, final long pageNo) {
        countMappings(window, (int) pageNo, -1);
        states[window][(int) pageNo] = INVALID;
        final int frame = cacheFrames[window][(int) pageNo];
        cacheFrames[window][(int) pageNo] = NO_FRAME;
        ring[ringIndex] = -1L;
        openEntries[openCount++] = ringIndex;
        mappedCount--;
        handler.releaseFrame(frame);
    }

    private void addToRing(final long entry) {
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
    }

    /**
     * Counts the mappings of page {@code p} of a window being mapped ({@code sign} 1, before its state changes) or
     * unmapped (-1, before its state changes): the frame's own, and one more run of unmapped pages when neither
     * neighbour is mapped (the reservation around it splits in two), one fewer when both are (the one-page gap it
     * filled). Pages outside the window's state array count as unmapped.
     */
    private void countMappings(final int window, final int p, final int sign) {
        final byte[] st = states[window];
        final boolean left = p > 0 && st[p - 1] != INVALID;
        final boolean right = p + 1 < st.length && st[p + 1] != INVALID;
        final int delta = sign * (1 + (left && right ? -1 : !left && !right ? 1 : 0));
        mappings += delta;
        PROCESS_MAPPINGS.addAndGet(delta);
    }

    /** The mappings these frames may cost now (see {@link #PROCESS_MAPPINGS}). */
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
                states[window][(int) pageNo] = READ;
                unmapOne(i, window, pageNo);
            }
        }
        if (space != null) {
            space.release();
        }
    }
}
