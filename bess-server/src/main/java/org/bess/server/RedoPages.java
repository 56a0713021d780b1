package org.bess.server;

import java.util.Arrays;
import org.agrona.DirectBuffer;
import org.bess.format.LogRecordDescriptor;
import org.bess.server.cache.BufferCache;
import org.bess.server.log.LogScanner;
import org.bess.server.txn.TransactionManager;

/**
 * Redo's way to the pages: applies page records read in place by a {@link LogScanner} (no record object, no payload
 * copy) to cache frames. A small table of its own (sized to the pages redo touches, so that it stays in the processor's
 * cache) remembers which frame holds each page, so that the many records of one page cost one cache lookup and no pin.
 * Only bringing a page in (a pin, let go at once) can make the cache replace frames or write dirty ones back (and clean
 * them); the table counts those moments (its epoch), and a frame not checked since the last one is used as it is: it
 * still holds the page and is still dirty. Otherwise the frame is checked (does it still hold the page?) and marked
 * dirty again.
 *
 * <p>Records of a page before its last full image in the redone log ({@link PageImages}, from the open scan) are
 * passed over: the image sets every byte they would. Such a page is rebuilt whole from its image, which becomes its
 * recovery LSN: it may stay dirty after restart (the next redo starts at or before the image, so even a torn write of
 * it is repaired). A page without an image in the redone log gets the start of redo as its recovery LSN: the
 * end-of-recovery checkpoint writes it back (see {@code RestartRecovery}).
 *
 * <p>Page LSNs (in memory only) say how far the log must be durable before a page is written back. Every record redo
 * applies is already in the durable log, so any LSN up to the end of the redone log is right: a page gets the LSN of
 * the record that brought it into the table, and at {@link #close()} every page still there gets the last LSN redone.
 *
 * <p>A page met first (or again after it left the cache) with a full page image is not read from its area: the image
 * replaces every byte (a torn page is rebuilt the same way it would be over the bytes read).
 *
 * <p>Not thread safe: restart recovery only, while nothing else uses the cache.
 */
final class RedoPages implements AutoCloseable {
    private static final int FIRST_CAPACITY = 1024;
    /** Longs per table entry: the page key (0: free), the frame state, the page's last image LSN, unused. */
    private static final int ENTRY = 4;
    /** The frame state of a page not brought in yet (no epoch matches it). */
    private static final long NO_FRAME = 0xFFFF_FFFFL;

    private final BufferCache cache;
    private final TransactionManager.Pages pages;
    private final long windowPages;
    private final PageImages images;
    /** Writes the records' images into the frames (on a second thread, or at once once the cache is full). */
    private RedoApplier applier;
    /** Whether redo applies on this thread now (the cache got full). */
    private boolean inline;
    /** Whether the table was emptied once (its pages may have records pending in the applier). */
    private boolean released;
    /** Where redo started: the recovery LSN of every page redo rebuilds without a full image. */
    private final long redoStart;
    /** The end of the log redo reads. */
    private final long redoEnd;
    /** Entries at most: the cache's frames (more pages than that cannot all be cached anyway). */
    private final int limit;
    /**
     * Open addressing, {@link #ENTRY} longs an entry: the page key (0: free); the frame state: the frame in the low 32
     * bits, the page's kind (1: control page) in bit 32 and the epoch in which the frame was last checked and marked
     * dirty above ({@link #NO_FRAME} before the page is brought in); the LSN of the page's last full image in the
     * redone log ({@link PageImages#NONE}: none).
     */
    private long[] table = new long[FIRST_CAPACITY * ENTRY];

    private int size;
    /** Pages brought in so far: each may have replaced frames or cleaned dirty ones. */
    private long epoch = 1;
    /** The last record applied. */
    private long lastLsn;
    /** Records passed over: a later full image of their page replaces them. */
    private long superseded;

    // the last page looked up and its entry
    private long lastKey;
    private int lastEntry;

    // the last (database, area) looked up and its window
    private long lastDatabase;
    private int lastArea = -1;
    private int lastWindow = -1;

    /**
     * Redo's pages for the log from {@code redoStart} to {@code redoEnd}.
     *
     * @param images the last full image of each page in the log (the open scan's); null when redo runs inside the
     *     open scan (one pass: the images ahead are not known, nothing is passed over, and a page's recovery LSN is its
     *     last image applied so far).
     * @param applier writes the records' images into the frames; it is drained before any pin that may replace or
     *     clean a frame.
     */
    RedoPages(
            final BufferCache cache,
            final TransactionManager.Pages pages,
            final long windowPages,
            final PageImages images,
            final long redoStart,
            final long redoEnd,
            final RedoApplier applier) {
        this.cache = cache;
        this.applier = applier;
        this.pages = pages;
        this.windowPages = windowPages;
        this.images = images;
        this.redoStart = redoStart;
        this.redoEnd = redoEnd;
        this.limit = Math.max(1, cache.frameCount());
    }

