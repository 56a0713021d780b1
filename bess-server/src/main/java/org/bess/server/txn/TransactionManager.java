package org.bess.server.txn;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CacheControlDescriptor;
import org.bess.format.LogRecordDescriptor;
import org.bess.server.cache.BufferCache;
import org.bess.server.log.LogRecord;
import org.bess.server.log.LogScanner;
import org.bess.server.log.LogWriter;

/**
 * The transaction of a session and its logging (BeSS §4.1-4.2). The first write to a page in a transaction copies the
 * page into the recovery buffer (and, when the page was clean, logs a full page image first, so that a torn write of
 * it can be repaired); at commit, when the buffer is full, and when a dirty page is written back, each buffered page
 * is compared with its before-image and one {@code PAGE_DIFF} record per page logs the changed ranges with their
 * before and after images. Commit logs the diffs and the changed catalogs, then {@code COMMIT}, and waits for group
 * commit; abort restores the buffered before-images and undoes the already logged diffs backwards, writing {@code
 * CLR}s.
 *
 * <p>Not thread safe: called under the engine latch.
 */
public final class TransactionManager {
    /** How a window maps to a durable page identity, and what to do with virtual frames. */
    public interface Pages {
        /** The database id of a window. */
        long databaseId(int window);

        /** The area id of a window. */
        int areaId(int window);

        /** The window of (database, area), or -1 when not open. */
        int window(long databaseId, int areaId);

        /** Write-protects every frame the transaction made writable, so the next write takes the fault path. */
        void protectWrittenFrames();
    }

    private static final class Entry {
        final Txn owner;
        final int window;
        final long pageNo;
        /** The page's kind now (a freed data page may come back as a control page in the same transaction). */
        boolean control;
        /** The kind of the page when the before-image was taken. */
        boolean beforeControl;
        /** The transaction allocated the page (its undo frees it) and has not logged it yet. */
        boolean fresh;
        /** The page was clean in the cache at the first write (a full image protects it from a torn write). */
        boolean cleanAtFirstWrite;

        /** The before-image: a slot of the transaction's {@link RecoveryBuffer}, or a pooled page (nested actions). */
        final UnsafeBuffer before;
        /** The slot of {@link #before} in the owner's recovery buffer, or -1 for a nested top action's page. */
        final int slot;

        Entry(
                final Txn owner,
                final int window,
                final long pageNo,
                final boolean control,
                final UnsafeBuffer before,
                final int slot) {
            this.owner = owner;
            this.window = window;
            this.pageNo = pageNo;
            this.control = control;
            this.beforeControl = control;
            this.before = before;
            this.slot = slot;
        }
    }

    /**
     * One transaction's logging state: its recovery buffer, the LSN chain of its records, and the nested top action in
     * progress (space-map changes, logged at once and undone logically).
     */
    public static final class Txn {
        private final long id;
        private long lastLsn;
        private long firstLsn;
        private boolean begun;
        private final Map<Long, Entry> buffer = new LinkedHashMap<>();
        private int ntaDepth;
        private long ntaUndoNext;
        private final Map<Long, Entry> ntaPages = new LinkedHashMap<>();
        private ByteBuffer ntaUndo;
        /** The outermost nested top action is redo-only: no logical undo (its inner actions' undo is dropped too). */
        private boolean ntaRedoOnly;

        private boolean compensating;
        /** Pages this transaction allocated with an undo that frees them: their changes need no before-images. */
        private final org.agrona.collections.LongHashSet allocated = new org.agrona.collections.LongHashSet();
        /** Resources this transaction holds shared / exclusive: the lock manager need not be asked again. */
        private final org.agrona.collections.LongHashSet sharedHeld = new org.agrona.collections.LongHashSet();

        private final org.agrona.collections.LongHashSet exclusiveHeld = new org.agrona.collections.LongHashSet();
        /** Where its before-images are: its session's area, or one from the pool (taken at the first write). */
        private RecoveryBuffer area;

        private boolean pooledArea;
        /** Why a before-image of a page this transaction changed cannot be trusted (a garbage client slot), or null. */
        private String damaged;

        Txn(final long id) {
            this.id = id;
        }

        /** The transaction id. */
        public long id() {
            return id;
        }

        /** Whether it logged anything. */
        public boolean changed() {
            return begun || !buffer.isEmpty();
        }

        /** The LSN of its last record, 0 before the first. */
        public long lastLsn() {
            return lastLsn;
        }

