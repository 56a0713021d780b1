package org.bess.client.remote;

import static org.bess.format.LockTableDescriptor.ACQUIRING;
import static org.bess.format.LockTableDescriptor.FREE;
import static org.bess.format.LockTableDescriptor.HELD;
import static org.bess.format.LockTableDescriptor.LOG_CONNECTION_OFFSET;
import static org.bess.format.LockTableDescriptor.LOG_KEY_OFFSET;
import static org.bess.format.LockTableDescriptor.LOG_REVOKED_OFFSET;
import static org.bess.format.LockTableDescriptor.LOG_STATE_OFFSET;
import static org.bess.format.LockTableDescriptor.MAX_PROBE;
import static org.bess.format.LockWordDescriptor.ENTRY_KEY_OFFSET;
import static org.bess.format.LockWordDescriptor.ENTRY_WORD_OFFSET;
import static org.bess.format.LockWordDescriptor.MODE_S;
import static org.bess.format.LockWordDescriptor.MODE_X;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LockTableDescriptor;
import org.bess.format.LockWordDescriptor;

/**
 * The client's side of the shared-memory lock table: S locks on pages whose frames are mapped, taken with one CAS and
 * recorded in this client's lock log (docs/format/lock-table.md, "The fast path, in a client"). Everything else — a
 * key not in the table, a word with W or L set, a conflict, a full log, a revoked slot — returns false and the caller
 * asks the server. The server releases these locks at the transaction's end (the client is inside its commit or abort
 * request then), so this class only forgets them ({@link #transactionEnded}).
 *
 * <p>Not thread safe: used by its session's thread.
 */
final class FastLocks {
    /** Test hook: halt the JVM after the log append, before the CAS ({@code beforeCas}) or after ({@code afterCas}). */
    static final String HALT_PROP = "bess.test.fastPathHalt";

    /** The page-number bits of a page's resource key (docs/format/lock-table.md, "Resources"). */
    private static final long PAGE_NO_MASK = (1L << 36) - 1;
    /** The kind bits (63-62) of a page's resource key. */
    private static final long PAGE_KIND = 3;

    private static final int HALT_NONE = 0;
    private static final int HALT_BEFORE_CAS = 1;
    private static final int HALT_AFTER_CAS = 2;

    private final UnsafeBuffer buffer;
    private final MappedByteBuffer mapped;
    private final int capacity;
    private final int logEntries;
    private final int slot;
    private final int revokedOffset;
    private final int halt;
    /** Keys locked in the open transaction (held or taken over by the server). */
    private final LongHashSet held = new LongHashSet();
    /** Key to the index of its lock-log entry, for the keys this transaction locked by the fast path. */
    private final Long2LongHashMap logIndexes = new Long2LongHashMap(-1);
    /** Frame (window and page, packed) to resource key, learnt from the server's replies while the frame is mapped. */
    private final Long2LongHashMap keys = new Long2LongHashMap(0);
    /** Cache frame to packed frame, to forget a key when its frame is unmapped. */
    private final Long2LongHashMap framesByCacheFrame = new Long2LongHashMap(-1);

    /**
     * Per window, the resource key of its page 0 (database and area bits, learnt from any reply on the window): the
     * key of another page of the window is this plus its page number. Windows are never given to another area while
     * the server runs, so a learnt prefix stays right.
     */
    private long[] windowPrefixes = new long[0];

    private int logCount;
    private long acquired;
    private long exclusiveAcquired;

