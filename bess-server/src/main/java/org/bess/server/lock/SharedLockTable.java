package org.bess.server.lock;

import static org.bess.format.LockTableDescriptor.LOG_CONNECTION_OFFSET;
import static org.bess.format.LockTableDescriptor.LOG_KEY_OFFSET;
import static org.bess.format.LockTableDescriptor.LOG_REVOKED_OFFSET;
import static org.bess.format.LockTableDescriptor.LOG_STATE_OFFSET;
import static org.bess.format.LockTableDescriptor.MAX_PROBE;
import static org.bess.format.LockWordDescriptor.ENTRY_KEY_OFFSET;
import static org.bess.format.LockWordDescriptor.ENTRY_WORD_OFFSET;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.UnsafeApi;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LockTableDescriptor;
import org.bess.format.LockWordDescriptor;

/**
 * The server's side of the shared-memory lock table ({@link LockTableDescriptor}): it creates the file empty, inserts
 * and evicts keys (clients never do), hands out lock-log slots to shared-memory connections and binds each to the
 * connection's open transaction. Which key is in which entry, which entries the lock manager uses, and which slot
 * belongs to which transaction are kept here in private memory: the shared copy is for clients, and garbage a client
 * writes there never changes what the server believes about keys.
 *
 * <p>Thread safe: the index is guarded by one lock; the words are CASed.
 */
public final class SharedLockTable implements AutoCloseable {
    private final Path path;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final int capacity;
    private final int logSlots;
    private final int logEntries;
    private final ReentrantLock lock = new ReentrantLock();
    private final Long2LongHashMap index = new Long2LongHashMap(-1);
    private final long[] keys;
    private final int[] pins;
    private final long[] slotTxn;
    private final boolean[] slotInUse;
    private final Long2LongHashMap txnSlots = new Long2LongHashMap(-1);
    private long inserts;
    private long evictions;
    /** Where the next slot search starts: a freed slot is reused as late as possible (see {@link #claimLog}). */
    private int nextSlot;

    private SharedLockTable(
            final Path path, final MappedByteBuffer mapped, final int capacity, final int logSlots, final int logs) {
        this.path = path;
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        this.capacity = capacity;
        this.logSlots = logSlots;
        this.logEntries = logs;
        this.keys = new long[capacity];
        this.pins = new int[capacity];
        this.slotTxn = new long[logSlots];
        Arrays.fill(slotTxn, -1);
        this.slotInUse = new boolean[logSlots];
    }