        /** The LSN of its first record, 0 before the first. */
        public long firstLsn() {
            return firstLsn;
        }

        /** Whether this transaction is known to hold {@code resource} shared (or exclusive, when {@code exclusive}). */
        public boolean holdsLocally(final long resource, final boolean exclusive) {
            return exclusiveHeld.contains(resource) || (!exclusive && sharedHeld.contains(resource));
        }

        /**
         * Marks the transaction as one whose changes can be neither committed nor rolled back: a page it changed has no
         * trustworthy before-image. Its commit and its abort fail with {@code CORRUPT_PAGE} (the abort's failure stops
         * the log; restart recovery brings back the committed state).
         */
        public void damaged(final String why) {
            if (damaged == null) {
                damaged = why;
            }
        }

        /** Records a lock the lock manager granted (held until the transaction ends: strict 2PL). */
        public void rememberLock(final long resource, final boolean exclusive) {
            (exclusive ? exclusiveHeld : sharedHeld).add(resource);
        }
    }

    /** Record flag of page records: after the record, the page is a control page (checksum in its header). */
    public static final short FLAG_CONTROL_PAGE = 1;
    /** Record flag of page diffs: the before images belong to a control page (the kind an undo restores). */
    public static final short FLAG_BEFORE_CONTROL_PAGE = 2;

    /** Logical undo action of a nested top action: free the block it allocated. */
    public static final int UNDO_FREE = 1;
    /** Logical undo action: allocate again the block it freed. */
    public static final int UNDO_REALLOCATE = 2;
    /** Logical undo action: shrink back the block it grew in place. */
    public static final int UNDO_SHRINK = 3;
    /** Bytes of one undo action in a {@code NESTED_TOP_ACTION} payload: action, database, area, page, order. */
    public static final int UNDO_ACTION_LENGTH = 4 + 8 + 4 + 8 + 4;

    /** The flags of the CLR that undoes a page diff with these flags: the page goes back to its before kind. */
    public static short clrFlags(final short diffFlags) {
        return (diffFlags & FLAG_BEFORE_CONTROL_PAGE) != 0 ? FLAG_CONTROL_PAGE : 0;
    }

    private final LogWriter log;
    private final BufferCache cache;
    private final Pages pages;
    private final int bufferPages;
    /** Slots of an area beyond {@code bufferPages}: pages an early log keeps because the engine has them pinned. */
    private static final int PINNED_SPARE_SLOTS = 16;
    /** Nested top actions' images kept for reuse. */
    private static final int MAX_IDLE_NTA_IMAGES = 64;

    private final Map<Long, Txn> active = new LinkedHashMap<>();
    private final Map<Long, Entry> byPage = new java.util.HashMap<>();
    /** Areas of transactions without a session of their own (internal ones, restart's losers), reused. */
    private final java.util.ArrayDeque<RecoveryBuffer> idleAreas = new java.util.ArrayDeque<>();
    /** Before-images of nested top actions' pages (logged when the action ends), reused. */
    private final java.util.ArrayDeque<UnsafeBuffer> ntaImages = new java.util.ArrayDeque<>();

    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final int[] ranges = new int[2 * PAGE_LENGTH / Long.BYTES];
    private long nextTxnId;
    private boolean fullPageImages = true;
    private Txn current;
    private long commits;
    private long aborts;
    private long diffBytes;
    private long changedBytes;

    /**
     * @param nextTxnId the first transaction id to hand out (above every id in the log).
     * @param bufferPages pages a transaction's recovery buffer holds before it is logged early.
     */
    public TransactionManager(
            final LogWriter log,
            final BufferCache cache,
            final Pages pages,
            final long nextTxnId,
            final int bufferPages) {
        this.log = log;
        this.cache = cache;
        this.pages = pages;
        this.nextTxnId = nextTxnId;
        this.bufferPages = Math.max(8, bufferPages);
    }

    /** The log. */
    public LogWriter log() {
        return log;
    }

    /** The next transaction id that {@link #begin()} hands out. */
    public long nextTxnId() {
        return nextTxnId;
    }

    /**
     * Raises the next transaction id (restart: above every id in the log, known once the log's open scan ran, before
     * any transaction begins).
     */
    public void nextTxnId(final long next) {
        this.nextTxnId = Math.max(nextTxnId, next);
    }

    /**
     * Starts a transaction and makes it current; its before-images go to an area from the manager's pool, taken at its
     * first write (internal transactions).
     */
    public Txn begin() {
        return begin(null);
    }