    private FastLocks(final Path file, final int slot) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            final long length = ch.size();
            if (length > Integer.MAX_VALUE) {
                throw new BessException(ErrorCode.BAD_FORMAT, "lock table file too large: " + file + ", " + length);
            }
            this.mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot map the shared lock table: file=" + file, e);
        }
        this.buffer = new UnsafeBuffer(mapped);
        final int[] geometry = LockTableDescriptor.checkHeader(buffer, buffer.capacity(), file.toString());
        this.capacity = geometry[0];
        if (slot < 0 || slot >= geometry[1]) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT, "lock log slot out of range: slot=" + slot + ", slots=" + geometry[1]);
        }
        this.logEntries = geometry[2];
        this.slot = slot;
        this.revokedOffset = (int) LockTableDescriptor.logOffset(capacity, logEntries, slot) + LOG_REVOKED_OFFSET;
        final String h = System.getProperty(HALT_PROP, "");
        this.halt = h.equals("beforeCas") ? HALT_BEFORE_CAS : h.equals("afterCas") ? HALT_AFTER_CAS : HALT_NONE;
    }

    /**
     * Maps the table the server named in its HELLO reply.
     *
     * @return null when the server offers no fast path (empty path or no slot).
     * @throws BessException {@code BAD_FORMAT} when the file is not a lock table this build reads.
     */
    static FastLocks open(final String file, final int slot) {
        if (file.isEmpty() || slot < 0) {
            return null;
        }
        return new FastLocks(Path.of(file), slot);
    }

    static long frame(final int window, final long pageNo) {
        return ((long) window << 40) | pageNo;
    }

    /** Remembers the resource key of a mapped frame (from an {@code ACQUIRE_FRAME} or {@code LOCK_FOR_READ} reply). */
    void learn(final int window, final long pageNo, final int cacheFrame, final long key) {
        if (key == 0) {
            return;
        }
        final long f = frame(window, pageNo);
        keys.put(f, key);
        if (window >= windowPrefixes.length) {
            windowPrefixes = java.util.Arrays.copyOf(windowPrefixes, Math.max(window + 1, windowPrefixes.length * 2));
        }
        if ((key >>> 62) == PAGE_KIND && (key & PAGE_NO_MASK) == pageNo) {
            windowPrefixes[window] = key - pageNo;
        }
        if (cacheFrame >= 0) {
            framesByCacheFrame.put(cacheFrame, f);
        }
    }

    /**
     * Learns a window's key prefix from the key of one of its pages (a {@code SEGMENT_SLOTS} reply), without keeping a
     * key for the page itself (it has no frame mapped here).
     */
    void learnWindow(final int window, final long pageNo, final long key) {
        if (key == 0 || window < 0 || (key >>> 62) != PAGE_KIND || (key & PAGE_NO_MASK) != pageNo) {
            return;
        }
        if (window >= windowPrefixes.length) {
            windowPrefixes = java.util.Arrays.copyOf(windowPrefixes, Math.max(window + 1, windowPrefixes.length * 2));
        }
        windowPrefixes[window] = key - pageNo;
    }

    /** Forgets the key of an unmapped frame: its window may be given to another area later. */
    void forget(final int cacheFrame) {
        final long f = framesByCacheFrame.remove(cacheFrame);
        if (f >= 0) {
            keys.remove(f);
        }
    }

    /**
     * The resource key of a page of a window on which a reply named some page's key, or 0 (never on this window yet:
     * the caller asks the server).
     */
    long keyFor(final int window, final long pageNo) {
        final long known = keys.get(frame(window, pageNo));
        if (known != 0) {
            return known;
        }
        if (window >= windowPrefixes.length || windowPrefixes[window] == 0 || pageNo > PAGE_NO_MASK) {
            return 0;
        }
        return windowPrefixes[window] + pageNo;
    }

    /**
     * Whether the lock-log slot is still this connection's: not revoked (the server cut the client off) and not given
     * to another connection since (after the server cleaned this one up).
     */
    boolean ownsSlot(final long connectionId) {
        return buffer.getLongVolatile(revokedOffset) == 0 && slotHeldBy(connectionId);
    }

    /** Whether the lock-log slot was not given to another connection (revoked or not). */
    boolean slotHeldBy(final long connectionId) {
        return buffer.getLongVolatile(revokedOffset - LOG_REVOKED_OFFSET + LOG_CONNECTION_OFFSET) == connectionId;
    }

    /** Fast-path locks taken so far (for tests and counters). */
    long acquired() {
        return acquired;
    }

    /**
     * Takes S on a mapped frame's page without a request.
     *
     * @return true when the transaction holds S (now or already); false when the server must be asked.
     */
    boolean tryLockShared(final int window, final long pageNo) {
        return tryLockShared(keys.get(frame(window, pageNo)));
    }

    /**
     * Takes S on a page, named by its resource key, without a request.
     *
     * @return true when the transaction holds S (now or already); false when the server must be asked.
     */
    boolean tryLockShared(final long key) {
        if (key == 0) {
            return false;
        }
        if (held.contains(key)) {
            return true;
        }
        if (logCount == logEntries) {
            return false;
        }
        final int entry = find(key);
        if (entry < 0) {
            return false;
        }
        final int keyOffset = (int) LockTableDescriptor.entryOffset(capacity, entry) + ENTRY_KEY_OFFSET;
        final int wordOffset = (int) LockTableDescriptor.entryOffset(capacity, entry) + ENTRY_WORD_OFFSET;
        long word = buffer.getLongVolatile(wordOffset);
        if (buffer.getLongVolatile(keyOffset) != key || !LockWordDescriptor.isFastPathAcquirable(word, MODE_S)) {
            return false;
        }
        final int logEntry = (int) LockTableDescriptor.logEntryOffset(capacity, logEntries, slot, logCount);
        buffer.putLong(logEntry + LOG_KEY_OFFSET, key);
        buffer.putLongVolatile(logEntry + LOG_STATE_OFFSET, LockTableDescriptor.logState(ACQUIRING, MODE_S));
        // after the append: either the server's revocation sees this entry, or this sees the revocation
        if (buffer.getLongVolatile(revokedOffset) != 0) {
            buffer.putLongVolatile(logEntry + LOG_STATE_OFFSET, FREE);
            return false;
        }
        if (halt == HALT_BEFORE_CAS) {
            Runtime.getRuntime().halt(77);
        }
        boolean taken = buffer.compareAndSetLong(wordOffset, word, LockWordDescriptor.add(word, MODE_S));
        if (!taken) {
            // retry once with a fresh word (another client's S came in), then leave it to the server
            word = buffer.getLongVolatile(wordOffset);
            taken = buffer.getLongVolatile(keyOffset) == key
                    && LockWordDescriptor.isFastPathAcquirable(word, MODE_S)
                    && buffer.compareAndSetLong(wordOffset, word, LockWordDescriptor.add(word, MODE_S));
        }
        if (!taken) {
            buffer.putLongVolatile(logEntry + LOG_STATE_OFFSET, FREE);
            return false;
        }
        if (halt == HALT_AFTER_CAS) {
            Runtime.getRuntime().halt(77);
        }
        buffer.putLongVolatile(logEntry + LOG_STATE_OFFSET, LockTableDescriptor.logState(HELD, MODE_S));
        logIndexes.put(key, logCount);
        logCount++;
        held.add(key);
        acquired++;
        return true;
    }

    /**
     * Upgrades this transaction's fast-path S on a page to X without a request, when it is the page's only holder:
     * its log entry is {@code HELD S} (not taken over by the server) and the word is exactly one S, without W or L.
     * The entry becomes {@code ACQUIRING X} before the CAS (a client that dies here leaves an ambiguous entry, which
     * the server settles by a recount, as for S), then {@code HELD X}.
     *
     * @return the page's resource key when the transaction holds X by the fast path now (or already); 0 when the
     *     server must be asked.
     */
    long tryLockExclusive(final int window, final long pageNo) {
        final long key = keys.get(frame(window, pageNo));
        final long index = key == 0 ? -1 : logIndexes.get(key);
        if (index < 0) {
            return 0;
        }
        final int logEntry = (int) LockTableDescriptor.logEntryOffset(capacity, logEntries, slot, (int) index);
        final long state = buffer.getLongVolatile(logEntry + LOG_STATE_OFFSET);
        if (buffer.getLong(logEntry + LOG_KEY_OFFSET) != key) {
            return 0;
        }
        if (state == LockTableDescriptor.logState(HELD, MODE_X)) {
            return key;
        }
        if (state != LockTableDescriptor.logState(HELD, MODE_S)) {
            return 0; // taken over by the server (TRANSFERRED): it decides
        }
        final int entry = find(key);
        if (entry < 0) {
            return 0;
        }
        final int keyOffset = (int) LockTableDescriptor.entryOffset(capacity, entry) + ENTRY_KEY_OFFSET;
        final int wordOffset = (int) LockTableDescriptor.entryOffset(capacity, entry) + ENTRY_WORD_OFFSET;
        final long word = buffer.getLongVolatile(wordOffset);
        final long onlyMine = LockWordDescriptor.add(LockWordDescriptor.FREE_WORD, MODE_S);
        if (buffer.getLongVolatile(keyOffset) != key || (word & ~LockWordDescriptor.GENERATION_MASK) != onlyMine) {
            return 0; // another holder, a waiter (W) or the server rewriting the entry (L)
        }
        buffer.putLongVolatile(logEntry + LOG_STATE_OFFSET, LockTableDescriptor.logState(ACQUIRING, MODE_X));
        // after the entry: either the server's revocation sees it, or this sees the revocation
        if (buffer.getLongVolatile(revokedOffset) != 0) {
            buffer.putLongVolatile(logEntry + LOG_STATE_OFFSET, LockTableDescriptor.logState(HELD, MODE_S));
            return 0;
        }
        final long upgraded = LockWordDescriptor.withGeneration(
                LockWordDescriptor.add(LockWordDescriptor.FREE_WORD, MODE_X), LockWordDescriptor.generation(word));
        if (!buffer.compareAndSetLong(wordOffset, word, upgraded)) {
            buffer.putLongVolatile(logEntry + LOG_STATE_OFFSET, LockTableDescriptor.logState(HELD, MODE_S));
            return 0;
        }
        buffer.putLongVolatile(logEntry + LOG_STATE_OFFSET, LockTableDescriptor.logState(HELD, MODE_X));
        exclusiveAcquired++;
        return key;
    }

    /** Page X locks taken by the fast path so far (upgrades of the transaction's own S). */
    long exclusiveAcquired() {
        return exclusiveAcquired;
    }

    private int find(final long key) {
        final int home = LockTableDescriptor.home(key, capacity);
        for (int p = 0; p < MAX_PROBE; p++) {
            final int e = (home + p) & (capacity - 1);
            final int keyOffset = (int) LockTableDescriptor.entryOffset(capacity, e) + ENTRY_KEY_OFFSET;
            if (buffer.getLongVolatile(keyOffset) == key) {
                return e;
            }
        }
        return -1;
    }

    /**
     * Gives one fast-path S lock back with the client's own CAS, as the spec allows while the word has neither W nor L
     * (for benchmarks: the engine itself releases at the transaction's end, in the server).
     *
     * @return whether it was released here; false leaves it to the server at the transaction's end.
     */
    boolean releaseShared(final int window, final long pageNo) {
        final long key = keys.get(frame(window, pageNo));
        if (key == 0 || !held.contains(key) || logCount == 0) {
            return false;
        }
        final int logEntry = (int) LockTableDescriptor.logEntryOffset(capacity, logEntries, slot, logCount - 1);
        if (buffer.getLong(logEntry + LOG_KEY_OFFSET) != key
                || LockTableDescriptor.stateOf(buffer.getLongVolatile(logEntry + LOG_STATE_OFFSET)) != HELD) {
            return false; // not the last entry, or the server took it over: the transaction's end releases it
        }
        final int entry = find(key);
        if (entry < 0) {
            return false;
        }
        final int wordOffset = (int) LockTableDescriptor.entryOffset(capacity, entry) + ENTRY_WORD_OFFSET;
        final long word = buffer.getLongVolatile(wordOffset);
        if ((word & (LockWordDescriptor.WAITERS_FLAG | LockWordDescriptor.LATCH_FLAG)) != 0
                || LockWordDescriptor.count(word, MODE_S) == 0
                || !buffer.compareAndSetLong(wordOffset, word, LockWordDescriptor.remove(word, MODE_S))) {
            return false;
        }
        buffer.putLongVolatile(logEntry + LOG_STATE_OFFSET, FREE);
        logCount--;
        held.remove(key);
        logIndexes.remove(key);
        return true;
    }

    /** The transaction ended: the server released this log's locks and cleared it inside the ending request. */
    void transactionEnded() {
        held.clear();
        logIndexes.clear();
        logCount = 0;
    }
}
