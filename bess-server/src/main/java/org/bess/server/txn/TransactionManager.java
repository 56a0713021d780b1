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
 * <p>Not thread safe: the session thread only.
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
        final int window;
        final long pageNo;
        /** The page's kind now (a freed data page may come back as a control page in the same transaction). */
        boolean control;
        /** The kind of the page when the before-image was taken. */
        boolean beforeControl;

        final byte[] before = new byte[PAGE_LENGTH];

        Entry(final int window, final long pageNo, final boolean control) {
            this.window = window;
            this.pageNo = pageNo;
            this.control = control;
            this.beforeControl = control;
        }
    }

    /** Record flag of page records: after the record, the page is a control page (checksum in its header). */
    public static final short FLAG_CONTROL_PAGE = 1;
    /** Record flag of page diffs: the before images belong to a control page (the kind an undo restores). */
    public static final short FLAG_BEFORE_CONTROL_PAGE = 2;

    /** The flags of the CLR that undoes a page diff with these flags: the page goes back to its before kind. */
    public static short clrFlags(final short diffFlags) {
        return (diffFlags & FLAG_BEFORE_CONTROL_PAGE) != 0 ? FLAG_CONTROL_PAGE : 0;
    }

    private final LogWriter log;
    private final BufferCache cache;
    private final Pages pages;
    private final int bufferPages;
    private final Map<Long, Entry> buffer = new LinkedHashMap<>();
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final int[] ranges = new int[2 * PAGE_LENGTH / Long.BYTES];
    private long nextTxnId;
    private long txnId;
    private long lastLsn;
    private boolean begun;
    private long commits;
    private long aborts;
    private long diffBytes;
    private long changedBytes;

    /**
     * @param nextTxnId the first transaction id to hand out (above every id in the log).
     * @param bufferPages pages the recovery buffer holds before it is logged early.
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

    /** Starts a transaction. */
    public long begin() {
        if (txnId != 0) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "a transaction is already active: txn=" + txnId);
        }
        txnId = nextTxnId++;
        lastLsn = 0;
        begun = false;
        return txnId;
    }

    /** The active transaction, or 0. */
    public long active() {
        return txnId;
    }

    /** Whether the active transaction changed anything. */
    public boolean changed() {
        return begun;
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

    private long append(final short type, final ByteBuffer payload) {
        return append(type, (short) 0, payload);
    }

    private long append(final short type, final short flags, final ByteBuffer payload) {
        if (!begun) {
            begun = true;
            lastLsn = log.append(LogRecordDescriptor.TYPE_BEGIN, (short) 0, txnId, 0, ByteBuffer.allocate(0));
        }
        lastLsn = log.append(type, flags, txnId, lastLsn, payload);
        return lastLsn;
    }

    /**
     * The first write of the active transaction to a page: copy to the recovery buffer (logging a full image of a
     * clean page first); the caller then marks the frame dirty.
     *
     * @param frame the page's frame, pinned by the caller.
     */
    public void onFirstWrite(final int window, final long pageNo, final int frame) {
        if (txnId == 0) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE,
                    "page changed outside a transaction: window=" + window + ", page=" + pageNo);
        }
        final long key = CacheControlDescriptor.pageKey(window, pageNo);
        final Entry existing = buffer.get(key);
        if (existing != null) {
            existing.control = cache.isControl(frame);
            return;
        }
        if (buffer.size() >= bufferPages) {
            logBuffer();
            pages.protectWrittenFrames();
        }
        final Entry e = new Entry(window, pageNo, cache.isControl(frame));
        cache.wrap(view, frame).getBytes(0, e.before);
        if (!cache.isDirty(frame)) {
            final long lsn = append(
                    LogRecordDescriptor.TYPE_FULL_PAGE,
                    e.control ? FLAG_CONTROL_PAGE : 0,
                    PageDiff.encodeFullPage(pages.databaseId(window), pages.areaId(window), pageNo, e.before));
            cache.pageLsn(frame, lsn);
        }
        buffer.put(key, e);
    }

    /**
     * Logs every buffered page's diff and empties the buffer (the frames stay dirty), except for pages the engine has
     * pinned right now: it may be in the middle of changing one of them after its update-path call, so such an entry
     * stays, with its before-image refreshed to what was just logged.
     */
    private void logBuffer() {
        final java.util.Iterator<Entry> it = buffer.values().iterator();
        while (it.hasNext()) {
            final Entry e = it.next();
            logDiff(e);
            final int frame = cache.frameOf(e.window, e.pageNo);
            if (frame < 0 || cache.pinCount(frame) == 0) {
                it.remove();
            }
        }
    }

    /** Logs every buffered page's diff and empties the buffer (commit: nothing is in the middle of a change). */
    private void logAll() {
        for (final Entry e : buffer.values()) {
            logDiff(e);
        }
        buffer.clear();
    }

    private void logDiff(final Entry e) {
        final int frame = cache.pin(e.window, e.pageNo, e.control);
        try {
            cache.wrap(view, frame);
            final int count = PageDiff.ranges(e.before, view, ranges);
            if (count == 0) {
                return;
            }
            final ByteBuffer payload = PageDiff.encodeDiff(
                    pages.databaseId(e.window), pages.areaId(e.window), e.pageNo, e.before, view, ranges, count);
            final short flags =
                    (short) ((e.control ? FLAG_CONTROL_PAGE : 0) | (e.beforeControl ? FLAG_BEFORE_CONTROL_PAGE : 0));
            final long lsn = append(LogRecordDescriptor.TYPE_PAGE_DIFF, flags, payload);
            diffBytes += LogRecordDescriptor.recordLength(payload.remaining());
            changedBytes += PageDiff.changedBytes(payload);
            cache.pageLsn(frame, lsn);
            view.getBytes(0, e.before);
            e.beforeControl = e.control;
        } finally {
            cache.unpin(frame);
        }
    }

    /**
     * A dirty page is about to be written back: if it holds unlogged changes of the active transaction, log them now.
     *
     * @return the LSN the log must be durable to before the page is written.
     */
    public long beforeWriteBack(final int window, final long pageNo, final int frame) {
        final Entry e = buffer.get(CacheControlDescriptor.pageKey(window, pageNo));
        if (e != null) {
            logDiff(e);
        }
        return cache.pageLsn(frame);
    }

    /**
     * Commits: logs the buffered diffs and the changed catalogs, then {@code COMMIT}, and returns once it is durable.
     *
     * @param catalogs payloads of {@code CATALOG} records (database id + serialized catalog) of changed catalogs.
     */
    public void commit(final List<ByteBuffer> catalogs) {
        checkActive();
        logAll();
        for (final ByteBuffer c : catalogs) {
            append(LogRecordDescriptor.TYPE_CATALOG, c);
        }
        if (begun) {
            final long commitLsn = append(LogRecordDescriptor.TYPE_COMMIT, ByteBuffer.allocate(0));
            org.bess.server.FaultPoints.hit("commit.afterAppend");
            log.force(commitLsn);
            org.bess.server.FaultPoints.hit("commit.afterForce");
            append(LogRecordDescriptor.TYPE_END, ByteBuffer.allocate(0));
        }
        commits++;
        txnId = 0;
    }

    /**
     * Aborts: restores buffered before-images, then undoes the transaction's logged diffs newest first, writing a
     * {@code CLR} for each, then {@code ABORT} and {@code END}.
     *
     * @param redoTarget applies a record's images to its page (the engine pins the page by its durable id).
     */
    public void abort(final PageApplier redoTarget) {
        checkActive();
        for (final Entry e : buffer.values()) {
            final int frame = cache.pinAs(e.window, e.pageNo, e.beforeControl);
            try {
                cache.wrap(view, frame).putBytes(0, e.before);
                cache.markDirty(frame);
            } finally {
                cache.unpin(frame);
            }
        }
        buffer.clear();
        if (begun) {
            log.forceAll();
            long lsn = lastLsn;
            final List<LogRecord> chain = new ArrayList<>();
            while (lsn != 0) {
                final LogRecord r = read(lsn);
                chain.add(r);
                lsn = r.prevLsn();
            }
            for (final LogRecord r : chain) {
                if (r.type() == LogRecordDescriptor.TYPE_PAGE_DIFF) {
                    final ByteBuffer clr = PageDiff.encodeClr(r.body(), r.prevLsn());
                    final short flags = clrFlags(r.flags());
                    final long clrLsn = append(LogRecordDescriptor.TYPE_CLR, flags, clr);
                    redoTarget.apply(clr, clrLsn, flags);
                }
            }
            append(LogRecordDescriptor.TYPE_ABORT, ByteBuffer.allocate(0));
            append(LogRecordDescriptor.TYPE_END, ByteBuffer.allocate(0));
        }
        aborts++;
        txnId = 0;
    }

    private LogRecord read(final long lsn) {
        final LogRecord r = new LogScanner(log.device(), log.segmentLength(), lsn).next();
        if (r == null || r.lsn() != lsn) {
            throw new BessException(ErrorCode.CORRUPT_PAGE, "cannot read log record for undo: lsn=" + lsn);
        }
        return r;
    }

    private void checkActive() {
        if (txnId == 0) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "no active transaction");
        }
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