    /**
     * Starts a transaction of a session and makes it current.
     *
     * @param area the session's recovery-buffer area (from {@link #newArea()} or {@link #createArea}), reused by each
     *     of its transactions; null to take one from the pool at the first write.
     */
    public Txn begin(final RecoveryBuffer area) {
        final Txn t = new Txn(nextTxnId++);
        t.area = area;
        active.put(t.id, t);
        current = t;
        return t;
    }

    /** Slots of a recovery-buffer area: the buffer's pages and room for pages pinned while it is logged early. */
    public int areaSlots() {
        return bufferPages + PINNED_SPARE_SLOTS;
    }

    /** A new recovery-buffer area in an anonymous mapping (an embedded session's). */
    public RecoveryBuffer newArea() {
        return RecoveryBuffer.anonymous(areaSlots());
    }

    /** A new recovery-buffer area in {@code file} (a client session's, in shared memory; deleted when closed). */
    public RecoveryBuffer createArea(final java.nio.file.Path file, final long connectionId) {
        return createArea(file, connectionId, 0);
    }

    /**
     * A new recovery-buffer area in {@code file} with {@code clientSlots} slots more, at its end, for the before-images
     * the client makes itself (a shared-memory client's first write by the lock fast path).
     */
    public RecoveryBuffer createArea(final java.nio.file.Path file, final long connectionId, final int clientSlots) {
        return RecoveryBuffer.create(file, areaSlots(), connectionId, clientSlots);
    }

    /**
     * Takes over a before-image the current transaction's client made itself in a client slot of its area (its first
     * write to a page it X-locked by the lock fast path): the slot is checked ({@link RecoveryBuffer#adopt}), and the
     * page joins the transaction's buffer exactly as a server-made image would (a full image of a page that was clean
     * at the first write logged first, the frame marked dirty), so the commit logs its diff and an abort restores it.
     * The caller checked that the transaction holds X on the page and that the slot's page is cached in {@code frame}
     * (pinned by the caller). A slot of a page the transaction buffered already is released and ignored.
     *
     * @param expectedKey the page key the caller resolved from the slot (to check the slot names it still).
     * @throws BessException {@code CORRUPT_PAGE} for a garbage slot, one naming another page than {@code expectedKey},
     *     or one of a control page.
     */
    public void adoptClientImage(final Txn t, final int slot, final long expectedKey, final int frame) {
        final RecoveryBuffer area = t.area;
        final long key = area.adopt(slot, t.id);
        final int window = (int) (key >>> 40) - 1;
        final long pageNo = key & ((1L << 40) - 1);
        if (t.buffer.containsKey(key) && key == expectedKey) {
            // the server imaged the page first (its image is the older, the right one): this one is not needed
            area.release(slot);
            return;
        }
        if (key != expectedKey || cache.isControl(frame)) {
            area.release(slot);
            throw new BessException(
                    ErrorCode.CORRUPT_PAGE,
                    "client-made before-image refused: slot=" + slot + ", window=" + window + ", page=" + pageNo
                            + (cache.isControl(frame) ? " (a control page)" : " (not the page it named)"));
        }
        if (t.buffer.size() >= bufferPages) {
            logBuffer(t);
            pages.protectWrittenFrames();
        }
        final Entry e = new Entry(t, window, pageNo, false, area.image(slot), slot);
        // the recovery LSN before a full image: redo of the page starts at or before it (as UpdatePath does)
        final long recLsn = log.endLsn();
        logFullImageIfClean(t, e, frame);
        cache.markDirty(frame, recLsn);
        t.buffer.put(key, e);
        byPage.put(key, e);
    }

    /** The transaction's area, or null before its first write (a client session's area is set at begin). */
    public RecoveryBuffer areaOf(final Txn t, final boolean create) {
        return create ? areaOf(t) : t.area;
    }

    private RecoveryBuffer areaOf(final Txn t) {
        if (t.area == null) {
            final RecoveryBuffer pooled = idleAreas.pollFirst();
            t.area = pooled != null ? pooled : newArea();
            t.pooledArea = true;
        }
        return t.area;
    }

    /** The transaction's buffer is empty for good (it ended): a pooled area goes back to the pool. */
    private void retireArea(final Txn t) {
        if (t.area != null && t.area.clientSlots() > 0) {
            t.area.clearClientSlots();
        }
        if (t.pooledArea && t.area != null && t.area.freeSlots() == t.area.slotCount()) {
            idleAreas.addFirst(t.area);
        }
        t.area = null;
        t.pooledArea = false;
    }