    /**
     * Applies the scanner's current record (a {@code FULL_PAGE}, {@code PAGE_DIFF} after images, or {@code CLR}).
     *
     * @return false when it changes no page, its database or area is not open, or a later full image of its page
     *     replaces it (skipped).
     */
    boolean apply(final LogScanner r) {
        final DirectBuffer b = r.buffer();
        final int p = r.payloadOffset();
        final long databaseId = b.getLong(p);
        if (databaseId == 0) {
            // the CLR that ends the undo of a nested top action changes no page
            return false;
        }
        final int areaId = b.getInt(p + Long.BYTES);
        final long pageNo = b.getInt(p + Long.BYTES + Integer.BYTES) & 0xFFFF_FFFFL;
        final int window = window(databaseId, areaId);
        if (window < 0 || pageNo >= windowPages) {
            return false;
        }
        final long lsn = r.lsn();
        final int e = entry(((long) (window + 1) << 40) | pageNo, databaseId, areaId, pageNo);
        long image = table[e + 2];
        if (lsn < image) {
            // the page's last full image, later in the log, sets every byte this record would
            superseded++;
            return false;
        }
        final short type = r.type();
        final boolean fullImage = type == LogRecordDescriptor.TYPE_FULL_PAGE;
        if (fullImage && images == null) {
            // one pass (the images ahead are not known): the page's last image so far rebuilds it whole
            image = lsn;
            table[e + 2] = lsn;
        }
        final boolean controlPage = (r.flags() & TransactionManager.FLAG_CONTROL_PAGE) != 0;
        final int frame = frame(e, window, pageNo, controlPage, fullImage, image, lsn);
        if (fullImage && images == null) {
            // a dirty frame keeps its first recovery LSN: the image is the page's new one
            cache.resetRecLsn(frame, lsn);
        }
        lastLsn = lsn;
        if (b.byteArray() != null) {
            throw new IllegalStateException("redo reads the log through a sequential scanner (native memory)");
        }
        applier.add(b.addressOffset() + p, r.payloadLength(), type, cache.frameAddress(frame));
        return true;
    }

    /** Populates frames ahead of the ones redo takes (null: none). */
    private FramePrefault prefault;

    /** Raises {@code prefault}'s target as redo takes frames. */
    void prefault(final FramePrefault p) {
        this.prefault = p;
    }

    /**
     * Something else is about to use the cache (a database opened during redo: its pins may replace frames): every
     * record handed to the applier lands first, every remembered frame is checked again afterwards, and windows are
     * looked up again (the database's areas get windows).
     */
    void beforeOtherPins() {
        applier.drain();
        epoch++;
        lastArea = -1;
        lastWindow = -1;
    }

    /** Records passed over so far because a later full image of their page replaces them. */
    long superseded() {
        return superseded;
    }

    private int window(final long databaseId, final int areaId) {
        if (databaseId != lastDatabase || areaId != lastArea) {
            lastWindow = pages.window(databaseId, areaId);
            lastDatabase = databaseId;
            lastArea = areaId;
        }
        return lastWindow;
    }

    /**
     * The table entry of a page (its index in {@link #table}), made when the page is new here: its last image in the
     * redone log, and no frame yet.
     */
    private int entry(final long key, final long databaseId, final int areaId, final long pageNo) {
        if (key == lastKey) {
            return lastEntry;
        }
        long[] t = table;
        int mask = t.length - ENTRY;
        int e = (int) (mix(key) * ENTRY) & mask;
        long k;
        while ((k = t[e]) != 0 && k != key) {
            e = (e + ENTRY) & mask;
        }
        if (k == 0) {
            if (size >= limit) {
                release();
            } else if ((size + 1) * 2 * ENTRY > t.length) {
                grow();
            }
            t = table;
            mask = t.length - ENTRY;
            e = (int) (mix(key) * ENTRY) & mask;
            while (t[e] != 0) {
                e = (e + ENTRY) & mask;
            }
            long image = images == null ? PageImages.NONE : images.lastImage(databaseId, areaId, pageNo);
            if (image < redoStart || image >= redoEnd) {
                // an image before the redone log (or past its end, which cannot be) replaces nothing redo applies
                image = PageImages.NONE;
            }
            t[e] = key;
            t[e + 1] = NO_FRAME;
            t[e + 2] = image;
            size++;
        }
        lastKey = key;
        lastEntry = e;
        return e;
    }

