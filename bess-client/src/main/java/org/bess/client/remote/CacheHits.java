package org.bess.client.remote;

import static org.bess.format.CacheControlDescriptor.ENTRY_FRAME_OFFSET;
import static org.bess.format.CacheControlDescriptor.ENTRY_KEY_OFFSET;
import static org.bess.format.CacheControlDescriptor.ENTRY_LENGTH;
import static org.bess.format.CacheControlDescriptor.FLAG_CONTROL;
import static org.bess.format.CacheControlDescriptor.FRAME_FLAGS_OFFSET;
import static org.bess.format.CacheControlDescriptor.FRAME_PAGE_KEY_OFFSET;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CacheControlDescriptor;
import org.bess.format.ClientMapDescriptor;

/**
 * Cache hits without a request (docs/format/client-map.md): the client looks a page up in the server's page table (the
 * control file, mapped read-only), marks the frame as mapped by this client with its bit in the client-map file
 * (mapped read-write), then checks that the server is not replacing the frame and that the frame still holds the page,
 * a data page; anything else takes the bit back and the caller asks the server. The bit is cleared when the level-one
 * clock unmaps the frame, and by the server when this client dies.
 *
 * <p>Not thread safe: used by its session's thread.
 */
final class CacheHits {
    /** Turns the hit path off ({@code false}): every first touch asks the server (benchmarks, comparisons). */
    static final String ENABLED_PROP = "bess.client.cacheHits";

    private final UnsafeBuffer control;
    private final UnsafeBuffer maps;
    private final int frameCount;
    private final int tableOffset;
    private final int tableMask;
    private final int slots;
    private final int slot;
    private final long bit;
    /** Cache frames this client mapped by a hit (its bit is set in each). */
    private final IntHashSet mine = new IntHashSet();
    /** Control frames (slotted segments) whose slots the open transaction reads in place (its bit is set in each). */
    private final IntHashSet controlPins = new IntHashSet();
    /** The most control frames pinned at once: an eighth of the cache, as embedded slot snapshots. */
    private final int controlBudget;

    private long hits;
    private long declined;

    private CacheHits(final Path controlFile, final Path mapsFile, final int slot) {
        // the buffers keep their mappings alive
        this.control = new UnsafeBuffer(map(controlFile, false));
        this.frameCount = CacheControlDescriptor.checkHeader(control, control.capacity(), controlFile.toString());
        this.tableOffset = CacheControlDescriptor.tableOffset(frameCount);
        this.tableMask = CacheControlDescriptor.tableCapacity(frameCount) - 1;
        this.maps = new UnsafeBuffer(map(mapsFile, true));
        this.slots = ClientMapDescriptor.checkHeader(maps, maps.capacity(), mapsFile.toString(), frameCount)[1];
        this.slot = slot;
        this.bit = ClientMapDescriptor.slotBit(slot);
        this.controlBudget = Math.max(1, frameCount / 8);
    }

    /**
     * Maps the control and client-map files beside the cache file.
     *
     * @param cacheFile the cache file the server named.
     * @param slot this client's lock-log slot.
     * @return null when this client has no slot in the client-map file, the server has none, or the hit path is off.
     * @throws BessException {@code BAD_FORMAT} when either file is not one this build reads.
     */
    static CacheHits open(final Path cacheFile, final int slot) {
        final Path controlFile = cacheFile.resolveSibling("control");
        final Path mapsFile = cacheFile.resolveSibling("maps");
        if (slot < 0 || !Boolean.parseBoolean(System.getProperty(ENABLED_PROP, "true")) || !Files.exists(mapsFile)) {
            return null;
        }
        final CacheHits h = new CacheHits(controlFile, mapsFile, slot);
        return slot < h.slots ? h : null;
    }

