package org.bess.client.remote;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.format.SlottedSegmentDescriptor;
import org.bess.nativeshim.MappedFile;
import org.bess.nativeshim.Native;

/**
 * Shared-memory mode: the client maps frames of the server's cache file into its virtual frames, so its reads and
 * writes are the server's cache. A first touch of a page the server has cached is a hit without a request when the
 * client can name the page's lock (a reply named a key on that window) and take S by the lock fast path: the client
 * finds the frame in the server's page table and marks it mapped in the client-map file ({@link CacheHits}). Anything
 * else asks the server for the page's cache frame (shared lock taken, the frame counted as mapped). A first write to a
 * page the transaction holds S on by the fast path, alone, is one without a request too: X by the fast path (an
 * upgrade CAS), the page's before-image copied into a client slot of the recovery buffer and sealed, then the frame
 * made writable (docs/format/recovery-buffer.md); the server adopts the image at the transaction's next request. Any
 * other first write asks the server for the exclusive lock and before-image; unmapping releases the mark or the
 * server's count.
 */
final class SharedMemoryFaults extends ClientFaults {
    /** Turns the first-write fast path off ({@code false}): every first write is a request (benchmarks, A/B). */
    static final String FAST_WRITE_PROP = "bess.client.fastWrite";
    /**
     * Test hook: halt the JVM in a first write by the fast path, after the X lock ({@code afterLock}) or after the
     * sealed before-image, before the frame is writable ({@code afterImage}).
     */
    static final String WRITE_HALT_PROP = "bess.test.fastWriteHalt";

    /** Turns slot reads in place off ({@code false}): every segment's slots are a request (benchmarks, A/B). */
    static final String LOCAL_SLOTS_PROP = "bess.client.localSlots";

    private static final int HALT_NONE = 0;
    private static final int HALT_AFTER_LOCK = 1;
    private static final int HALT_AFTER_IMAGE = 2;

    private final MappedFile cache;
    /** The lock fast path, or null when the server offers none. */
    private final FastLocks fast;
    /** Cache hits without a request, or null when the server offers none (no lock-log slot, or turned off). */
    private final CacheHits hits;

    private final boolean fastWrite = Boolean.parseBoolean(System.getProperty(FAST_WRITE_PROP, "true"));
    private final int halt;
    /** Pages (window and page, packed) whose before-image this transaction made itself, since the last early log. */
    private final LongHashSet imaged = new LongHashSet();

    private long fastWrites;

    private final boolean localSlots = Boolean.parseBoolean(System.getProperty(LOCAL_SLOTS_PROP, "true"));
    /** The whole cache file mapped read-only (for slot reads in place), or 0 until the first one. */
    private long cacheBase;

    private long cacheLength;
    private final UnsafeBuffer page = new UnsafeBuffer(0, 0);

    SharedMemoryFaults(final RemoteSession session, final Path cacheFile, final FastLocks fast, final int slot) {
        super(session);
        this.cache = MappedFile.open(cacheFile, true);
        this.fast = fast;
        CacheHits h = null;
        try {
            h = fast == null ? null : CacheHits.open(cacheFile, slot);
        } catch (final RuntimeException e) {
            cache.close();
            throw e;
        }
        this.hits = h;
        final String hp = System.getProperty(WRITE_HALT_PROP, "");
        this.halt = hp.equals("afterLock") ? HALT_AFTER_LOCK : hp.equals("afterImage") ? HALT_AFTER_IMAGE : HALT_NONE;
    }

    /** First writes made without a request so far. */
    long fastWrites() {
        return fastWrites;
    }

    @Override
    public void beforeFirstWrite(final int window, final long pageNo, final int cacheFrame, final long address) {
        if (!tryFirstWrite(window, pageNo, cacheFrame, address)) {
            beforeFirstWrite(window, pageNo);
        }
    }

    /**
     * The first write without a request: X by the fast path, the frame not being written back by the server (it
     * checks for a fast-path X after it flags the frame, this checks the flag after the X), the before-image sealed
     * in a client slot; only then may the caller make the frame writable. False leaves it to the request (an X taken
     * here is the transaction's; the server takes it over).
     */
    private boolean tryFirstWrite(final int window, final long pageNo, final int cacheFrame, final long address) {
        final RecoveryBufferMapping rb = session.recoveryBuffer();
        final long txnId = session.currentTxnId();
        if (!fastWrite || hits == null || rb == null || rb.clientSlots() == 0 || txnId < 0 || cacheFrame < 0) {
            return false;
        }
        if (fast.tryLockExclusive(window, pageNo) == 0) {
            return false;
        }
        if (halt == HALT_AFTER_LOCK) {
            Runtime.getRuntime().halt(78);
        }
        if (!hits.awaitNotWrittenBack(cacheFrame, window, pageNo)) {
            return false;
        }
        final long packed = FastLocks.frame(window, pageNo);
        if (!imaged.contains(packed)) {
            if (rb.tryWriteImage(address, window, pageNo, txnId) < 0) {
                return false;
            }
            imaged.add(packed);
        }
        if (halt == HALT_AFTER_IMAGE) {
            Runtime.getRuntime().halt(79);
        }
        if (!fast.ownsSlot(session.connectionId())) {
            return false; // cut off by the server: it decides (and refuses)
        }
        fastWrites++;
        return true;
    }