    /** The frame holding the page of entry {@code e}, dirty. */
    private int frame(
            final int e,
            final int window,
            final long pageNo,
            final boolean controlPage,
            final boolean fullImage,
            final long image,
            final long lsn) {
        final long[] t = table;
        final long current = (epoch << 33) | (controlPage ? 1L << 32 : 0);
        final long state = t[e + 1];
        if ((state & ~0xFFFF_FFFFL) == current) {
            return (int) state;
        }
        int frame = (int) state;
        if (state == NO_FRAME || (state & (1L << 32)) != (current & (1L << 32)) || cache.pageKeyOf(frame) != t[e]) {
            // new here, replaced meanwhile, or the page changed kind (a freed data page came back as a control page)
            frame = bringIn(window, pageNo, controlPage, fullImage, state != NO_FRAME);
        }
        // the recovery LSN when the frame was clean: redo from the page's last image rebuilds it whole (records before
        // the image are passed over, so the image is the first record applied); a page without one is rebuilt from
        // diffs over what the disk holds, and redo must start where this redo started (the end-of-recovery checkpoint
        // writes such pages back)
        final long recLsn = image != PageImages.NONE ? image : redoStart;
        cache.markDirty(frame, recLsn);
        cache.pageLsn(frame, lsn);
        t[e + 1] = current | (frame & 0xFFFF_FFFFL);
        return frame;
    }

    private void grow() {
        final long[] old = table;
        table = new long[old.length * 2];
        final int mask = table.length - ENTRY;
        for (int o = 0; o < old.length; o += ENTRY) {
            if (old[o] != 0) {
                int e = (int) (mix(old[o]) * ENTRY) & mask;
                while (table[e] != 0) {
                    e = (e + ENTRY) & mask;
                }
                System.arraycopy(old, o, table, e, ENTRY);
            }
        }
        lastKey = 0;
    }

    /**
     * Pins the page (with its kind set; not read when a full image will replace it) and lets the pin go. A miss into a
     * free frame changes no other frame and needs no wait for the applier: no record of the page can be pending (it
     * was not cached). A hit replaces nothing either, but may set the page's kind or zero it: records of the page still
     * pending (it was in the table before) land first. A miss that replaces a frame (writing it back if dirty) waits
     * for every record handed to the applier, and every remembered frame is checked again afterwards; the cache is
     * full then, and nearly every later page brought in replaces one, so redo applies the rest on this thread (waiting
     * for the other thread at every page would cost more than it saves).
     *
     * @param known whether the page had a frame in the table (records of it may be pending).
     */
    private int bringIn(
            final int window,
            final long pageNo,
            final boolean controlPage,
            final boolean fullImage,
            final boolean known) {
        if (cache.frameOf(window, pageNo) >= 0) {
            if (known || released) {
                applier.drain();
            }
        } else if (!cache.freeFrameAtHand()) {
            applier.drain();
            if (!inline) {
                applier = RedoApplier.inline();
                inline = true;
            }
            epoch++;
        }
        final int frame =
                fullImage ? cache.pinNew(window, pageNo, controlPage) : cache.pinAs(window, pageNo, controlPage);
        cache.unpin(frame);
        if (prefault != null && !controlPage) {
            // data pages fill the cache from its first frame up; control pages take free frames from its top down
            // (BufferCache.victimForControl), and following one would populate every frame of the cache
            prefault.upTo(frame + FramePrefault.AHEAD);
        }
        return frame;
    }

    /** Gives every page in the table whose frame still holds it the last LSN redone, and empties the table. */
    private void release() {
        for (int e = 0; e < table.length; e += ENTRY) {
            if (table[e] != 0 && table[e + 1] != NO_FRAME && cache.pageKeyOf((int) table[e + 1]) == table[e]) {
                cache.pageLsn((int) table[e + 1], lastLsn);
            }
        }
        Arrays.fill(table, 0);
        released = true;
        size = 0;
        lastKey = 0;
    }

    private static long mix(final long key) {
        final long h = key * 0x9E37_79B9_7F4A_7C15L;
        return h ^ (h >>> 29);
    }

    @Override
    public void close() {
        release();
    }
}