    private static MappedByteBuffer map(final Path file, final boolean writable) {
        try (FileChannel ch = writable
                ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, StandardOpenOption.READ)) {
            final long length = ch.size();
            if (length > Integer.MAX_VALUE) {
                throw new BessException(ErrorCode.BAD_FORMAT, "shared cache file too large: " + file + ", " + length);
            }
            return ch.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, 0, length);
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot map the shared cache file: file=" + file, e);
        }
    }

    /**
     * The frame the server's page table gives for a page now, or -1 (not cached, or a probe that ran into the server
     * moving entries: the caller asks the server). Only a hint: {@link #pin} checks the frame's own page key.
     */
    int lookup(final int window, final long pageNo) {
        final long key = CacheControlDescriptor.pageKey(window, pageNo);
        int i = CacheControlDescriptor.home(key, tableMask);
        for (int probes = 0; probes <= tableMask; probes++) {
            final int e = tableOffset + i * ENTRY_LENGTH;
            final long k = control.getLongVolatile(e + ENTRY_KEY_OFFSET);
            if (k == key) {
                final int frame = control.getIntVolatile(e + ENTRY_FRAME_OFFSET);
                return frame >= 0 && frame < frameCount ? frame : -1;
            }
            if (k == 0) {
                return -1;
            }
            i = (i + 1) & tableMask;
        }
        return -1;
    }

    /**
     * Marks a frame as mapped by this client and checks that it may be: the server is not replacing it, it still holds
     * the page, a data page. Takes the mark back when not.
     *
     * @return whether the frame is this client's to map until {@link #release}.
     */
    boolean pin(final int frame, final int window, final long pageNo) {
        if (mine.contains(frame) || controlPins.contains(frame)) {
            return false; // mapped already by this client under another page: never hand out one frame twice
        }
        final int word = (int) ClientMapDescriptor.slotWordOffset(slots, frame, slot);
        long w = maps.getLongVolatile(word);
        while (!maps.compareAndSetLong(word, w, w | bit)) {
            w = maps.getLongVolatile(word);
        }
        // after the bit (both sequentially consistent): the server's evicting flag, then the frame's page
        final int stateOffset = (int) ClientMapDescriptor.stateOffset(slots, frame);
        final long state = maps.getLongVolatile(stateOffset);
        final int d = CacheControlDescriptor.frameOffset(frame);
        if ((state & ~ClientMapDescriptor.REFERENCED) != 0
                || control.getLongVolatile(d + FRAME_PAGE_KEY_OFFSET) != CacheControlDescriptor.pageKey(window, pageNo)
                || (control.getIntVolatile(d + FRAME_FLAGS_OFFSET) & FLAG_CONTROL) != 0) {
            clear(word);
            declined++;
            return false;
        }
        mine.add(frame);
        hits++;
        if ((state & ClientMapDescriptor.REFERENCED) == 0) {
            // the level-two clock's second chance for a page used by hits (one CAS; a lost race leaves it unset)
            maps.compareAndSetLong(stateOffset, state, state | ClientMapDescriptor.REFERENCED);
        }
        return true;
    }

    /**
     * The frame is unmapped: forgets it when this client mapped it by a hit, and clears its bit if {@code clear}.
     *
     * @param clear whether the slot is still this client's (else the server cleared the bits already).
     * @return whether the frame was mapped by a hit (else it came from the server and the server releases it).
     */
    boolean release(final int frame, final boolean clear) {
        if (!mine.remove(frame)) {
            return false;
        }
        if (clear) {
            clear((int) ClientMapDescriptor.slotWordOffset(slots, frame, slot));
        }
        return true;
    }

    /**
     * Keeps a slotted segment's frame from replacement for the open transaction, so that its slots can be read in
     * place: the same handshake as {@link #pin} (bit, then the evicting flag and the frame's page key), but the frame
     * must hold a control page. Within a budget of an eighth of the cache's frames.
     *
     * @return whether the frame holds the page and stays until {@link #releaseControlPins}.
     */
    boolean pinControl(final int frame, final int window, final long pageNo) {
        if (controlPins.contains(frame)) {
            return true;
        }
        if (mine.contains(frame) || controlPins.size() >= controlBudget || frame < 0 || frame >= frameCount) {
            return false;
        }
        final int word = (int) ClientMapDescriptor.slotWordOffset(slots, frame, slot);
        long w = maps.getLongVolatile(word);
        while (!maps.compareAndSetLong(word, w, w | bit)) {
            w = maps.getLongVolatile(word);
        }
        final long state = maps.getLongVolatile((int) ClientMapDescriptor.stateOffset(slots, frame));
        final int d = CacheControlDescriptor.frameOffset(frame);
        if ((state & ~ClientMapDescriptor.REFERENCED) != 0
                || control.getLongVolatile(d + FRAME_PAGE_KEY_OFFSET) != CacheControlDescriptor.pageKey(window, pageNo)
                || (control.getIntVolatile(d + FRAME_FLAGS_OFFSET) & FLAG_CONTROL) == 0) {
            clear(word);
            declined++;
            return false;
        }
        controlPins.add(frame);
        return true;
    }

    /**
     * The transaction ended: lets the server replace the control frames it pinned.
     *
     * @param clear whether the slot is still this client's (else the server cleared the bits already).
     */
    void releaseControlPins(final boolean clear) {
        if (controlPins.isEmpty()) {
            return;
        }
        if (clear) {
            final IntHashSet.IntIterator it = controlPins.iterator();
            while (it.hasNext()) {
                clear((int) ClientMapDescriptor.slotWordOffset(slots, it.nextValue(), slot));
            }
        }
        controlPins.clear();
    }

    /** Control frames pinned for slot reads in place now. */
    int controlPinned() {
        return controlPins.size();
    }

    /** The cache's frame count (the cache file holds that many pages). */
    int frameCount() {
        return frameCount;
    }

    private void clear(final int word) {
        long w = maps.getLongVolatile(word);
        while (!maps.compareAndSetLong(word, w, w & ~bit)) {
            w = maps.getLongVolatile(word);
        }
    }

    /**
     * After this client took X on a mapped frame's page by the lock fast path: waits (bounded, with backoff) while the
     * server writes the frame back, and checks that the frame still holds the page, a data page. The server flags a
     * write-back, then looks for a fast-path X; this runs after the X: either the server saw the X and skipped the
     * frame, or this sees the flag and waits for the write to end before anything changes the frame.
     *
     * @return whether the frame may be made writable; false when the wait ran out or the frame is not the page's data
     *     page (the caller asks the server).
     */
    boolean awaitNotWrittenBack(final int frame, final int window, final long pageNo) {
        if (frame >= frameCount) {
            return false;
        }
        final int state = (int) ClientMapDescriptor.stateOffset(slots, frame);
        long sleepNs = 1_000;
        final long deadline = System.nanoTime() + WRITE_BACK_WAIT_NS;
        while ((maps.getLongVolatile(state) & ClientMapDescriptor.WRITING) != 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(sleepNs);
            sleepNs = Math.min(sleepNs * 2, 1_000_000);
        }
        final int d = CacheControlDescriptor.frameOffset(frame);
        return control.getLongVolatile(d + FRAME_PAGE_KEY_OFFSET) == CacheControlDescriptor.pageKey(window, pageNo)
                && (control.getIntVolatile(d + FRAME_FLAGS_OFFSET) & FLAG_CONTROL) == 0;
    }

    /** Longest wait for a write-back of a frame to end before a first write goes to the server. */
    private static final long WRITE_BACK_WAIT_NS = 1_000_000_000L;

    /** Pages mapped by a hit so far. */
    long hits() {
        return hits;
    }

    /** Hits found in the page table but declined after the mark (the server was replacing the frame). */
    long declined() {
        return declined;
    }

    /** Frames mapped by a hit now. */
    int mapped() {
        return mine.size();
    }
}
