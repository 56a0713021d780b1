package org.bess.server.txn;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;
import static org.bess.format.RecoveryBufferDescriptor.CLIENT_SLOT_COUNT_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.CONNECTION_ID_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.ENTRY_FLAGS_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.ENTRY_IMAGE_CHECKSUM_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.ENTRY_KEY_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.ENTRY_STATE_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.ENTRY_TXN_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.FLAG_CLIENT_MADE;
import static org.bess.format.RecoveryBufferDescriptor.FLAG_CONTROL_PAGE;
import static org.bess.format.RecoveryBufferDescriptor.HEADER_CHECKSUM_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.MAGIC;
import static org.bess.format.RecoveryBufferDescriptor.MAGIC_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.PAGE_LENGTH_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.SERVER_PID_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.SLOT_COUNT_OFFSET;
import static org.bess.format.RecoveryBufferDescriptor.STATE_FREE;
import static org.bess.format.RecoveryBufferDescriptor.STATE_IMAGE;
import static org.bess.format.RecoveryBufferDescriptor.VERSION;
import static org.bess.format.RecoveryBufferDescriptor.VERSION_OFFSET;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RecoveryBufferDescriptor;
import org.bess.nativeshim.MappedFile;
import org.bess.nativeshim.Native;

/**
 * The recovery-buffer area of one session, off the heap: {@code slotCount} page slots for the before-images of its
 * transaction's changed pages and a directory naming each slot's page ({@link RecoveryBufferDescriptor}). Allocated
 * once per session and reused by each of its transactions; a client session's lives in a file of the node's shared
 * memory directory (so that the client can map it), an embedded session's in an anonymous mapping.
 *
 * <p>Not thread safe: used under the engine latch (the client only reads the file).
 */
public final class RecoveryBuffer implements AutoCloseable {
    /** The file deleted when the area closes (a client session's), or null. */
    private final Path file;
    /** What messages call the area. */
    private final String name;

    private final long address;
    private final long length;
    private final int slotCount;
    /** The last {@code clientSlots} slots are written by the client (images it made itself); never claimed here. */
    private final int clientSlots;

    private final UnsafeBuffer buffer;
    /** Free slots, a stack: the most recently freed first (its pages are likely still resident). */
    private final int[] free;

    private int freeCount;
    /** The server's own copy of each slot's page key: the file is never trusted for a page's identity. */
    private final long[] keys;
    /** Wraps one image at a time for its checksum. */
    private final UnsafeBuffer scratch = new UnsafeBuffer(0, 0);

    private boolean closed;

    private RecoveryBuffer(
            final Path file,
            final String name,
            final long address,
            final long length,
            final int slotCount,
            final int clientSlots) {
        this.file = file;
        this.name = name;
        this.address = address;
        this.length = length;
        this.slotCount = slotCount;
        this.clientSlots = clientSlots;
        this.buffer = new UnsafeBuffer(
                address, Math.toIntExact(RecoveryBufferDescriptor.imagesOffset(slotCount, clientSlots)));
        final int serverSlots = slotCount - clientSlots;
        this.free = new int[serverSlots];
        for (int i = 0; i < serverSlots; i++) {
            free[i] = serverSlots - 1 - i;
        }
        this.freeCount = serverSlots;
        this.keys = new long[slotCount];
    }

    /** An area in an anonymous mapping (an embedded session's): memory is touched only as slots are used. */
    public static RecoveryBuffer anonymous(final int slotCount) {
        checkSlots(slotCount);
        final long length = RecoveryBufferDescriptor.fileLength(slotCount);
        final long address = Native.mmap(
                0,
                length,
                Native.PROT_READ | Native.PROT_WRITE,
                Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_NORESERVE,
                -1,
                0);
        final RecoveryBuffer b = new RecoveryBuffer(null, "anonymous", address, length, slotCount, 0);
        b.writeHeader(0);
        return b;
    }

    /**
     * Creates the area file of a client session ({@code 0600}; it must not exist) and maps it read-write, shared.
     *
     * @param connectionId the connection the area belongs to (written in the header).
     */
    public static RecoveryBuffer create(final Path file, final int slotCount, final long connectionId) {
        return create(file, slotCount, connectionId, 0);
    }