    private void seal(final Entry e) {
        if (e.slot >= 0) {
            e.owner.area.seal(e.slot, e.owner.id, e.beforeControl);
        }
    }

    private void releaseImage(final Entry e) {
        if (e.slot >= 0) {
            e.owner.area.release(e.slot);
        } else if (ntaImages.size() < MAX_IDLE_NTA_IMAGES) {
            ntaImages.addFirst(e.before);
        }
    }

    /** Closes the pooled areas (the engine is closing). */
    public void closeAreas() {
        for (final RecoveryBuffer a : idleAreas) {
            a.close();
        }
        idleAreas.clear();
    }

    /**
     * Takes over a loser of restart recovery, to log its compensation records (its chain continues at {@code lastLsn}).
     */
    public Txn adopt(final long txnId, final long lastLsn) {
        final Txn t = new Txn(txnId);
        t.begun = true;
        t.lastLsn = lastLsn;
        t.firstLsn = lastLsn;
        active.put(txnId, t);
        current = t;
        return t;
    }

    /** Makes a transaction current (the engine calls this whenever a session's thread enters it); null for none. */
    public void use(final Txn txn) {
        this.current = txn;
    }

    /** The current transaction, or null. */
    public Txn current() {
        return current;
    }

    /** The active transaction's id, or 0. */
    public long active() {
        return current == null ? 0 : current.id;
    }

    /** Active transactions (for checkpoints), oldest first. */
    public List<Txn> activeTransactions() {
        return new ArrayList<>(active.values());
    }

    /** Whether the current transaction changed anything. */
    public boolean changed() {
        return current != null && current.changed();
    }

    /** Committed transactions so far. */
    public long commits() {
        return commits;
    }

    /** Aborted transactions so far. */
    public long aborts() {
        return aborts;
    }

    /** Log bytes of page diff records so far, and the bytes they changed: {diff record bytes, changed bytes}. */
    public long[] diffStats() {
        return new long[] {diffBytes, changedBytes};
    }

    private long append(final Txn t, final short type, final ByteBuffer payload) {
        return append(t, type, (short) 0, payload);
    }

    private long append(final Txn t, final short type, final short flags, final ByteBuffer payload) {
        if (!t.begun) {
            t.begun = true;
            t.lastLsn = log.append(LogRecordDescriptor.TYPE_BEGIN, (short) 0, t.id, 0, ByteBuffer.allocate(0));
            t.firstLsn = t.lastLsn;
        }
        t.lastLsn = log.append(type, flags, t.id, t.lastLsn, payload);
        return t.lastLsn;
    }