    /**
     * Creates the table file ({@code 0600}, replacing a leftover one) and maps it.
     *
     * @param capacity entries, a power of two.
     * @param logSlots shared-memory clients that can use the fast path at once.
     * @param logEntries fast-path locks per transaction.
     */
    public static SharedLockTable create(
            final Path path, final int capacity, final int logSlots, final int logEntries, final long serverPid) {
        final long length = LockTableDescriptor.fileLength(capacity, logSlots, logEntries);
        try {
            Files.deleteIfExists(path);
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            final MappedByteBuffer m;
            try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw");
                    FileChannel ch = f.getChannel()) {
                f.setLength(length);
                m = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
            }
            final SharedLockTable t = new SharedLockTable(path, m, capacity, logSlots, logEntries);
            final UnsafeBuffer b = t.buffer;
            b.putLong(LockTableDescriptor.MAGIC_OFFSET, LockTableDescriptor.MAGIC, ByteOrder.LITTLE_ENDIAN);
            b.putInt(LockTableDescriptor.VERSION_OFFSET, LockTableDescriptor.VERSION, ByteOrder.LITTLE_ENDIAN);
            b.putInt(LockTableDescriptor.CAPACITY_OFFSET, capacity, ByteOrder.LITTLE_ENDIAN);
            b.putInt(LockTableDescriptor.LOG_SLOTS_OFFSET, logSlots, ByteOrder.LITTLE_ENDIAN);
            b.putInt(LockTableDescriptor.LOG_ENTRIES_OFFSET, logEntries, ByteOrder.LITTLE_ENDIAN);
            b.putLong(LockTableDescriptor.SERVER_PID_OFFSET, serverPid, ByteOrder.LITTLE_ENDIAN);
            LockTableDescriptor.checkHeader(b, length, path.toString());
            return t;
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot create the shared lock table: file=" + path, e);
        }
    }

    /** The file clients map. */
    public Path path() {
        return path;
    }

    /** Entries. */
    public int capacity() {
        return capacity;
    }

    /** Entries per lock log. */
    int logEntries() {
        return logEntries;
    }

    /** Keys inserted and evicted so far: {inserts, evictions}. */
    public long[] counters() {
        lock.lock();
        try {
            return new long[] {inserts, evictions};
        } finally {
            lock.unlock();
        }
    }

    // ---- entries

    private long keyOffset(final int entry) {
        return LockTableDescriptor.entryOffset(capacity, entry) + ENTRY_KEY_OFFSET;
    }

    private long wordOffset(final int entry) {
        return LockTableDescriptor.entryOffset(capacity, entry) + ENTRY_WORD_OFFSET;
    }

    /** The word of an entry (acquire). */
    long word(final int entry) {
        return buffer.getLongVolatile((int) wordOffset(entry));
    }

    /** CAS of an entry's word. */
    boolean cas(final int entry, final long expected, final long update) {
        return buffer.compareAndSetLong((int) wordOffset(entry), expected, update);
    }

    /** Publishes an entry's word (release); only while the server owns it (L set by the server). */
    void putWord(final int entry, final long word) {
        buffer.putLongVolatile((int) wordOffset(entry), word);
    }

    /** The entry of a key, pinned (never evicted until {@link #unpin}); -1 when the key is not in the table. */
    int lookupAndPin(final long key) {
        lock.lock();
        try {
            final int e = (int) index.get(key);
            if (e >= 0) {
                pins[e]++;
            }
            return e;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes one count of {@code code} off a key's word with a CAS, as a client may release its own lock (neither W nor
     * L set: no waiter to let in, the server is not rewriting the entry), for the release of a lock log. Under the
     * table's lock, so the entry cannot be given to another key meanwhile.
     *
     * @return false when the key has no entry, the word has W or L, or it does not count {@code code} (the caller
     *     takes the shard's path, which lets waiters in and reports garbage).
     */
    boolean tryRelease(final long key, final int code) {
        lock.lock();
        try {
            final int e = (int) index.get(key);
            if (e < 0) {
                return false;
            }
            for (int attempt = 0; attempt < 16; attempt++) {
                final long w = word(e);
                if ((w & (LockWordDescriptor.WAITERS_FLAG | LockWordDescriptor.LATCH_FLAG)) != 0
                        || LockWordDescriptor.count(w, code) == 0) {
                    return false;
                }
                if (cas(e, w, LockWordDescriptor.remove(w, code))) {
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** The entry of a key, or -1 (not pinned: for reads that tolerate a stale answer). */
    int lookup(final long key) {
        lock.lock();
        try {
            return (int) index.get(key);
        } finally {
            lock.unlock();
        }
    }

    void unpin(final int entry) {
        lock.lock();
        try {
            if (pins[entry] <= 0) {
                throw new IllegalStateException("lock table entry unpinned more often than pinned: " + entry);
            }
            pins[entry]--;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Inserts a key in its probe window, evicting an unpinned entry whose word is free when the window is full.
     *
     * @param initial the word to publish (holders and waiters flag; the generation is the entry's next).
     * @return the entry, pinned; -1 when no entry of the window could be taken.
     */
    int insertAndPin(final long key, final long initial) {
        lock.lock();
        try {
            final int existing = (int) index.get(key);
            if (existing >= 0) {
                pins[existing]++;
                return existing;
            }
            final int home = LockTableDescriptor.home(key, capacity);
            for (int pass = 0; pass < 2; pass++) {
                for (int p = 0; p < MAX_PROBE; p++) {
                    final int e = (home + p) & (capacity - 1);
                    if ((pass == 0 && keys[e] == 0) || (pass == 1 && keys[e] != 0 && pins[e] == 0)) {
                        if (claim(e, key, initial)) {
                            return e;
                        }
                    }
                }
            }
            return -1;
        } finally {
            lock.unlock();
        }
    }

    /** Takes entry {@code e} for {@code key}: L set by CAS on a free word, key written, word published. */
    private boolean claim(final int e, final long key, final long initial) {
        final long old = word(e);
        if (LockWordDescriptor.isHeld(old)
                || (old & (LockWordDescriptor.WAITERS_FLAG | LockWordDescriptor.LATCH_FLAG)) != 0) {
            return false;
        }
        if (!cas(e, old, old | LockWordDescriptor.LATCH_FLAG)) {
            return false; // a client took the old key's lock meanwhile
        }
        if (keys[e] != 0) {
            index.remove(keys[e]);
            evictions++;
        }
        keys[e] = key;
        index.put(key, e);
        pins[e] = 1;
        inserts++;
        buffer.putLongVolatile((int) keyOffset(e), key);
        final long body = initial & ~(LockWordDescriptor.GENERATION_MASK | LockWordDescriptor.LATCH_FLAG);
        putWord(e, LockWordDescriptor.withGeneration(body, LockWordDescriptor.generation(old) + 1));
        return true;
    }

    // ---- lock logs

    private int logOffset(final int slot) {
        return (int) LockTableDescriptor.logOffset(capacity, logEntries, slot);
    }

    private int logEntryOffset(final int slot, final int i) {
        return (int) LockTableDescriptor.logEntryOffset(capacity, logEntries, slot, i);
    }

    /**
     * Gives a connection a lock-log slot (cleared, not revoked). Slots are taken round-robin, so that a slot freed by a
     * client the server disconnected while it still ran (its last fast-path step may still write its old log entry)
     * is reused only after every other slot.
     *
     * @return the slot, or -1 when every slot is taken (that client locks by request only).
     */
    public int claimLog(final long connectionId) {
        lock.lock();
        try {
            for (int i = 0; i < logSlots; i++) {
                final int s = (nextSlot + i) % logSlots;
                if (!slotInUse[s]) {
                    nextSlot = (s + 1) % logSlots;
                    slotInUse[s] = true;
                    slotTxn[s] = -1;
                    buffer.setMemory(logOffset(s), (int) LockTableDescriptor.logSlotLength(logEntries), (byte) 0);
                    buffer.putLongVolatile(logOffset(s) + LOG_CONNECTION_OFFSET, connectionId);
                    return s;
                }
            }
            return -1;
        } finally {
            lock.unlock();
        }
    }

    /** Gives a slot back (after {@link LockManager#releaseFastPathLog}). */
    public void freeLog(final int slot) {
        lock.lock();
        try {
            unbindLocked(slot);
            slotInUse[slot] = false;
        } finally {
            lock.unlock();
        }
    }

    /** Binds a slot to the transaction its client just began: its fast-path locks are that transaction's. */
    public void bind(final int slot, final long txnId) {
        lock.lock();
        try {
            unbindLocked(slot);
            slotTxn[slot] = txnId;
            txnSlots.put(txnId, slot);
        } finally {
            lock.unlock();
        }
    }

    private void unbindLocked(final int slot) {
        if (slotTxn[slot] >= 0) {
            txnSlots.remove(slotTxn[slot]);
            slotTxn[slot] = -1;
        }
    }

    void unbind(final int slot) {
        lock.lock();
        try {
            unbindLocked(slot);
        } finally {
            lock.unlock();
        }
    }

    /** The slot of a transaction, or -1. */
    int slotOf(final long txnId) {
        lock.lock();
        try {
            return (int) txnSlots.get(txnId);
        } finally {
            lock.unlock();
        }
    }

    /** The transaction bound to a slot, or -1. */
    long txnOf(final int slot) {
        lock.lock();
        try {
            return slotTxn[slot];
        } finally {
            lock.unlock();
        }
    }

    /** Slots in use now (their logs are read by deadlock searches and recounts). */
    int[] slotsInUse() {
        lock.lock();
        try {
            int n = 0;
            final int[] out = new int[logSlots];
            for (int s = 0; s < logSlots; s++) {
                if (slotInUse[s]) {
                    out[n++] = s;
                }
            }
            return Arrays.copyOf(out, n);
        } finally {
            lock.unlock();
        }
    }

    /** Cuts a client off the fast path: it sees the flag after its next log append and goes to the server. */
    public void revoke(final int slot) {
        buffer.putLongVolatile(logOffset(slot) + LOG_REVOKED_OFFSET, 1L);
    }

    /**
     * The index of the first entry from {@code from} on in a slot's log whose state is not free, or the entry count:
     * one pass of plain 8-byte loads with a stride of an entry (the release of a log at every commit scans all of it,
     * and nearly all of it is free).
     */
    int nextUsedLogEntry(final int slot, final int from) {
        final long first = buffer.addressOffset() + logEntryOffset(slot, 0) + LOG_STATE_OFFSET;
        for (int i = Math.max(0, from); i < logEntries; i++) {
            if (UnsafeApi.getLongVolatile(null, first + (long) i * LockTableDescriptor.LOG_ENTRY_LENGTH) != 0) {
                return i;
            }
        }
        return logEntries;
    }

    long logKey(final int slot, final int i) {
        return buffer.getLongVolatile(logEntryOffset(slot, i) + LOG_KEY_OFFSET);
    }

    long logState(final int slot, final int i) {
        return buffer.getLongVolatile(logEntryOffset(slot, i) + LOG_STATE_OFFSET);
    }

    void putLogState(final int slot, final int i, final long state) {
        buffer.putLongVolatile(logEntryOffset(slot, i) + LOG_STATE_OFFSET, state);
    }

    /** Writes raw bytes (tests: garbage in a log or an entry). */
    void putRaw(final long offset, final long value) {
        buffer.putLongVolatile((int) offset, value);
    }

    /** Deletes the file; the server's mapping stays valid until the table is dropped. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
        } catch (final IOException e) {
            // a leftover file in /dev/shm is replaced at the next start
        }
    }

    @Override
    public String toString() {
        return "SharedLockTable[" + path + ", capacity=" + capacity + ", logs=" + logSlots + "x" + logEntries + "]";
    }

    MappedByteBuffer mapped() {
        return mapped;
    }
}