    /**
     * A segment's slots without a request: the page's S by the lock fast path (its key learnt from an earlier {@code
     * SEGMENT_SLOTS} reply, the server having put the page in the shared table), the frame from the server's page
     * table kept from replacement by this client's bit ({@link CacheHits#pinControl}), the page checked to be a slotted
     * segment, and its slots wrapped where the cache holds them (the cache file mapped read-only once). The S lock
     * keeps every other transaction from changing the slots until this one ends; the transaction's own changes on the
     * server clear the snapshots. Null on anything else (the S taken stays with the transaction).
     */
    @Override
    UnsafeBuffer localSlots(final int window, final long segPage) {
        if (!localSlots || hits == null || session.current() == null) {
            return null;
        }
        final long key = fast.keyFor(window, segPage);
        if (key == 0) {
            return null;
        }
        final int frame = hits.lookup(window, segPage);
        if (frame < 0 || !fast.tryLockShared(key) || !hits.pinControl(frame, window, segPage)) {
            return null;
        }
        if (!fast.ownsSlot(session.connectionId())) {
            return null; // cut off by the server: the request decides (the pin goes at the transaction's end)
        }
        if (cacheBase == 0) {
            cacheLength = (long) hits.frameCount() << PageHeaderDescriptor.PAGE_SHIFT;
            if (cacheLength > cache.length()) {
                return null;
            }
            cacheBase = Native.mmap(0, cacheLength, Native.PROT_READ, Native.MAP_SHARED, cache.fd(), 0);
        }
        final long address = cacheBase + ((long) frame << PageHeaderDescriptor.PAGE_SHIFT);
        page.wrap(address, PageHeaderDescriptor.PAGE_LENGTH);
        if (page.getShort(PageHeaderDescriptor.PAGE_TYPE_OFFSET) != PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT) {
            return null;
        }
        final int used = Math.min(
                page.getShort(SlottedSegmentDescriptor.SLOTS_USED_OFFSET) & 0xFFFF,
                SlottedSegmentDescriptor.SLOT_CAPACITY);
        localNext = page.getInt(SlottedSegmentDescriptor.NEXT_SEGMENT_OFFSET) & 0xFFFF_FFFFL;
        return new UnsafeBuffer(address + SlottedSegmentDescriptor.slotOffset(0), used * SlotDescriptor.SLOT_LENGTH);
    }

    @Override
    void learnSlotKey(final int window, final long segPage, final long key) {
        if (fast != null) {
            fast.learnWindow(window, segPage, key);
        }
    }

    @Override
    void writtenProtected() {
        // the server logged the buffer early (the images it adopted included) and freed their slots: the next write to
        // those pages takes a new before-image
        imaged.clear();
    }

    FastLocks fastLocks() {
        return fast;
    }

    CacheHits cacheHits() {
        return hits;
    }

    @Override
    public int acquireFrame(final int window, final long pageNo) {
        final int hit = tryHit(window, pageNo);
        if (hit >= 0) {
            return hit;
        }
        final ByteBuffer r =
                session.call(session.request(Wire.ACQUIRE_FRAME).putInt(window).putLong(pageNo));
        final int frame = r.getInt();
        if (fast != null) {
            fast.learn(window, pageNo, frame, r.getLong());
        }
        return frame;
    }

    /**
     * The hit path: the page's S lock by the fast path first (no page is read without it), then the frame from the
     * server's page table, marked as this client's; -1 sends the caller to the server (an S lock taken here stays with
     * the transaction, and the server's grant sees it as the transaction's own).
     */
    private int tryHit(final int window, final long pageNo) {
        if (hits == null || session.current() == null) {
            return -1;
        }
        final long key = fast.keyFor(window, pageNo);
        if (key == 0) {
            return -1;
        }
        final int frame = hits.lookup(window, pageNo);
        if (frame < 0 || !fast.tryLockShared(key) || !hits.pin(frame, window, pageNo)) {
            return -1;
        }
        if (!fast.ownsSlot(session.connectionId())) {
            // cut off by the server, which clears this client's marks: take back the one just set, unless the slot
            // went to another connection already (whose bit it is now: left set, the frame only stays cached)
            hits.release(frame, fast.slotHeldBy(session.connectionId()));
            return -1;
        }
        fast.learn(window, pageNo, frame, key);
        return frame;
    }

    /**
     * Re-locks a mapped frame's page (a frame of an earlier transaction, or one the clock protected): S by the fast
     * path when the page's word is in the shared table and free of conflicts, else the request.
     */
    @Override
    public void lockForRead(final int window, final long pageNo) {
        if (fast != null && session.current() != null && fast.tryLockShared(window, pageNo)) {
            return;
        }
        final ByteBuffer r =
                session.call(session.request(Wire.LOCK_FOR_READ).putInt(window).putLong(pageNo));
        if (fast != null) {
            fast.learn(window, pageNo, -1, r.getLong());
        }
    }

    @Override
    public void releaseFrame(final int cacheFrame) {
        if (fast != null) {
            fast.forget(cacheFrame);
        }
        // a hit: the server never counted it; the mark is cleared here unless the slot is no longer this
        // connection's (the server cleared the marks when it cleaned the connection up, and the slot's next owner
        // sets the same bits)
        if (hits != null && hits.release(cacheFrame, fast.ownsSlot(session.connectionId()))) {
            return;
        }
        if (!closing) {
            session.call(session.request(Wire.RELEASE_FRAME).putInt(cacheFrame));
        }
    }

    @Override
    void transactionEnded(final boolean committed) {
        if (fast != null) {
            fast.transactionEnded();
        }
        imaged.clear();
        if (hits != null) {
            // the slot snapshots read in place go with the transaction (the session clears them at the next begin)
            hits.releaseControlPins(fast.ownsSlot(session.connectionId()));
        }
        final RecoveryBufferMapping rb = session.recoveryBuffer();
        if (rb != null) {
            rb.transactionEnded();
        }
    }

    @Override
    public int cacheFd() {
        return cache.fd();
    }

    @Override
    void close() {
        if (cacheBase != 0) {
            Native.munmap(cacheBase, cacheLength);
            cacheBase = 0;
        }
        cache.close();
    }
}