    /**
     * Creates the area file of a client session with {@code clientSlots} more slots at its end for the images the
     * client makes itself (the server's own slots stay {@code slotCount}).
     *
     * @param connectionId the connection the area belongs to (written in the header).
     */
    public static RecoveryBuffer create(
            final Path file, final int serverSlots, final long connectionId, final int clientSlots) {
        final int slotCount = serverSlots + clientSlots;
        checkSlots(slotCount);
        if (clientSlots < 0 || clientSlots >= slotCount) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT, "client slots out of range: " + clientSlots + " of " + slotCount);
        }
        final long length = RecoveryBufferDescriptor.fileLength(slotCount, clientSlots);
        final MappedFile f = MappedFile.create(file, length, 0600);
        final long address;
        try {
            address = Native.mmap(0, length, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, f.fd(), 0);
        } catch (final RuntimeException e) {
            deleteQuietly(file);
            throw e;
        } finally {
            f.close(); // the mapping outlives the descriptor: no descriptor per client
        }
        final RecoveryBuffer b = new RecoveryBuffer(file, file.toString(), address, length, slotCount, clientSlots);
        b.writeHeader(connectionId);
        return b;
    }

    /**
     * Maps an existing area file read-only and checks it (a reader's view: tests, tools).
     *
     * @throws BessException {@code BAD_FORMAT} when the file is truncated or its header is damaged.
     */
    public static RecoveryBuffer open(final Path file) {
        final MappedFile f = MappedFile.open(file, false);
        try {
            final long length = f.length();
            if (length < RecoveryBufferDescriptor.HEADER_LENGTH) {
                RecoveryBufferDescriptor.checkHeader(new UnsafeBuffer(new byte[0]), length, file.toString());
            }
            final long address = Native.mmap(0, length, Native.PROT_READ, Native.MAP_SHARED, f.fd(), 0);
            final int slots;
            final int clients;
            try {
                final UnsafeBuffer h = new UnsafeBuffer(
                        address, Math.toIntExact(Math.min(length, RecoveryBufferDescriptor.HEADER_LENGTH)));
                slots = RecoveryBufferDescriptor.checkHeader(h, length, file.toString());
                clients = RecoveryBufferDescriptor.clientSlotCount(h);
            } catch (final RuntimeException e) {
                Native.munmap(address, length);
                throw e;
            }
            return new RecoveryBuffer(null, file.toString(), address, length, slots, clients);
        } finally {
            f.close();
        }
    }

    private static void checkSlots(final int slotCount) {
        if (slotCount < 1 || slotCount > RecoveryBufferDescriptor.MAX_SLOTS) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "recovery buffer slots out of range: slots=" + slotCount + " (1 to "
                            + RecoveryBufferDescriptor.MAX_SLOTS + ")");
        }
    }

    private void writeHeader(final long connectionId) {
        buffer.putLong(MAGIC_OFFSET, MAGIC, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(VERSION_OFFSET, VERSION, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(PAGE_LENGTH_OFFSET, PAGE_LENGTH, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(SLOT_COUNT_OFFSET, slotCount, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(CLIENT_SLOT_COUNT_OFFSET, clientSlots, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(SERVER_PID_OFFSET, Native.pid(), ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(CONNECTION_ID_OFFSET, connectionId, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(HEADER_CHECKSUM_OFFSET, RecoveryBufferDescriptor.headerChecksum(buffer), ByteOrder.LITTLE_ENDIAN);
    }

    private long entryOffset(final int slot) {
        return RecoveryBufferDescriptor.entryOffset(slotCount, clientSlots, slot);
    }

    /** The file of a client session's area, or null for an anonymous one (or one opened read-only). */
    public Path file() {
        return file;
    }

    /** The slots. */
    public int slotCount() {
        return slotCount;
    }

    /** Slots free now (the server's own: client slots are not counted). */
    public int freeSlots() {
        return freeCount;
    }

    /** The server's own slots (every slot but the client's). */
    public int serverSlots() {
        return slotCount - clientSlots;
    }

    /** The client's slots: {@code [serverSlots(), slotCount())}. */
    public int clientSlots() {
        return clientSlots;
    }

    /** Whether a slot is one of the client's. */
    boolean isClientSlot(final int slot) {
        return slot >= slotCount - clientSlots;
    }

    /** The state word of a slot's entry (acquire). */
    public int state(final int slot) {
        return buffer.getIntVolatile((int) entryOffset(slot) + ENTRY_STATE_OFFSET);
    }

    /** Whether the server adopted a client slot (it holds the slot's key in its own copy). */
    boolean adopted(final int slot) {
        return keys[slot] != 0;
    }

    /** The page key a slot's entry names (read from the file: for a client slot, checked by {@link #adopt}). */
    public long entryKey(final int slot) {
        return buffer.getLong((int) entryOffset(slot) + ENTRY_KEY_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Checks a client slot the client sealed (state, transaction, flags, image checksum) and, when it is sound, takes
     * its key into the server's own copy: from here on the slot is the server's, as if it had written it.
     *
     * @param txnId the transaction the image must belong to.
     * @return the page key.
     * @throws BessException {@code CORRUPT_PAGE} naming the file, the slot and what is wrong.
     */
    long adopt(final int slot, final long txnId) {
        final int entry = (int) entryOffset(slot);
        final int state = buffer.getIntVolatile(entry + ENTRY_STATE_OFFSET);
        final long key = buffer.getLong(entry + ENTRY_KEY_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final long txn = buffer.getLong(entry + ENTRY_TXN_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int flags = buffer.getInt(entry + ENTRY_FLAGS_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int stored = buffer.getInt(entry + ENTRY_IMAGE_CHECKSUM_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int computed = imageChecksum(slot);
        if (!isClientSlot(slot)
                || state != STATE_IMAGE
                || txn != txnId
                || flags != FLAG_CLIENT_MADE
                || key == 0
                || stored != computed) {
            throw new BessException(
                    ErrorCode.CORRUPT_PAGE,
                    "client-made before-image is garbage, refused: file=" + name() + ", slot=" + slot + ", state="
                            + state + ", txn=" + txn + " (expected " + txnId + "), flags=" + flags + " (expected "
                            + FLAG_CLIENT_MADE + "), key=0x" + Long.toHexString(key) + ", image checksum=0x"
                            + Integer.toHexString(stored) + " (computed 0x" + Integer.toHexString(computed) + ")");
        }
        keys[slot] = key;
        return key;
    }

    /** Frees every client slot the server did not adopt (the transaction ended: the client starts over). */
    void clearClientSlots() {
        for (int s = slotCount - clientSlots; s < slotCount; s++) {
            if (keys[s] == 0 && state(s) != STATE_FREE) {
                buffer.putIntRelease((int) entryOffset(s) + ENTRY_STATE_OFFSET, STATE_FREE);
            }
        }
    }

    /**
     * Takes a free slot for the before-image of page {@code key}.
     *
     * @return the slot, or -1 when every slot is in use.
     */
    int tryClaim(final long key) {
        if (freeCount == 0) {
            return -1;
        }
        final int slot = free[--freeCount];
        keys[slot] = key;
        return slot;
    }

    /** A view of a slot's image in the mapping (a new view each call: the heap holds none per slot). */
    UnsafeBuffer image(final int slot) {
        return new UnsafeBuffer(
                address + RecoveryBufferDescriptor.imageOffset(slotCount, clientSlots, slot), PAGE_LENGTH);
    }

    /**
     * Publishes a slot's directory entry after its image was (re)written: key, transaction, kind and image checksum,
     * then the state (release).
     */
    void seal(final int slot, final long txnId, final boolean control) {
        final long entry = entryOffset(slot);
        buffer.putIntRelease((int) entry + ENTRY_STATE_OFFSET, STATE_FREE);
        buffer.putLong((int) entry + ENTRY_KEY_OFFSET, keys[slot], ByteOrder.LITTLE_ENDIAN);
        buffer.putLong((int) entry + ENTRY_TXN_OFFSET, txnId, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt((int) entry + ENTRY_FLAGS_OFFSET, control ? FLAG_CONTROL_PAGE : 0, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt((int) entry + ENTRY_IMAGE_CHECKSUM_OFFSET, imageChecksum(slot), ByteOrder.LITTLE_ENDIAN);
        // pairs with the reader's getIntVolatile of the state: the fields above are visible once it reads IMAGE
        buffer.putIntRelease((int) entry + ENTRY_STATE_OFFSET, STATE_IMAGE);
    }

    private int imageChecksum(final int slot) {
        scratch.wrap(address + RecoveryBufferDescriptor.imageOffset(slotCount, clientSlots, slot), PAGE_LENGTH);
        return RecoveryBufferDescriptor.imageChecksum(scratch, 0);
    }

    /**
     * Checks a slot before its image is restored: the header, the entry's state and key against the server's copy,
     * and the image against its checksum.
     *
     * @throws BessException {@code CORRUPT_PAGE} naming the area, the slot and what is wrong.
     */
    void verify(final int slot) {
        try {
            RecoveryBufferDescriptor.checkHeader(buffer, length, name());
        } catch (final BessException e) {
            throw new BessException(ErrorCode.CORRUPT_PAGE, e.getMessage(), e);
        }
        final int entry = (int) entryOffset(slot);
        final int state = buffer.getIntVolatile(entry + ENTRY_STATE_OFFSET);
        final long key = buffer.getLong(entry + ENTRY_KEY_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int stored = buffer.getInt(entry + ENTRY_IMAGE_CHECKSUM_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int computed = imageChecksum(slot);
        if (state != STATE_IMAGE || key != keys[slot] || stored != computed) {
            throw new BessException(
                    ErrorCode.CORRUPT_PAGE,
                    "recovery buffer is damaged, a before-image cannot be restored: file=" + name() + ", slot=" + slot
                            + ", state=" + state + ", key=0x" + Long.toHexString(key) + " (expected 0x"
                            + Long.toHexString(keys[slot]) + "), image checksum=0x" + Integer.toHexString(stored)
                            + " (computed 0x" + Integer.toHexString(computed) + ")");
        }
    }

    /** Frees a slot (its entry goes back to {@link RecoveryBufferDescriptor#STATE_FREE}, release). */
    void release(final int slot) {
        buffer.putIntRelease((int) entryOffset(slot) + ENTRY_STATE_OFFSET, STATE_FREE);
        keys[slot] = 0;
        if (!isClientSlot(slot)) {
            free[freeCount++] = slot;
        }
    }

    /** The directory and images as mapped (tests read and damage it through this). */
    public UnsafeBuffer mapping() {
        return new UnsafeBuffer(address, Math.toIntExact(length));
    }

    private String name() {
        return name;
    }

    /** Unmaps the area and deletes its file (a client session's). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Native.munmap(address, length);
        if (file != null) {
            deleteQuietly(file);
        }
    }

    private static void deleteQuietly(final Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (final IOException e) {
            // the cache directory goes with the server; a leftover file costs only memory until then
        }
    }
}
