package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.PageDigest;
import org.bess.server.area.StorageArea;
import org.bess.server.lock.LockMode;

/**
 * What the session endpoint ({@code org.bess.server.remote}) needs of an embedded session beyond the public API, so
 * that a client process can work on that session's objects in place: where an object lives (window, page, offset),
 * the layout stamp, page images for copy-on-access clients and the application of their shipped changes. Every call
 * runs on the session's thread and takes the engine latch itself.
 */
@SuppressWarnings("try") // the latch guard is used for its close() only
public final class SessionAccess {
    /** Where an object's bytes are, as {@link #placement} returns it. */
    public static final int PLACEMENT_LENGTH = 6;

    private SessionAccess() {}

    private static EmbeddedSession embedded(final Session session) {
        if (!(session instanceof EmbeddedSession s)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "not an embedded session: " + session);
        }
        return s;
    }

    /**
     * Opens the engine session of a client process: like {@link BessServer#openSession()}, but its virtual frames
     * reserve no address range in the server (the client's own frames map the pages), so a server holds many clients.
     */
    public static Session openClientSession(final BessServer server) {
        return server.openSession(false);
    }

    /** The engine's lock manager (the endpoint attaches the shared lock table and serves clients' fast-path logs). */
    public static org.bess.server.lock.LockManager lockManager(final BessServer server) {
        return server.locks();
    }

    /** The id of the session's open transaction, or -1 (a client's lock log is bound to it). */
    public static long txnId(final Session session) {
        final EmbeddedSession s = embedded(session);
        try (EmbeddedSession.Guard g = s.enter()) {
            return s.txn() == null ? -1 : s.txn().id();
        }
    }

    /** The lock resource of a page of an open window (0 when the window is not open). */
    public static long pageResource(final Session session, final int window, final long pageNo) {
        final EmbeddedSession s = embedded(session);
        try (EmbeddedSession.Guard g = s.enter()) {
            return s.server().pageResourceOrZero(window, pageNo);
        }
    }

    /**
     * Moves a client session's recovery buffer into its own file of the node's shared memory ({@code
     * recovery-<connectionId>-<n>} beside the cache file, {@code 0600}), which the client maps read-only; the file is
     * deleted when the session closes.
     *
     * @return the file.
     */
    public static Path recoveryBufferFile(final Session session, final long connectionId) {
        return recoveryBufferFile(session, connectionId, 0);
    }

    /**
     * As {@link #recoveryBufferFile(Session, long)}, with {@code clientSlots} slots at the end of the file where the
     * client writes the before-images of pages it X-locks by the lock fast path.
     *
     * @return the file.
     */
    public static Path recoveryBufferFile(final Session session, final long connectionId, final int clientSlots) {
        final EmbeddedSession s = embedded(session);
        // a number of this process, not the connection id: two endpoints of one engine count connections apart
        final Path file = s.server()
                .cache()
                .dir()
                .resolve(RECOVERY_BUFFER_FILE_PREFIX + connectionId + "-" + RECOVERY_BUFFER_FILES.incrementAndGet());
        s.recoveryBufferFile(file, connectionId, clientSlots);
        return file;
    }

    /**
     * Adopts the before-images the session's client made itself in its recovery buffer's client slots since the last
     * call (see {@code BessServer.adoptClientImages}): before any request of the client's transaction is served, and
     * before a dead client's transaction is rolled back.
     *
     * @param adopted per client slot, whether it was handled in this transaction already (updated).
     * @param problems receives one line per slot refused.
     * @return slots adopted.
     */
    public static int adoptClientImages(final Session session, final boolean[] adopted, final List<String> problems) {
        final EmbeddedSession s = embedded(session);
        try (EmbeddedSession.Guard g = s.enter()) {
            return s.server().adoptClientImages(s.txn(), s.recoveryBuffer(), adopted, problems);
        }
    }

    /**
     * Whether the client slots of a session's recovery buffer hold an image not handled yet (no latch: a cheap test
     * before every request of a shared-memory client).
     */
    public static boolean clientImagesPending(final Session session, final boolean[] adopted) {
        final org.bess.server.txn.RecoveryBuffer area = embedded(session).recoveryBuffer();
        if (area == null) {
            return false;
        }
        final int first = area.serverSlots();
        final int n = Math.min(adopted.length, area.clientSlots());
        for (int i = 0; i < n; i++) {
            if (!adopted[i] && area.state(first + i) != org.bess.format.RecoveryBufferDescriptor.STATE_FREE) {
                return true;
            }
        }
        return false;
    }

    /** Names of client sessions' recovery-buffer files in the cache directory start with this. */
    public static final String RECOVERY_BUFFER_FILE_PREFIX = "recovery-";

    private static final java.util.concurrent.atomic.AtomicLong RECOVERY_BUFFER_FILES =
            new java.util.concurrent.atomic.AtomicLong();

    /**
     * Deletes recovery-buffer files a dead server left in the engine's cache directory (a server restarted on the same
     * cache directory after a SIGKILL): called once per engine, before its first client connects.
     */
    public static void sweepRecoveryBufferFiles(final BessServer server) {
        try (java.nio.file.DirectoryStream<Path> files =
                java.nio.file.Files.newDirectoryStream(server.cache().dir(), RECOVERY_BUFFER_FILE_PREFIX + "*")) {
            for (final Path f : files) {
                java.nio.file.Files.deleteIfExists(f);
            }
        } catch (final java.io.IOException e) {
            throw new BessException(
                    ErrorCode.IO,
                    "cannot remove leftover recovery buffers: dir="
                            + server.cache().dir(),
                    e);
        }
    }

    /** The session's recovery-buffer area, or null before its first transaction (tests, listings). */
    public static org.bess.server.txn.RecoveryBuffer recoveryBuffer(final Session session) {
        return embedded(session).recoveryBuffer();
    }

    /** The path of the engine's cache file (shared-memory clients map its frames). */
    public static Path cacheFile(final BessServer server) {
        return server.cache().dir().resolve("cache");
    }

    /** Write-backs and replacements the cache skipped because a client held X on the page by the lock fast path. */
    public static long clientExclusiveSkips(final BessServer server) {
        return server.cache().clientExclusiveSkips();
    }

    /**
     * A shared-memory client is gone: clears its marks in the client-map file (frames it mapped by cache hits), after
     * its lock-log slot was revoked and before the slot is given to another client.
     *
     * @param slot the client's lock-log slot.
     * @return frames it had marked.
     */
    public static int releaseClientMaps(final BessServer server, final int slot) {
        return server.cache().releaseClientSlot(slot);
    }

    /** Frames marked as mapped by clients' own cache hits now, counted over all clients (the client-map file). */
    public static long clientHitMaps(final BessServer server) {
        long total = 0;
        for (int f = 0; f < server.cache().frameCount(); f++) {
            total += server.cache().clientMapCount(f);
        }
        return total;
    }

    /** Garbage found in the client-map file's state words so far, and the last report ("" when none). */
    public static String clientMapGarbage(final BessServer server) {
        return server.cache().clientMapGarbage() + ": " + server.cache().lastClientMapGarbage();
    }

    /** How many cache frames are mapped by processes now (the sum of the frames' access counts). */
    public static long mappedFrames(final BessServer server) {
        long total = 0;
        for (int f = 0; f < server.cache().frameCount(); f++) {
            total += server.cache().accessCount(f);
        }
        return total;
    }

    /**
     * A stamp that changes whenever the layout epoch of any open database moves (a data segment grew, moved or was
     * compacted): a client re-resolves its open objects when it changes.
     */
    public static int layoutStamp(final Session session) {
        final EmbeddedSession s = embedded(session);
        try (EmbeddedSession.Guard g = s.enter()) {
            int stamp = 0;
            for (final EngineDatabase db : s.server().openDatabases()) {
                stamp = stamp * 31 + db.layoutEpoch();
            }
            return stamp;
        }
    }

    /** Whether the session has a transaction open (a deadlock or a lock timeout rolls it back on the server). */
    public static boolean inTransaction(final Session session) {
        return embedded(session).current() != null;
    }

    /**
     * How many locks the session's open transaction holds (0 without one). Any thread: a snapshot for listings such as
     * {@code bess-admin clients}.
     */
    public static int locksHeld(final Session session) {
        final EmbeddedSession s = embedded(session);
        final org.bess.server.txn.TransactionManager.Txn t = s.txn();
        return t == null ? 0 : s.server().locks().lockCount(t.id());
    }

    /** How many times the engine asked the session's written frames to go back to read-only. */
    public static long writtenProtections(final Session session) {
        return embedded(session).writtenProtections();
    }

    /**
     * Where an open object's bytes are now.
     *
     * @return {window, first page, offset in that page, size, type id, page count of the area}.
     */
    public static long[] placement(final Session session, final ObjectRef object) {
        final EmbeddedSession s = embedded(session);
        if (!(object instanceof EngineObjectRef o)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "object is not of this session: " + object);
        }
        try (EmbeddedSession.Guard g = s.enter()) {
            final EngineDatabase db = (EngineDatabase) o.database();
            final ObjectStore.Slot slot = new ObjectStore.Slot();
            db.objects().resolve(o.word(), slot);
            final StorageArea area = db.area(slot.area);
            return new long[] {
                area.window(),
                slot.dataPage + (slot.dataOffset >>> PAGE_SHIFT),
                slot.dataOffset & (PAGE_LENGTH - 1),
                slot.size,
                slot.typeId,
                area.pageCount()
            };
        }
    }

    /** The engine's database of {@code database}, refused unless it is open in the session's engine. */
    private static EngineDatabase database(final EmbeddedSession s, final Database database) {
        if (!(database instanceof EngineDatabase db) || db.server() != s.server()) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "database is not open in this session: " + database);
        }
        return db;
    }

    /** Refuses a call that needs the session's open transaction when it has none (called under the latch). */
    private static void requireTransaction(final EmbeddedSession s) {
        if (s.txn() == null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "no transaction is open in the session");
        }
    }

    /**
     * The used slots of a slotted segment, raw, read under the session's transaction's shared lock on the page: a
     * client resolves references into the segment itself for the rest of the transaction (no other transaction can
     * change the page before it ends).
     *
     * @throws BessException {@code INVALID_REFERENCE} when the page is not a slotted segment of the database.
     */
    public static byte[] segmentSlots(final Session session, final Database database, final long segPage) {
        final EmbeddedSession s = embedded(session);
        final EngineDatabase db = database(s, database);
        try (EmbeddedSession.Guard g = s.enter()) {
            requireTransaction(s);
            return db.objects().slotArray(segPage);
        }
    }

    /**
     * The first slotted segment of the file a cursor of this session scans (0: the file has none), read as the
     * cursor's first step would: a client that walks the segment chain itself starts there.
     *
     * @param cursor a cursor opened by {@code scan} in this session's transaction.
     */
    public static long firstSegment(final Session session, final org.bess.client.Cursor cursor) {
        final EmbeddedSession s = embedded(session);
        if (!(cursor instanceof EngineCursor c)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "cursor is not of this engine: " + cursor);
        }
        try (EmbeddedSession.Guard g = s.enter()) {
            return c.firstSegment();
        }
    }

    /**
     * The segment after a slotted segment in its file's chain (0: the last), from the segment's header; the session's
     * transaction takes the segment's shared lock as {@link #segmentSlots} does.
     *
     * @throws BessException {@code INVALID_REFERENCE} when the page is not a slotted segment.
     */
    public static long nextSegment(final Session session, final Database database, final long segPage) {
        final EmbeddedSession s = embedded(session);
        final EngineDatabase db = database(s, database);
        try (EmbeddedSession.Guard g = s.enter()) {
            requireTransaction(s);
            return db.objects().nextSegment(segPage);
        }
    }

    /** The window of a database's root area (where its slotted segments are). */
    public static int rootWindow(final Session session, final Database database) {
        final EmbeddedSession s = embedded(session);
        final EngineDatabase db = database(s, database);
        return db.root().window();
    }

    /** The open areas of a database: {area id, window, page count} for each, flattened. */
    public static long[] areaWindows(final Session session, final Database database) {
        final EmbeddedSession s = embedded(session);
        final EngineDatabase db = database(s, database);
        try (EmbeddedSession.Guard g = s.enter()) {
            final List<Long> out = new ArrayList<>();
            for (final StorageArea a : db.openAreas()) {
                out.add((long) a.id());
                out.add((long) a.window());
                out.add(a.pageCount());
            }
            final long[] r = new long[out.size()];
            for (int i = 0; i < r.length; i++) {
                r[i] = out.get(i);
            }
            return r;
        }
    }

    /**
     * The word to store for a reference in an object of {@code db} (a reference into another database goes through a
     * forward object, created here when needed).
     */
    public static long storedWord(final Transaction tx, final Database db, final Ref ref) {
        if (!(tx instanceof EngineTransaction t) || !(db instanceof EngineDatabase d)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "not an engine transaction or database: " + tx);
        }
        try (EmbeddedSession.Guard g = t.session().enter()) {
            t.checkActive();
            return t.storedWord(d, ref);
        }
    }

    /**
     * Checks a page a client names (window of an open area, page number not negative) before the engine's fault
     * handlers see it.
     *
     * @throws BessException {@code BAD_ARGUMENT} naming window and page.
     */
    public static void checkPage(final Session session, final int window, final long pageNo) {
        final EmbeddedSession s = embedded(session);
        try (EmbeddedSession.Guard g = s.enter()) {
            checkPage(s, window, pageNo);
        }
    }

    private static void checkPage(final EmbeddedSession s, final int window, final long pageNo) {
        if (!s.server().cache().hasSource(window) || pageNo < 0) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "no such page: window=" + window + ", page=" + pageNo);
        }
    }

    /**
     * Copies a data page's bytes for a copy-on-access client, after taking the transaction's shared lock on it.
     *
     * @param dst receives {@code PAGE_LENGTH} bytes at its position.
     */
    public static void fetchPage(final Session session, final int window, final long pageNo, final ByteBuffer dst) {
        final EmbeddedSession s = embedded(session);
        try (EmbeddedSession.Guard g = s.enter()) {
            if (!s.server().cache().hasSource(window) || pageNo < 0) {
                throw new BessException(ErrorCode.BAD_ARGUMENT, "no such page: window=" + window + ", page=" + pageNo);
            }
            s.server().lockPageForAccess(window, pageNo, LockMode.S);
            final int frame = s.server().cache().pin(window, pageNo, false);
            try {
                final UnsafeBuffer b = s.server().cache().wrap(new UnsafeBuffer(0, 0), frame);
                b.getBytes(0, dst, dst.position(), PAGE_LENGTH);
                dst.position(dst.position() + PAGE_LENGTH);
            } finally {
                s.server().cache().unpin(frame);
            }
        }
    }

    /** A segment of {@link #segmentSlotsMany} whose used slots are the client's kept copy (by digest). */
    public static final byte[] CURRENT_SLOTS = ObjectStore.CURRENT;

    /**
     * Copy-on-access {@code FETCH_PAGES}: pages a client reads now or predicts it will read, each with the digest of
     * the copy it holds ({@link PageDigest}). The first is locked as {@link #fetchPage} does (waiting if it must); the
     * others only when S needs no wait, so the batch adds no wait and no deadlock to the transaction. Per page {@code
     * status} gets 0 (not locked: the client asks again when it reads the page), 1 (locked, and the client's copy is
     * the page) or 2 (locked, and the page's bytes were appended to {@code dst}).
     *
     * @throws BessException {@code BAD_ARGUMENT} when the first page is not one; later bad pages get status 0.
     */
    public static void fetchPages(
            final Session session,
            final int n,
            final int[] windows,
            final long[] pages,
            final long[] digests,
            final int[] status,
            final ByteBuffer dst) {
        fetchPages(session, n, windows, pages, digests, status, dst, true);
    }

    /**
     * {@link #fetchPages(Session, int, int[], long[], long[], int[], ByteBuffer)}, or with {@code firstWaits} false
     * every page predicted: each locked only when S needs no wait, a bad or unreadable one given status 0 (the pages a
     * client appends to {@code SEGMENT_SLOTS_MANY}).
     */
    public static void fetchPages(
            final Session session,
            final int n,
            final int[] windows,
            final long[] pages,
            final long[] digests,
            final int[] status,
            final ByteBuffer dst,
            final boolean firstWaits) {
        final EmbeddedSession s = embedded(session);
        try (EmbeddedSession.Guard g = s.enter()) {
            requireTransaction(s);
            final BessServer server = s.server();
            final UnsafeBuffer b = new UnsafeBuffer(0, 0);
            for (int i = 0; i < n; i++) {
                final int window = windows[i];
                final long pageNo = pages[i];
                status[i] = 0;
                final boolean waits = i == 0 && firstWaits;
                if (!server.cache().hasSource(window) || pageNo < 0) {
                    if (waits) {
                        throw new BessException(
                                ErrorCode.BAD_ARGUMENT, "no such page: window=" + window + ", page=" + pageNo);
                    }
                    continue;
                }
                if (waits) {
                    server.lockPageForAccess(window, pageNo, LockMode.S);
                } else if (!server.tryLockPageForRead(window, pageNo)) {
                    continue;
                }
                final int frame;
                try {
                    frame = server.cache().pin(window, pageNo, false);
                } catch (final BessException e) {
                    if (waits) {
                        throw e;
                    }
                    continue; // a predicted page that cannot be read: the client asks for it if it needs it
                }
                try {
                    server.cache().wrap(b, frame);
                    if (PageDigest.of(b.addressOffset()) == digests[i]) {
                        status[i] = 1;
                    } else {
                        status[i] = 2;
                        b.getBytes(0, dst, dst.position(), PAGE_LENGTH);
                        dst.position(dst.position() + PAGE_LENGTH);
                    }
                } finally {
                    server.cache().unpin(frame);
                }
            }
        }
    }

    /**
     * {@code SEGMENT_SLOTS_MANY}: the used slots of several slotted segments, the first read under the transaction's S
     * lock as {@link #segmentSlots} does (waiting if it must), the others only when S needs no wait (null for those
     * not locked or not slotted segments).
     *
     * @throws BessException {@code INVALID_REFERENCE} when the first page is not a slotted segment of the database.
     */
    public static byte[][] segmentSlotsMany(
            final Session session, final Database database, final long[] segPages, final int n) {
        return segmentSlotsMany(session, database, segPages, new long[n], n);
    }

    /**
     * {@link #segmentSlotsMany(Session, Database, long[], int)} with the digest of the client's kept copy of each
     * segment (0: none): a segment whose used slots have that digest gets {@link #CURRENT_SLOTS}, neither copied nor
     * sent.
     */
    public static byte[][] segmentSlotsMany(
            final Session session, final Database database, final long[] segPages, final long[] digests, final int n) {
        final EmbeddedSession s = embedded(session);
        final EngineDatabase db = database(s, database);
        final byte[][] out = new byte[n][];
        try (EmbeddedSession.Guard g = s.enter()) {
            requireTransaction(s);
            out[0] = db.objects().slotArrayUnlessCurrent(segPages[0], digests[0]);
            final int window = db.root().window();
            for (int i = 1; i < n; i++) {
                if (segPages[i] < 1
                        || segPages[i] >= db.root().pageCount()
                        || !s.server().tryLockPageForRead(window, segPages[i])) {
                    continue;
                }
                try {
                    out[i] = db.objects().slotArrayUnlessCurrent(segPages[i], digests[i]);
                } catch (final BessException e) {
                    if (e.errorCode() != ErrorCode.INVALID_REFERENCE) {
                        throw e;
                    }
                }
            }
        }
        return out;
    }

    /**
     * Applies a copy-on-access client's changed byte ranges to a page of the cache. The session's transaction must
     * hold the page's exclusive lock (taken, with the before-image, by {@code beforeFirstWrite}).
     *
     * @param ranges {@code count} ranges of (int offset, int length, bytes), read from its position.
     */
    public static void applyRanges(
            final Session session, final int window, final long pageNo, final int count, final ByteBuffer ranges) {
        final EmbeddedSession s = embedded(session);
        try (EmbeddedSession.Guard g = s.enter()) {
            final BessServer server = s.server();
            if (s.txn() == null || !server.holds(server.pageResource(window, pageNo), LockMode.X)) {
                throw new BessException(
                        ErrorCode.ILLEGAL_STATE,
                        "shipped page not locked exclusively by the transaction: window=" + window + ", page="
                                + pageNo);
            }
            final int frame = server.cache().pin(window, pageNo, false);
            try {
                // the page is in the recovery buffer unless the buffer was logged early since the client's first
                // write: then this takes a new before-image (the page as logged), so commit logs, and abort undoes,
                // the shipped bytes like any other change (a no-op when the page is still buffered)
                server.updatePath().onFirstWrite(window, pageNo, frame);
                final UnsafeBuffer b = server.cache().wrap(new UnsafeBuffer(0, 0), frame);
                for (int i = 0; i < count; i++) {
                    final int offset = ranges.getInt();
                    final int length = ranges.getInt();
                    if (offset < 0 || length < 0 || offset > PAGE_LENGTH - length || length > ranges.remaining()) {
                        throw new BessException(
                                ErrorCode.BAD_ARGUMENT,
                                "shipped range outside the page: offset=" + offset + ", length=" + length);
                    }
                    b.putBytes(offset, ranges, ranges.position(), length);
                    ranges.position(ranges.position() + length);
                }
            } finally {
                server.cache().unpin(frame);
            }
        }
    }
}