    private Txn requireCurrent(final int window, final long pageNo) {
        if (current == null) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE,
                    "page changed outside a transaction: window=" + window + ", page=" + pageNo);
        }
        return current;
    }

    /**
     * The first write of the current transaction to a page: copy to the recovery buffer (logging a full image of a
     * clean page first); the caller then marks the frame dirty. Inside a nested top action the page joins the action
     * instead, and is logged when the action ends.
     *
     * @param frame the page's frame, pinned by the caller.
     */
    public void onFirstWrite(final int window, final long pageNo, final int frame) {
        final Txn t = requireCurrent(window, pageNo);
        final long key = CacheControlDescriptor.pageKey(window, pageNo);
        if (t.ntaDepth > 0) {
            if (!t.ntaPages.containsKey(key)) {
                final UnsafeBuffer image = ntaImages.pollFirst();
                final Entry e = new Entry(
                        t,
                        window,
                        pageNo,
                        cache.isControl(frame),
                        image != null ? image : new UnsafeBuffer(new byte[PAGE_LENGTH]),
                        -1);
                cache.wrap(view, frame);
                e.before.putBytes(0, view, 0, PAGE_LENGTH);
                logFullImageIfClean(t, e, frame);
                t.ntaPages.put(key, e);
            }
            return;
        }
        final Entry existing = t.buffer.get(key);
        if (existing != null) {
            existing.control = cache.isControl(frame);
            return;
        }
        if (t.buffer.size() >= bufferPages) {
            logBuffer(t);
            pages.protectWrittenFrames();
        }
        final RecoveryBuffer area = areaOf(t);
        final int slot = area.tryClaim(key);
        if (slot < 0) {
            throw new BessException(
                    ErrorCode.QUOTA,
                    "recovery buffer full: every one of its " + area.slotCount() + " slots holds a page the engine"
                            + " has pinned: txn=" + t.id + ", window=" + window + ", page=" + pageNo);
        }
        final Entry e = new Entry(t, window, pageNo, cache.isControl(frame), area.image(slot), slot);
        cache.wrap(view, frame);
        e.before.putBytes(0, view, 0, PAGE_LENGTH);
        seal(e);
        if (t.allocated.contains(key)) {
            // decided when the page is logged (see logDiff)
            e.fresh = true;
            e.cleanAtFirstWrite = !cache.isDirty(frame);
        } else {
            logFullImageIfClean(t, e, frame);
        }
        t.buffer.put(key, e);
        byPage.put(key, e);
    }

    /** Turns the full image of a page's first change after it was clean on or off (on by default). */
    public void fullPageImages(final boolean on) {
        this.fullPageImages = on;
    }

    private void logFullImageIfClean(final Txn t, final Entry e, final int frame) {
        if (fullPageImages && !cache.isDirty(frame)) {
            final long lsn = append(
                    t,
                    LogRecordDescriptor.TYPE_FULL_PAGE,
                    e.control ? FLAG_CONTROL_PAGE : 0,
                    PageDiff.encodeFullPage(pages.databaseId(e.window), pages.areaId(e.window), e.pageNo, e.before));
            cache.pageLsn(frame, lsn);
        }
    }

    /**
     * Starts (or nests into) a nested top action of the current transaction: the pages it changes are logged when the
     * outermost action ends, followed by a {@code NESTED_TOP_ACTION} record whose undo-next skips them, so that undo
     * of the transaction never restores them physically but runs the action's logical undo instead.
     */
    public void beginNestedTopAction() {
        beginNestedTopAction(false);
    }

    /**
     * Starts (or nests into) a nested top action; a {@code redoOnly} outermost action has no logical undo at all: what
     * it did stays when the transaction aborts (a segment appended to a file's chain stays with the file), and the undo
     * actions of the actions nested in it (the allocation of the segment's page) are dropped with it.
     */
    public void beginNestedTopAction(final boolean redoOnly) {
        final Txn t = current;
        if (t == null) {
            return;
        }
        if (t.ntaDepth++ == 0) {
            t.ntaUndoNext = t.lastLsn;
            t.ntaRedoOnly = redoOnly;
            t.ntaUndo = ByteBuffer.allocate(4 * UNDO_ACTION_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** Adds a logical undo action to the nested top action in progress. */
    public void undoAction(final int action, final int window, final long pageNo, final int order) {
        final Txn t = current;
        if (t == null || t.ntaDepth == 0 || t.compensating || t.ntaRedoOnly) {
            return;
        }
        if (t.ntaUndo.remaining() < UNDO_ACTION_LENGTH) {
            final ByteBuffer bigger =
                    ByteBuffer.allocate(t.ntaUndo.capacity() * 2).order(ByteOrder.LITTLE_ENDIAN);
            t.ntaUndo.flip();
            bigger.put(t.ntaUndo);
            t.ntaUndo = bigger;
        }
        if (action == UNDO_FREE) {
            for (long p = pageNo; p < pageNo + (1L << order); p++) {
                t.allocated.add(CacheControlDescriptor.pageKey(window, p));
            }
        }
        t.ntaUndo
                .putInt(action)
                .putLong(pages.databaseId(window))
                .putInt(pages.areaId(window))
                .putLong(pageNo)
                .putInt(order);
    }

    /** Ends a nested top action: at the outermost end, logs its pages and the {@code NESTED_TOP_ACTION} record. */
    public void endNestedTopAction() {
        final Txn t = current;
        if (t == null || --t.ntaDepth > 0) {
            return;
        }
        for (final Entry e : t.ntaPages.values()) {
            keepInBeforeImage(t, e);
            logDiff(e);
            releaseImage(e);
        }
        t.ntaPages.clear();
        t.ntaRedoOnly = false;
        final ByteBuffer undo = t.ntaUndo.flip();
        t.ntaUndo = null;
        if (t.compensating || !t.begun) {
            return;
        }
        final ByteBuffer payload =
                ByteBuffer.allocate(Long.BYTES + undo.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        payload.putLong(t.ntaUndoNext).put(undo).flip();
        t.lastLsn = log.append(LogRecordDescriptor.TYPE_NESTED_TOP_ACTION, (short) 0, t.id, t.lastLsn, payload);
    }

    /**
     * A page the nested top action changed may also be in the transaction's recovery buffer (it wrote the page before
     * the action: a segment that filled up, then got a successor): the action's bytes go into the buffered
     * before-image, so that neither the transaction's later diff of the page nor its abort (which puts the
     * before-image back) takes them as the transaction's own change and undoes them physically.
     */
    private void keepInBeforeImage(final Txn t, final Entry nta) {
        final Entry buffered = t.buffer.get(CacheControlDescriptor.pageKey(nta.window, nta.pageNo));
        if (buffered == null) {
            return;
        }
        final int frame = cache.pinUnlocked(nta.window, nta.pageNo, nta.control);
        try {
            cache.wrap(view, frame);
            for (int i = 0; i < PAGE_LENGTH; i++) {
                final byte now = view.getByte(i);
                if (now != nta.before.getByte(i)) {
                    buffered.before.putByte(i, now);
                }
            }
            seal(buffered);
        } finally {
            cache.unpin(frame);
        }
    }

    /** The undo-next LSN of a {@code NESTED_TOP_ACTION} payload. */
    public static long ntaUndoNext(final ByteBuffer payload) {
        return payload.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /**
     * Logs every buffered page's diff and empties the buffer (the frames stay dirty), except for pages the engine has
     * pinned right now: it may be in the middle of changing one of them after its update-path call, so such an entry
     * stays, with its before-image refreshed to what was just logged.
     */
    private void logBuffer(final Txn t) {
        final java.util.Iterator<Entry> it = t.buffer.values().iterator();
        while (it.hasNext()) {
            final Entry e = it.next();
            logDiff(e);
            final int frame = cache.frameOf(e.window, e.pageNo);
            if (frame < 0 || cache.pinCount(frame) == 0) {
                it.remove();
                byPage.remove(CacheControlDescriptor.pageKey(e.window, e.pageNo));
                releaseImage(e);
            }
        }
    }

    /** Logs every buffered page's diff and empties the buffer (commit: nothing is in the middle of a change). */
    private void logAll(final Txn t) {
        for (final Entry e : t.buffer.values()) {
            logDiff(e);
            byPage.remove(CacheControlDescriptor.pageKey(e.window, e.pageNo));
        }
        // only once every diff is logged: a failure above rolls back, and the rollback restores every entry's slot
        for (final Entry e : t.buffer.values()) {
            releaseImage(e);
        }
        t.buffer.clear();
        retireArea(t);
    }

    private void logDiff(final Entry e) {
        final int frame = cache.pinUnlocked(e.window, e.pageNo, e.control);
        try {
            cache.wrap(view, frame);
            final int count = PageDiff.ranges(e.before, view, ranges);
            // a page the transaction allocated is logged even when it stayed as it was made (zeroed): its frame is
            // dirty and will be written, and restart repairs a torn write of it only from an image in the log
            if (count == 0 && !e.fresh) {
                return;
            }
            if (e.fresh && logFresh(e, frame, count)) {
                return;
            }
            final ByteBuffer payload = PageDiff.encodeDiff(
                    pages.databaseId(e.window), pages.areaId(e.window), e.pageNo, e.before, view, ranges, count);
            final short flags =
                    (short) ((e.control ? FLAG_CONTROL_PAGE : 0) | (e.beforeControl ? FLAG_BEFORE_CONTROL_PAGE : 0));
            final long lsn = append(e.owner, LogRecordDescriptor.TYPE_PAGE_DIFF, flags, payload);
            diffBytes += LogRecordDescriptor.recordLength(payload.remaining());
            changedBytes += PageDiff.changedBytes(payload);
            cache.pageLsn(frame, lsn);
            e.before.putBytes(0, view, 0, PAGE_LENGTH);
            e.beforeControl = e.control;
            seal(e);
        } finally {
            cache.unpin(frame);
        }
    }

    /**
     * The first log of a page the transaction allocated. Its undo is the allocation's (the block is freed), so no
     * before-image is needed: when the diff would take half a page or more, one full image of the page as it is now
     * replaces it (redo, and the repair of a torn write, start from that image); otherwise the page is logged as any
     * other, its full image first when it was clean. A page left as it was made gets its full image too (a torn
     * write of it is repaired from it).
     *
     * @return whether the page is logged (nothing more to do).
     */
    private boolean logFresh(final Entry e, final int frame, final int count) {
        e.fresh = false;
        int diffBytes = PageDiff.PAGE_ID_LENGTH + Integer.BYTES;
        for (int r = 0; r < count; r++) {
            diffBytes += 4 + 2 * ranges[2 * r + 1];
        }
        if (count > 0 && diffBytes < PAGE_LENGTH / 2) {
            if (fullPageImages && e.cleanAtFirstWrite) {
                final long lsn = append(
                        e.owner,
                        LogRecordDescriptor.TYPE_FULL_PAGE,
                        e.beforeControl ? FLAG_CONTROL_PAGE : 0,
                        PageDiff.encodeFullPage(
                                pages.databaseId(e.window), pages.areaId(e.window), e.pageNo, e.before));
                cache.pageLsn(frame, lsn);
            }
            return false;
        }
        e.before.putBytes(0, view, 0, PAGE_LENGTH);
        final long lsn = append(
                e.owner,
                LogRecordDescriptor.TYPE_FULL_PAGE,
                e.control ? FLAG_CONTROL_PAGE : 0,
                PageDiff.encodeFullPage(pages.databaseId(e.window), pages.areaId(e.window), e.pageNo, e.before));
        cache.pageLsn(frame, lsn);
        e.beforeControl = e.control;
        seal(e);
        return true;
    }

    private static void checkNotDamaged(final Txn t) {
        if (t.damaged != null) {
            throw new BessException(
                    ErrorCode.CORRUPT_PAGE,
                    "transaction " + t.id + " changed a page whose before-image is garbage; it can be neither committed"
                            + " nor rolled back (restart recovery restores the committed state): " + t.damaged);
        }
    }

    /** The transaction whose recovery buffer holds a page (it may be changing it in place), or null. */
    public Txn bufferOwner(final int window, final long pageNo) {
        final Entry e = byPage.get(CacheControlDescriptor.pageKey(window, pageNo));
        return e == null ? null : e.owner;
    }

    /**
     * A dirty page is about to be written back: if it holds unlogged changes of an active transaction, log them now.
     *
     * @return the LSN the log must be durable to before the page is written.
     */
    public long beforeWriteBack(final int window, final long pageNo, final int frame) {
        final Entry e = byPage.get(CacheControlDescriptor.pageKey(window, pageNo));
        if (e != null) {
            logDiff(e);
        }
        return cache.pageLsn(frame);
    }

    /**
     * First half of a commit, under the engine latch: logs the buffered diffs and the changed catalogs, then {@code
     * COMMIT}.
     *
     * @param catalogs payloads of {@code CATALOG} records (database id + serialized catalog) of changed catalogs.
     * @return the LSN the log must be forced to before the commit is acknowledged, or 0 when nothing was logged.
     */
    public long commitAppend(final Txn t, final List<ByteBuffer> catalogs) {
        checkNotDamaged(t);
        logAll(t);
        for (final ByteBuffer c : catalogs) {
            append(t, LogRecordDescriptor.TYPE_CATALOG, c);
        }
        long commitLsn = 0;
        if (t.begun) {
            commitLsn = append(t, LogRecordDescriptor.TYPE_COMMIT, ByteBuffer.allocate(0));
            org.bess.server.FaultPoints.hit("commit.afterAppend");
        }
        active.remove(t.id);
        if (current == t) {
            current = null;
        }
        commits++;
        return commitLsn;
    }

    /**
     * Forces a committed transaction's commit record with group commit ({@link LogWriter#forceCommitAndEnd}) and
     * appends its {@code END} in the same hold of the log's lock: {@link LogWriter#forceCommit} and {@link #commitEnd}
     * in one.
     *
     * @param commitLsn the LSN {@link #commitAppend} returned (positive: the transaction logged something).
     * @throws BessException {@code STORE} when the log failed: the commit must not be acknowledged.
     */
    public void forceCommitAndEnd(final Txn t, final long commitLsn) {
        if (t.begun) {
            log.forceCommitAndEnd(commitLsn, t.id);
        } else {
            log.forceCommit(commitLsn);
        }
    }

    /**
     * Last half of a commit, after the force: the {@code END} record. Touches only {@code t} (no longer active) and the
     * thread-safe log, so it runs without the engine latch.
     */
    public void commitEnd(final Txn t) {
        if (t.begun) {
            log.append(LogRecordDescriptor.TYPE_END, (short) 0, t.id, t.lastLsn, ByteBuffer.allocate(0));
        }
    }

    /**
     * Aborts: restores buffered before-images, then undoes the transaction's logged records newest first: page diffs
     * with a {@code CLR} each, nested top actions by their logical undo followed by a {@code CLR} that skips them; then
     * {@code ABORT} and {@code END}.
     *
     * @param redoTarget applies a record's images to its page (the engine pins the page by its durable id).
     * @param structureUndo runs a nested top action's logical undo with the transaction current.
     */
    public void abort(final Txn t, final PageApplier redoTarget, final StructureUndo structureUndo) {
        current = t;
        checkNotDamaged(t);
        for (final Entry e : t.buffer.values()) {
            // a damaged image is refused, never restored: the rollback fails and the log stops (restart recovery)
            t.area.verify(e.slot);
            final int frame = cache.pinAs(e.window, e.pageNo, e.beforeControl);
            try {
                cache.wrap(view, frame).putBytes(0, e.before, 0, PAGE_LENGTH);
                cache.markDirty(frame);
            } finally {
                cache.unpin(frame);
            }
            byPage.remove(CacheControlDescriptor.pageKey(e.window, e.pageNo));
            releaseImage(e);
        }
        t.buffer.clear();
        retireArea(t);
        if (t.begun) {
            log.forceAll();
            long lsn = t.lastLsn;
            while (lsn != 0) {
                final LogRecord r = read(lsn);
                if (r.type() == LogRecordDescriptor.TYPE_PAGE_DIFF) {
                    final ByteBuffer clr = PageDiff.encodeClr(r.body(), r.prevLsn());
                    final short flags = clrFlags(r.flags());
                    final long clrLsn = append(t, LogRecordDescriptor.TYPE_CLR, flags, clr);
                    redoTarget.apply(clr, clrLsn, flags);
                    lsn = r.prevLsn();
                } else if (r.type() == LogRecordDescriptor.TYPE_NESTED_TOP_ACTION) {
                    compensate(t, r, structureUndo);
                    lsn = ntaUndoNext(r.body());
                } else if (r.type() == LogRecordDescriptor.TYPE_CLR) {
                    lsn = PageDiff.undoNext(r.body());
                } else {
                    lsn = r.prevLsn();
                }
            }
            append(t, LogRecordDescriptor.TYPE_ABORT, ByteBuffer.allocate(0));
            append(t, LogRecordDescriptor.TYPE_END, ByteBuffer.allocate(0));
        }
        active.remove(t.id);
        if (current == t) {
            current = null;
        }
        aborts++;
    }

    /**
     * Runs a nested top action's logical undo (itself logged as page diffs of the transaction, with no undo of its
     * own), then a {@code CLR} whose undo-next is the action's, so that it is never undone twice.
     */
    public void compensate(final Txn t, final LogRecord nta, final StructureUndo structureUndo) {
        current = t;
        t.compensating = true;
        try {
            structureUndo.undo(
                    nta.body().duplicate().order(ByteOrder.LITTLE_ENDIAN).position(Long.BYTES));
        } finally {
            t.compensating = false;
        }
        append(t, LogRecordDescriptor.TYPE_CLR, (short) 0, PageDiff.encodeEmptyClr(ntaUndoNext(nta.body())));
    }

    /** Forgets an adopted loser after restart recovery rolled it back. */
    public void forget(final Txn t) {
        retireArea(t);
        active.remove(t.id);
        if (current == t) {
            current = null;
        }
    }

    private LogRecord read(final long lsn) {
        final LogRecord r = new LogScanner(log.device(), log.segmentLength(), lsn).next();
        if (r == null || r.lsn() != lsn) {
            throw new BessException(ErrorCode.CORRUPT_PAGE, "cannot read log record for undo: lsn=" + lsn);
        }
        return r;
    }

    /** Runs the logical undo of a nested top action. */
    @FunctionalInterface
    public interface StructureUndo {
        /** Undoes the actions in {@code actions} (a sequence of {@link #UNDO_ACTION_LENGTH}-byte entries). */
        void undo(ByteBuffer actions);
    }

    /** Applies a CLR to its page and records the CLR's LSN as the page's LSN. */
    @FunctionalInterface
    public interface PageApplier {
        /** Applies {@code clr} (a CLR payload) logged at {@code lsn}, with the page kind in {@code flags}. */
        void apply(ByteBuffer clr, long lsn, short flags);
    }

    /** A {@code DATABASE} record payload: id and root path. */
    public static ByteBuffer databasePayload(final long databaseId, final String rootPath) {
        final byte[] path = rootPath.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(12 + path.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(databaseId)
                .putInt(path.length)
                .put(path)
                .flip();
    }
}
