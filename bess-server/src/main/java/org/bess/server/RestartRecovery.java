package org.bess.server;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.server.cache.BufferCache;
import org.bess.server.log.LogRecord;
import org.bess.server.log.LogScanner;
import org.bess.server.log.LogWriter;
import org.bess.server.txn.PageDiff;
import org.bess.server.txn.TransactionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restart recovery in the ARIES manner, from the last checkpoint (redo starts at the smallest recovery LSN of its
 * dirty page table; analysis and redo run inside the log's open scan, one reading of the log):
 *
 * <ol>
 *   <li>analysis: which databases the log names, which transactions committed, ended or are losers, and the last
 *       committed catalog of each database;
 *   <li>redo, repeating history: every page record (full page image, page diff after images, compensation) is applied
 *       in LSN order; applying byte images is idempotent, so pages already on disk are simply rewritten, and a torn
 *       page is restored from the full page image logged when it was last made dirty;
 *   <li>undo of losers, newest record first across all losers: each page diff is undone with its before images and a
 *       compensation record (CLR) whose undo-next is the diff's previous LSN, so a crash during undo resumes where it
 *       stopped and never undoes twice; then {@code ABORT} and {@code END};
 *   <li>the recovered catalogs are installed, and a fuzzy checkpoint writes back the pages the log cannot rebuild from
 *       a full image (redo rebuilt them from diffs, or undo changed them); the others stay dirty, listed in the
 *       checkpoint's dirty page table with their last image as recovery LSN (see {@link RedoPages}).
 * </ol>
 *
 * Checksums are not verified while redo and undo rewrite pages; everything they touched is stamped again when written
 * back. Not thread safe: runs before the session is handed out.
 */
final class RestartRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(RestartRecovery.class);

    private static final int ACTIVE = 0;
    private static final int COMMITTED = 1;
    private static final int ENDED = 2;

    private static final class Txn {
        int status = ACTIVE;
        long lastLsn;
        Map<Long, byte[]> catalogs;
    }

    /** Pages with an image in the log before frames are populated ahead of redo (a short log does not). */
    private static final int PREFAULT_MIN_PAGES = 256;

    private static final boolean MULTI_CORE = Runtime.getRuntime().availableProcessors() > 1;

    private RestartRecovery() {}

    private static long firstLsn(final LogWriter log) {
        final List<Long> segments = log.device().segments();
        return (segments.isEmpty() ? 0 : segments.get(0)) * log.segmentLength()
                + LogSegmentHeaderDescriptor.HEADER_LENGTH;
    }

    /**
     * Analysis, fed record by record by the log's open scan ({@link LogWriter#open}): the scan that finds the end of
     * the log is also the analysis pass and finds the next transaction id, and, with {@link #redoInScan}, the redo
     * pass too ({@link ScanRedo}), so restart reads the log once. Analysis starts at the checkpoint the master record
     * names (earlier records are only checked by the scan, and redone from the redo start on), or at the first record
     * when there is no master record. When the master record names something that is not a valid checkpoint record,
     * {@link #finish} analyses again from the start of the log, and redo is a pass of its own, as before.
     */
    static final class Analysis implements LogScanner.Visitor {
        private final long master;

        private boolean started;
        /** Where analysis started: the checkpoint, or the first record (-1 before it started). */
        private long start = -1;
        /** Where redo starts: the smallest recovery LSN of the checkpoint's dirty page table, or {@link #start}. */
        private long redoStart = Long.MAX_VALUE;
        /** The end of the valid log. */
        private long end;

        private long nextTxnId = 1;
        private long pageRecords;
        private final Map<Long, Txn> txns = new LinkedHashMap<>();
        /** The transaction of the previous record (records of one transaction mostly come together). */
        private long lastTxnId;

        private Txn lastTxn;
        private final Map<Long, String> paths = new LinkedHashMap<>();
        private final Map<Long, byte[]> catalogs = new HashMap<>();
        /** The last full page image of each page in the log (redo passes over what they replace). */
        private final PageImages images = new PageImages();
        /** The cache whose frames redo will fill (null: none populated ahead). */
        private final BufferCache cache;
        /** Populates frames ahead of redo once the log shows enough pages to redo (null until then). */
        private FramePrefault prefault;
        /**
         * Redo inside the scan (one pass), from {@link #redoFrom}; null when redo is a pass of its own, and until the
         * scan meets the first page record to redo (a clean log starts no applier thread).
         */
        private ScanRedo redo;
        /** Where redo inside the scan starts (known before the scan: the master record's checkpoint). */
        private long redoFrom = Long.MAX_VALUE;
        /** Whether the scan redoes ({@link #redoInScan}), and for which engine and log. */
        private boolean redoing;

        private BessServer redoServer;
        private LogWriter redoLog;

        /** An analysis that starts at the checkpoint record at {@code master} (-1: at the first record). */
        Analysis(final long master) {
            this(master, null);
        }

        private Analysis(final long master, final BufferCache cache) {
            this.master = master;
            this.cache = cache;
        }

        /**
         * An analysis for the log in {@code logDir}, starting at its master record's checkpoint; while it runs, the
         * frames of {@code cache} that redo will take are populated on a second thread ({@link FramePrefault}, stopped
         * by {@link #stopPrefault()}).
         */
        static Analysis forLog(final Path logDir, final BufferCache cache) {
            return new Analysis(MasterRecord.read(logDir), cache);
        }

        /** Stops populating frames ahead of redo (idempotent); before the cache closes, on every path. */
        void stopPrefault() {
            if (prefault != null) {
                prefault.close();
            }
        }

        /** A full page image in the log: redo will probably bring its page into a frame. */
        private void onImage() {
            final int pages = images.count();
            if (prefault == null && pages >= PREFAULT_MIN_PAGES && cache != null && MULTI_CORE) {
                prefault = FramePrefault.start(cache);
            }
            if (prefault != null) {
                // the pages the databases' opening reads take the first frames
                prefault.upTo(pages + PREFAULT_MIN_PAGES);
                if (redo != null) {
                    redo.pages.prefault(prefault);
                }
            }
        }

        /**
         * Makes the scan redo too (one pass over the log): redo's start is known before the scan when the master
         * record names a valid checkpoint record (read here, one record): the smallest recovery LSN of its dirty page
         * table, or the checkpoint; with no master record, the first record. Records from there on are redone as the
         * scan verifies them (every record the scan shows is valid: the log's end is the first invalid one), the
         * databases opened at their first page record (named by the checkpoint or a {@code DATABASE} record met on the
         * way). When the master record names no valid checkpoint, nothing is redone in the scan: redo stays a pass of
         * its own after the analysis of the whole log.
         *
         * @return false when redo cannot run inside the scan.
         */
        boolean redoInScan(final BessServer server, final LogWriter log) {
            final long first = firstLsn(log);
            if (master >= 0) {
                final LogRecord cp;
                try {
                    cp = new LogScanner(log.device(), log.segmentLength(), master).next();
                } catch (final RuntimeException e) {
                    return false;
                }
                if (cp == null || cp.lsn() != master || cp.type() != LogRecordDescriptor.TYPE_CHECKPOINT) {
                    return false;
                }
                redoFrom = Math.max(first, Math.min(master, checkpointRedoStart(cp.body(), paths)));
            } else {
                redoFrom = first;
            }
            redoServer = server;
            redoLog = log;
            redoing = true;
            return true;
        }

        @Override
        public void release() {
            if (redo != null) {
                redo.release();
            }
        }

        /** Stops redo inside the scan, if any (idempotent): its applier's thread, its table (the pages' LSNs). */
        void closeRedo() {
            if (redo != null) {
                redo.close();
            }
        }

        @Override
        public void visit(final LogScanner r) {
            final short type = r.type();
            if (type == LogRecordDescriptor.TYPE_FULL_PAGE) {
                // every image counts, before the checkpoint too: redo starts at the oldest recovery LSN, before it
                images.onFullPage(r.buffer(), r.payloadOffset(), r.lsn());
                onImage();
            }
            if (redoing && r.lsn() >= redoFrom) {
                if (redo == null && isPageRecord(type)) {
                    redo = new ScanRedo(redoServer, redoLog, this, redoFrom);
                    if (prefault != null) {
                        redo.pages.prefault(prefault);
                    }
                }
                if (redo != null) {
                    redo.visit(r, type);
                }
            }
            if (!started) {
                if (master >= 0 && (r.lsn() != master || type != LogRecordDescriptor.TYPE_CHECKPOINT)) {
                    // before the checkpoint: the open scan checks these records, analysis needs none of them
                    return;
                }
                started = true;
                start = r.lsn();
            }
            final long txnId = r.txnId();
            nextTxnId = Math.max(nextTxnId, txnId + 1);
            switch (type) {
                case LogRecordDescriptor.TYPE_PAGE_DIFF,
                        LogRecordDescriptor.TYPE_FULL_PAGE,
                        LogRecordDescriptor.TYPE_CLR -> {
                    pageRecords++;
                    if (txnId != 0) {
                        touch(txnId, r.lsn());
                    }
                }
                case LogRecordDescriptor.TYPE_DATABASE -> {
                    final ByteBuffer b = payload(r);
                    final long id = b.getLong();
                    final byte[] path = new byte[b.getInt()];
                    b.get(path);
                    paths.put(id, new String(path, StandardCharsets.UTF_8));
                }
                case LogRecordDescriptor.TYPE_CHECKPOINT -> checkpoint(r.lsn(), payload(r));
                case LogRecordDescriptor.TYPE_CATALOG -> {
                    final ByteBuffer b = payload(r);
                    final long id = b.getLong();
                    final byte[] bytes = new byte[b.remaining()];
                    b.get(bytes);
                    final Txn t = touch(txnId, r.lsn());
                    if (t.catalogs == null) {
                        t.catalogs = new HashMap<>();
                    }
                    t.catalogs.put(id, bytes);
                }
                case LogRecordDescriptor.TYPE_COMMIT -> {
                    final Txn t = touch(txnId, r.lsn());
                    t.status = COMMITTED;
                    if (t.catalogs != null) {
                        catalogs.putAll(t.catalogs);
                        t.catalogs = null;
                    }
                }
                case LogRecordDescriptor.TYPE_END -> {
                    // an ended transaction needs nothing more (nothing of it follows its END): forget it, a long log
                    // holds many
                    txns.remove(txnId);
                    lastTxnId = 0;
                    lastTxn = null;
                }
                default -> {
                    if (txnId != 0) {
                        touch(txnId, r.lsn());
                    }
                }
            }
            end = r.lsn() + r.length();
        }

        private static ByteBuffer payload(final LogScanner r) {
            return r.payload();
        }

        private void checkpoint(final long lsn, final ByteBuffer b) {
            nextTxnId = Math.max(nextTxnId, b.getLong());
            final int count = b.getInt();
            for (int i = 0; i < count; i++) {
                final long id = b.getLong();
                final byte[] path = new byte[b.getInt()];
                b.get(path);
                paths.put(id, new String(path, StandardCharsets.UTF_8));
            }
            // transactions active at the checkpoint: their earlier records are reached by their back chains
            if (lsn == start && b.remaining() >= Integer.BYTES) {
                final int active = b.getInt();
                for (int i = 0; i < active; i++) {
                    final long id = b.getLong();
                    final long lastLsn = b.getLong();
                    txns.computeIfAbsent(id, k -> new Txn()).lastLsn = lastLsn;
                }
                // the dirty page table: redo starts at the smallest recovery LSN
                if (b.remaining() >= Integer.BYTES) {
                    final int dirty = b.getInt();
                    for (int i = 0; i < dirty; i++) {
                        b.getLong();
                        b.getInt();
                        b.getLong();
                        final long recLsn = b.getLong();
                        if (recLsn > 0 && recLsn < redoStart) {
                            redoStart = recLsn;
                        }
                        pageRecords++;
                    }
                }
            }
        }

        /**
         * The smallest recovery LSN of a checkpoint record's dirty page table (Long.MAX_VALUE: none), putting the
         * databases it names into {@code paths}.
         */
        private static long checkpointRedoStart(final ByteBuffer b, final Map<Long, String> paths) {
            b.getLong();
            final int count = b.getInt();
            for (int i = 0; i < count; i++) {
                final long id = b.getLong();
                final byte[] path = new byte[b.getInt()];
                b.get(path);
                paths.put(id, new String(path, StandardCharsets.UTF_8));
            }
            long redoStart = Long.MAX_VALUE;
            if (b.remaining() >= Integer.BYTES) {
                final int active = b.getInt();
                b.position(b.position() + active * 2 * Long.BYTES);
                if (b.remaining() >= Integer.BYTES) {
                    final int dirty = b.getInt();
                    for (int i = 0; i < dirty; i++) {
                        b.getLong();
                        b.getInt();
                        b.getLong();
                        final long recLsn = b.getLong();
                        if (recLsn > 0 && recLsn < redoStart) {
                            redoStart = recLsn;
                        }
                    }
                }
            }
            return redoStart;
        }

        private Txn touch(final long txnId, final long lsn) {
            Txn t = txnId == lastTxnId ? lastTxn : null;
            if (t == null) {
                t = txns.get(txnId);
                if (t == null) {
                    t = new Txn();
                    txns.put(txnId, t);
                }
                lastTxnId = txnId;
                lastTxn = t;
            }
            t.lastLsn = lsn;
            return t;
        }

        /** The first transaction id above every id since the checkpoint (and the checkpoints' own). */
        long nextTxnId() {
            return nextTxnId;
        }

        /**
         * Completes the analysis after the log's open scan: the end of the log, and, when the master record named no
         * checkpoint the scan met, a new analysis from the start of the log (one more scan).
         *
         * @return the completed analysis (this one or the new one).
         */
        Analysis finish(final LogWriter log) {
            final long logEnd = log.endLsn();
            if (!started && master >= 0) {
                final Analysis again = new Analysis(-1);
                try (LogScanner s = LogScanner.sequential(log.device(), log.segmentLength(), firstLsn(log))
                        .checkedUpTo(logEnd)) {
                    while (s.advance() && s.lsn() < logEnd) {
                        again.visit(s);
                    }
                }
                final Analysis done = again.finish(log);
                done.prefault = prefault;
                return done;
            }
            if (!started) {
                start = firstLsn(log);
            }
            end = logEnd;
            redoStart = Math.min(redoStart, start);
            txns.values().removeIf(t -> t.status != ACTIVE);
            return this;
        }
    }

    /**
     * Redo inside the log's open scan (one pass over the log for analysis and redo): each page record from the redo
     * start on is applied through {@link RedoPages} as soon as the scan verified it (a record the scan shows is whole
     * and valid, and the log's end is the first one that is not, so no record past the end is ever applied). A page's
     * database is opened at its first record (named by the master record's checkpoint or by a {@code DATABASE} record
     * met before); its {@code DATABASE} record is logged once the scan found the log's end. The records' images are
     * written into the frames by a {@link RedoApplier}, drained before the scan's window moves on ({@link
     * #release()}) and stopped by {@link #close()} on every path.
     */
    static final class ScanRedo {
        private final BessServer server;
        private final Analysis analysis;
        private final RedoApplier applier;
        private final RedoPages pages;
        private final long start;
        private final long every = Long.getLong("bess.recovery.progress.bytes", 64L << 20);
        private long nextReport;
        /** The log bytes from the redo start to the end of the last segment file (the log's end is not known yet). */
        private final long total;
        /** Page records applied. */
        private long redone;
        /** Time spent opening databases. */
        private long openNanos;
        /** Databases by id: true opened here, false gone (their root area file is missing). */
        private final Map<Long, Boolean> states = new HashMap<>();
        /** The databases opened here, whose {@code DATABASE} records are logged once the log is open. */
        private final List<EngineDatabase> opened = new java.util.ArrayList<>();
        /** The last database found open (its records go straight to redo). */
        private long lastReady;

        private boolean closed;

        ScanRedo(final BessServer server, final LogWriter log, final Analysis analysis, final long start) {
            this.server = server;
            this.analysis = analysis;
            this.start = start;
            this.nextReport = start + every;
            final List<Long> segments = log.device().segments();
            final long last = segments.isEmpty() ? 0 : segments.get(segments.size() - 1);
            this.total = Math.max(
                    0,
                    last * log.segmentLength()
                            + (segments.isEmpty() ? 0 : log.device().size(last))
                            - start);
            this.applier = redoApplier();
            try {
                this.pages = new RedoPages(
                        server.cache(), server.pages(), server.windowPages(), null, start, Long.MAX_VALUE, applier);
            } catch (final RuntimeException e) {
                applier.close();
                throw e;
            }
        }

        /** A record at or after the redo start, just verified by the scan. */
        void visit(final LogScanner r, final short type) {
            if (isPageRecord(type)) {
                final long databaseId = r.buffer().getLong(r.payloadOffset());
                if (databaseId != 0 && (databaseId == lastReady || ready(databaseId)) && pages.apply(r)) {
                    redone++;
                    FaultPoints.hit("recovery.redoRecord");
                }
            }
            if (r.lsn() >= nextReport) {
                LOG.info("recovery: redo processed {} of {} log bytes", r.lsn() - start, total);
                nextReport += every;
            }
        }

        /** Whether the database is open (opened now at its first record); false: its records are skipped. */
        private boolean ready(final long databaseId) {
            Boolean state = states.get(databaseId);
            if (state == null) {
                final String path = analysis.paths.get(databaseId);
                if (path == null) {
                    // not named (yet): skipped, as the records of a database that is not open
                    return false;
                }
                if (!Files.exists(Path.of(path))) {
                    LOG.warn("recovery: database named in the log is gone, its records are skipped: path={}", path);
                    states.put(databaseId, false);
                    return false;
                }
                // opening pins pages (the root header, the catalog): records pending land first, frames are checked
                // again after
                pages.beforeOtherPins();
                final long t0 = System.nanoTime();
                final EngineDatabase db = server.openDatabase(Path.of(path), false);
                openNanos += System.nanoTime() - t0;
                if (!opened.contains(db)) {
                    opened.add(db);
                }
                states.put(databaseId, true);
                state = true;
            }
            if (state) {
                lastReady = databaseId;
            }
            return state;
        }

        /** Whether the scan opened this database or found it gone. */
        boolean handled(final long databaseId) {
            return states.containsKey(databaseId);
        }

        /** Every record handed to the applier lands (the scan's window is about to move on, or the scan ended). */
        void release() {
            if (!closed) {
                applier.drain();
            }
        }

        /** Gives the redone pages their LSNs and stops the applier's thread (idempotent). */
        void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                pages.close();
            } finally {
                applier.close();
            }
        }
    }

    /**
     * Recovers the databases the log names, inside the session, before it is handed out: runs the log's open scan
     * (analysis, and redo in the same pass when it can), then redo as a pass of its own when the scan could not, undo
     * and the end-of-recovery checkpoint.
     *
     * @return a one-line summary, or null when the log ended with a clean checkpoint.
     */
    static String run(final BessServer server) {
        final Analysis analysis = server.takeRecoveryAnalysis();
        try {
            return run(server, analysis);
        } finally {
            analysis.stopPrefault();
            analysis.closeRedo();
        }
    }

    /** Whether redo may run inside the log's open scan (property {@code bess.recovery.one.pass}, true by default). */
    private static boolean onePass() {
        return !"false".equals(System.getProperty("bess.recovery.one.pass"));
    }

    private static String run(final BessServer server, final Analysis scanned) {
        final LogWriter log = server.log();
        final BufferCache cache = server.cache();
        final long scanStarted = System.nanoTime();
        // checksums are not verified while redo and undo rewrite pages (from the scan on, when it redoes)
        cache.verifying(false);
        try {
            final boolean inScan = onePass() && scanned.redoInScan(server, log);
            try {
                log.open(scanned);
            } finally {
                // the applier's thread stopped and the redone pages' LSNs set, on every path
                scanned.closeRedo();
            }
            final Analysis analysis = scanned.finish(log);
            final long scanned2 = System.nanoTime();
            server.logOpened(analysis.nextTxnId());
            // redo inside the scan covered the whole redo stretch only when the scan reached the master record's
            // checkpoint (else the analysis ran again from the start of the log, and so does redo, below)
            final ScanRedo inScanRedo = inScan ? scanned.redo : null;
            final boolean redoneInScan = inScan && analysis == scanned;
            if (inScanRedo != null) {
                for (final EngineDatabase db : inScanRedo.opened) {
                    db.logDatabase();
                }
            }
            return recover(server, analysis, inScanRedo, redoneInScan, scanned2 - scanStarted);
        } finally {
            cache.verifying(true);
        }
    }

    private static String recover(
            final BessServer server,
            final Analysis analysis,
            final ScanRedo inScanRedo,
            final boolean redoneInScan,
            final long scanNanos) {
        final LogWriter log = server.log();
        final long start = analysis.start;
        final long end = analysis.end;
        final Map<Long, Txn> txns = analysis.txns;
        final Map<Long, String> paths = analysis.paths;
        final Map<Long, byte[]> catalogs = analysis.catalogs;
        final boolean work = analysis.pageRecords > 0 || !txns.isEmpty() || !catalogs.isEmpty();
        if (!work) {
            return null;
        }
        FaultPoints.hit("recovery.afterAnalysis");
        final long began = System.nanoTime();
        for (final Map.Entry<Long, String> e : paths.entrySet()) {
            if (inScanRedo != null && inScanRedo.handled(e.getKey())) {
                continue;
            }
            if (Files.exists(Path.of(e.getValue()))) {
                server.openDatabase(Path.of(e.getValue()));
            } else {
                LOG.warn("recovery: database named in the log is gone, its records are skipped: path={}", e.getValue());
            }
        }
        final long opened = System.nanoTime();
        final long redoStart;
        final long[] redone;
        if (redoneInScan) {
            redoStart = analysis.redoFrom;
            redone = new long[] {inScanRedo == null ? 0 : inScanRedo.redone, 0};
        } else {
            redoStart = Math.max(firstLsn(log), analysis.redoStart);
            redone = redo(server, log, analysis.images, redoStart, end, analysis.prefault);
        }
        analysis.stopPrefault();
        // before anything pins a page-info page with verification off: a page-info page garbled by the power cut
        // would get new entries on top of its garbage and be written back with a valid checksum, and the repair
        // below would no longer see it
        int repaired = repairPageInfo(server, paths);
        // nothing is written back here: a crash from now on redoes the same log from the same checkpoint (byte
        // images, applied again in LSN order), whatever reached the disk meanwhile
        final long redoEnded = System.nanoTime();
        FaultPoints.hit("recovery.afterRedo");
        final long undoStarted = System.nanoTime();
        final int losers = undo(server, log, txns, redoStart);
        final long undoEnded = System.nanoTime();
        FaultPoints.hit("recovery.afterUndo");
        for (final Map.Entry<Long, byte[]> e : catalogs.entrySet()) {
            final EngineDatabase db = server.databaseById(e.getKey());
            if (db != null) {
                db.installRecoveredCatalog(e.getValue());
            }
        }
        repaired += repairPageInfo(server, paths);
        if (repaired > 0) {
            LOG.info("recovery: rebuilt {} page-info page(s) that failed their checksum", repaired);
        }
        server.cache().verifying(true);
        for (final Map.Entry<Long, String> e : paths.entrySet()) {
            final EngineDatabase db = server.databaseById(e.getKey());
            if (db != null) {
                db.afterPagesRestored();
            }
        }
        for (final Map.Entry<Long, String> e : paths.entrySet()) {
            final EngineDatabase db = server.databaseById(e.getKey());
            if (db != null) {
                db.releasePendingCatalog();
            }
        }
        // a redo inside the scan that stopped short of the master record's checkpoint gave the pages it touched
        // recovery LSNs of its own stretch, not of the redo from the start that followed: every page is written back
        final long writeBackBelow = inScanRedo != null && !redoneInScan ? Long.MAX_VALUE : redoStart + 1;
        endOfRecovery(server, writeBackBelow, !catalogs.isEmpty());
        FaultPoints.hit("recovery.afterCheckpoint");
        final long ended = System.nanoTime();
        final long openNanos = opened - began + (inScanRedo == null ? 0 : inScanRedo.openNanos);
        final String summary = String.format(
                java.util.Locale.ROOT,
                "recovered: log bytes %d, page records redone %d (%d passed over: a later full image replaces"
                        + " them), losers rolled back %d, in %d ms (log scan and analysis %d ms%s, opening databases"
                        + " %d ms, redo %d ms, undo %d ms, checkpoints %d ms)%s",
                end - start,
                redone[0],
                redone[1],
                losers,
                (scanNanos + ended - began) / 1_000_000,
                scanNanos / 1_000_000,
                redoneInScan ? " with redo in the same pass" : "",
                openNanos / 1_000_000,
                (redoEnded - opened) / 1_000_000,
                (undoEnded - undoStarted) / 1_000_000,
                (ended - redoEnded - (undoEnded - undoStarted)) / 1_000_000,
                prefaulted(analysis.prefault, server.cache().frameCount()));
        LOG.info(summary);
        return summary;
    }

    /** What the frame population ahead of redo did, for the summary ("" when it did not run). */
    private static String prefaulted(final FramePrefault prefault, final int frames) {
        return prefault == null
                ? ""
                : String.format(
                        java.util.Locale.ROOT,
                        "; cache frames populated ahead %d (target %d of %d)",
                        prefault.populated(),
                        prefault.target(),
                        frames);
    }

    /**
     * The end of recovery writes back only what the log cannot rebuild from a full page image: the pages redo rebuilt
     * from diffs alone and those undo changed (their recovery LSN is the start of redo, below {@code writeBackBelow}),
     * and the pages that are never logged (page-info, catalog and area header pages); then it forces the areas. The
     * pages redo rebuilt from an image stay dirty with that image as recovery LSN, and reach the disk by normal
     * write-back (the write-ahead rule holds: their records are in the durable log).
     *
     * <p>Without catalogs to store, a fuzzy checkpoint follows, whose dirty page table lists those pages: the next
     * restart redoes from the oldest image. With catalogs to store there is no checkpoint: storing a catalog writes a
     * new chain of unlogged pages into blocks that records before it may have described as other pages, so it needs a
     * checkpoint that leaves nothing older to redo (a full one, which would write every page back); the master record
     * keeps naming the checkpoint this restart started from, so a crash redoes the same log again, and the catalogs
     * are stored by the engine's next checkpoint, which is then full (at the latest at close).
     */
    private static void endOfRecovery(
            final BessServer server, final long writeBackBelow, final boolean catalogsToStore) {
        if (catalogsToStore) {
            server.log().forceAll();
            server.cache().checkpointFuzzy(writeBackBelow);
        } else {
            server.checkpointNow(true, writeBackBelow);
        }
    }

    /** Rebuilds the page-info pages of every recovered database that fail their checksum. */
    private static int repairPageInfo(final BessServer server, final Map<Long, String> paths) {
        int repaired = 0;
        for (final Map.Entry<Long, String> e : paths.entrySet()) {
            final EngineDatabase db = server.databaseById(e.getKey());
            if (db != null) {
                for (final org.bess.server.area.StorageArea a : db.openAreas()) {
                    repaired += a.repairPageInfo();
                }
            }
        }
        return repaired;
    }

    private static boolean isPageRecord(final short type) {
        return type == LogRecordDescriptor.TYPE_PAGE_DIFF
                || type == LogRecordDescriptor.TYPE_FULL_PAGE
                || type == LogRecordDescriptor.TYPE_CLR;
    }

    /**
     * Redo: one sequential pass from {@code start} to the end the open scan found (whose checksums it verified), each
     * page record applied in place through {@link RedoPages}, except those a later full image of their page replaces.
     *
     * @return {records applied, records passed over}.
     */
    private static long[] redo(
            final BessServer server,
            final LogWriter log,
            final PageImages images,
            final long start,
            final long end,
            final FramePrefault prefault) {
        long redone = 0;
        final long every = Long.getLong("bess.recovery.progress.bytes", 64L << 20);
        long nextReport = start + every;
        // closed in reverse order: the table, then the applier's thread (stopped on every path), then the mapping
        try (LogScanner scanner = LogScanner.sequential(log.device(), log.segmentLength(), start)
                        .checkedUpTo(end);
                RedoApplier applier = redoApplier();
                RedoPages pages = new RedoPages(
                        server.cache(), server.pages(), server.windowPages(), images, start, end, applier)) {
            scanner.beforeMove(applier::drain);
            pages.prefault(prefault);
            while (scanner.advance() && scanner.lsn() < end) {
                if (isPageRecord(scanner.type()) && pages.apply(scanner)) {
                    redone++;
                    FaultPoints.hit("recovery.redoRecord");
                }
                if (scanner.lsn() >= nextReport) {
                    LOG.info("recovery: redo processed {} of {} log bytes", scanner.lsn() - start, end - start);
                    nextReport += every;
                }
            }
            // every page holds its records before anyone reads it (page-info repair, undo)
            applier.drain();
            return new long[] {redone, pages.superseded()};
        }
    }

    /**
     * Redo writes the records' images into the pages on a second thread when the machine has more than one processor
     * (property {@code bess.recovery.redo.threads}: 2 by default there, 1 to apply on the recovering thread).
     */
    private static RedoApplier redoApplier() {
        final int threads = Integer.getInteger(
                "bess.recovery.redo.threads", Runtime.getRuntime().availableProcessors() > 1 ? 2 : 1);
        return threads > 1 ? RedoApplier.threaded() : RedoApplier.inline();
    }

    /** Applies a page record's images; false when its database or area is not open (skipped). */
    private static boolean apply(
            final BessServer server,
            final ByteBuffer body,
            final long lsn,
            final short flags,
            final short type,
            final boolean redo,
            final long recLsn) {
        final long[] id = PageDiff.pageId(body);
        if (id[0] == 0) {
            // the CLR that ends the undo of a nested top action changes no page
            return false;
        }
        final TransactionManager.Pages pages = server.pages();
        final int window = pages.window(id[0], (int) id[1]);
        if (window < 0 || id[2] >= server.windowPages()) {
            return false;
        }
        final BufferCache cache = server.cache();
        final int frame = cache.pinAs(window, id[2], (flags & TransactionManager.FLAG_CONTROL_PAGE) != 0);
        try {
            final UnsafeBuffer page = cache.wrap(new UnsafeBuffer(0, 0), frame);
            switch (type) {
                case LogRecordDescriptor.TYPE_FULL_PAGE -> PageDiff.applyFullPage(body, page);
                case LogRecordDescriptor.TYPE_CLR -> PageDiff.applyClr(body, page);
                default -> PageDiff.applyDiff(body, page, redo);
            }
            // no full image of the page follows: a clean page gets the start of redo as its recovery LSN, so that
            // the end-of-recovery checkpoint writes it back
            cache.markDirty(frame, recLsn);
            cache.pageLsn(frame, lsn);
        } finally {
            cache.unpin(frame);
        }
        return true;
    }

    private static int undo(
            final BessServer server, final LogWriter log, final Map<Long, Txn> losers, final long redoStart) {
        final Map<Long, long[]> state = new LinkedHashMap<>();
        for (final Map.Entry<Long, Txn> e : losers.entrySet()) {
            // {next record to undo, last record written for the transaction}
            state.put(e.getKey(), new long[] {e.getValue().lastLsn, e.getValue().lastLsn});
        }
        final int count = state.size();
        while (!state.isEmpty()) {
            long txnId = 0;
            long undoLsn = -1;
            for (final Map.Entry<Long, long[]> e : state.entrySet()) {
                if (e.getValue()[0] > undoLsn) {
                    undoLsn = e.getValue()[0];
                    txnId = e.getKey();
                }
            }
            final long[] s = state.get(txnId);
            if (undoLsn == 0) {
                s[1] = log.append(LogRecordDescriptor.TYPE_ABORT, (short) 0, txnId, s[1], ByteBuffer.allocate(0));
                log.append(LogRecordDescriptor.TYPE_END, (short) 0, txnId, s[1], ByteBuffer.allocate(0));
                state.remove(txnId);
                continue;
            }
            final LogRecord r = new LogScanner(log.device(), log.segmentLength(), undoLsn).next();
            if (r == null || r.lsn() != undoLsn) {
                throw new IllegalStateException("recovery: cannot read a loser's record: lsn=" + undoLsn);
            }
            if (r.type() == LogRecordDescriptor.TYPE_PAGE_DIFF) {
                final ByteBuffer clr = PageDiff.encodeClr(r.body(), r.prevLsn());
                s[1] = log.append(LogRecordDescriptor.TYPE_CLR, r.flags(), txnId, s[1], clr);
                apply(
                        server,
                        clr.duplicate().order(ByteOrder.LITTLE_ENDIAN),
                        s[1],
                        r.flags(),
                        LogRecordDescriptor.TYPE_CLR,
                        false,
                        redoStart);
                s[0] = r.prevLsn();
                log.force(s[1]);
                FaultPoints.hit("recovery.afterClr");
            } else if (r.type() == LogRecordDescriptor.TYPE_NESTED_TOP_ACTION) {
                // logical undo of a space-map change (it runs as the loser, logged), then a CLR that skips the action
                final TransactionManager.Txn t = server.txns().adopt(txnId, s[1]);
                try {
                    server.txns().compensate(t, r, server::undoStructure);
                } finally {
                    server.txns().forget(t);
                }
                s[1] = t.lastLsn();
                s[0] = TransactionManager.ntaUndoNext(r.body());
                log.force(s[1]);
                FaultPoints.hit("recovery.afterClr");
            } else if (r.type() == LogRecordDescriptor.TYPE_CLR) {
                s[0] = PageDiff.undoNext(r.body());
            } else {
                s[0] = r.prevLsn();
            }
        }
        log.forceAll();
        return count;
    }
}
