package org.bess.client.remote;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.ByteOrder;
import java.nio.file.Path;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CacheControlDescriptor;
import org.bess.format.RecoveryBufferDescriptor;
import org.bess.nativeshim.MappedFile;
import org.bess.nativeshim.Native;

/**
 * A client's mapping of its session's recovery-buffer file (named in the {@code HELLO} reply; layout in {@link
 * RecoveryBufferDescriptor}): the before-images the server took of the pages this client's transaction wrote, and the
 * client slots at its end, where this client copies the before-image of a page it X-locked by the lock fast path
 * ({@link #tryWriteImage}). Mapped shared and read-only but for the client slots' directory page(s) and images (each
 * page-aligned), which are writable: the header and the server's own entries and images stay read-only (a write into
 * them is a SIGSEGV), and the server adopts a client slot only after checking it. A truncated or damaged file is
 * refused when mapped.
 *
 * <p>Not thread safe; the session's thread only.
 */
public final class RecoveryBufferMapping implements AutoCloseable {
    private final Path file;
    private final long address;
    private final long length;
    private final int slotCount;
    private final int firstClientSlot;
    private final UnsafeBuffer buffer;
    /** Wraps the page being copied. */
    private final UnsafeBuffer page = new UnsafeBuffer(0, 0);
    /** The next client slot this transaction writes; the server frees them all when the transaction ends. */
    private int nextClientSlot;

    private boolean closed;

    private RecoveryBufferMapping(
            final Path file, final long address, final long length, final int slotCount, final int clientSlots) {
        this.file = file;
        this.address = address;
        this.length = length;
        this.slotCount = slotCount;
        this.firstClientSlot = slotCount - clientSlots;
        this.nextClientSlot = firstClientSlot;
        this.buffer = new UnsafeBuffer(address, Math.toIntExact(length));
    }

    /**
     * Maps {@code file} read-write (shared) and checks its header.
     *
     * @throws BessException {@code BAD_FORMAT} naming the file when it is truncated or damaged, {@code IO} when it
     *     cannot be opened.
     */
    public static RecoveryBufferMapping map(final Path file) {
        final MappedFile f;
        try {
            f = MappedFile.open(file, true);
        } catch (final RuntimeException e) {
            throw new BessException(ErrorCode.IO, "cannot open the recovery buffer: file=" + file, e);
        }
        try {
            final long length = f.length();
            if (length < RecoveryBufferDescriptor.HEADER_LENGTH) {
                RecoveryBufferDescriptor.checkHeader(new UnsafeBuffer(new byte[0]), length, file.toString());
            }
            final long address = Native.mmap(0, length, Native.PROT_READ, Native.MAP_SHARED, f.fd(), 0);
            try {
                final UnsafeBuffer header = new UnsafeBuffer(address, RecoveryBufferDescriptor.HEADER_LENGTH);
                final int slots = RecoveryBufferDescriptor.checkHeader(header, length, file.toString());
                final int clientSlots = RecoveryBufferDescriptor.clientSlotCount(header);
                if (clientSlots > 0) {
                    // only the client's own part becomes writable: its directory page(s) and its images, each
                    // page-aligned; the header and the server's entries and images stay read-only (a write there is
                    // a SIGSEGV)
                    final long directory = RecoveryBufferDescriptor.clientDirectoryOffset(slots, clientSlots);
                    final long images = RecoveryBufferDescriptor.imagesOffset(slots, clientSlots);
                    final long firstImage =
                            RecoveryBufferDescriptor.imageOffset(slots, clientSlots, slots - clientSlots);
                    final int rw = Native.PROT_READ | Native.PROT_WRITE;
                    Native.mprotect(address + directory, images - directory, rw);
                    Native.mprotect(address + firstImage, length - firstImage, rw);
                }
                return new RecoveryBufferMapping(file, address, length, slots, clientSlots);
            } catch (final RuntimeException e) {
                Native.munmap(address, length);
                throw e;
            }
        } finally {
            f.close(); // the mapping outlives the descriptor
        }
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** The address of the mapping (tests write into it: the client slots are writable, the rest is not). */
    public long address() {
        return address;
    }

    /** The slots. */
    public int slotCount() {
        return slotCount;
    }

    /** The connection id the server wrote in the header. */
    public long connectionId() {
        return buffer.getLong(RecoveryBufferDescriptor.CONNECTION_ID_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    /** Slots holding a before-image now. */
    public int imagesHeld() {
        int n = 0;
        for (int s = 0; s < slotCount; s++) {
            if (state(s) == RecoveryBufferDescriptor.STATE_IMAGE) {
                n++;
            }
        }
        return n;
    }

    private int state(final int slot) {
        // pairs with the server's putIntRelease of the state in RecoveryBuffer.seal
        return buffer.getIntVolatile(
                (int) RecoveryBufferDescriptor.entryOffset(slotCount, slotCount - firstClientSlot, slot)
                        + RecoveryBufferDescriptor.ENTRY_STATE_OFFSET);
    }

    /**
     * Copies the before-image of page {@code pageNo} of window {@code window} into {@code dst}.
     *
     * @return whether the buffer holds one (and its checksum matched).
     */
    public boolean beforeImage(final int window, final long pageNo, final byte[] dst) {
        final long key = CacheControlDescriptor.pageKey(window, pageNo);
        for (int s = 0; s < slotCount; s++) {
            final int entry = (int) RecoveryBufferDescriptor.entryOffset(slotCount, slotCount - firstClientSlot, s);
            if (state(s) != RecoveryBufferDescriptor.STATE_IMAGE
                    || buffer.getLong(entry + RecoveryBufferDescriptor.ENTRY_KEY_OFFSET, ByteOrder.LITTLE_ENDIAN)
                            != key) {
                continue;
            }
            final int image = (int) RecoveryBufferDescriptor.imageOffset(slotCount, slotCount - firstClientSlot, s);
            final int sum = buffer.getInt(
                    entry + RecoveryBufferDescriptor.ENTRY_IMAGE_CHECKSUM_OFFSET, ByteOrder.LITTLE_ENDIAN);
            buffer.getBytes(image, dst, 0, PAGE_LENGTH);
            return RecoveryBufferDescriptor.imageChecksum(new UnsafeBuffer(dst), 0) == sum;
        }
        return false;
    }

    /** The client slots (where this client writes before-images itself). */
    public int clientSlots() {
        return slotCount - firstClientSlot;
    }

    /**
     * Copies the before-image of a page this client's transaction X-locked by the lock fast path into its next client
     * slot and seals the slot: state free, image, key, transaction, flags ({@code FLAG_CLIENT_MADE}) and image
     * checksum, then state {@code IMAGE} (release). Called before the page's frame is made writable, so a client killed
     * at any point leaves the page untouched or a sealed image of it.
     *
     * @param source the page as mapped in this process (X held: nobody changes it meanwhile).
     * @return the slot, or -1 when every client slot of the transaction is used (the caller asks the server).
     */
    int tryWriteImage(final long source, final int window, final long pageNo, final long txnId) {
        if (nextClientSlot >= slotCount || txnId < 0) {
            return -1;
        }
        final int slot = nextClientSlot++;
        final int entry = (int) RecoveryBufferDescriptor.entryOffset(slotCount, slotCount - firstClientSlot, slot);
        final int image = (int) RecoveryBufferDescriptor.imageOffset(slotCount, slotCount - firstClientSlot, slot);
        buffer.putIntRelease(entry + RecoveryBufferDescriptor.ENTRY_STATE_OFFSET, RecoveryBufferDescriptor.STATE_FREE);
        page.wrap(source, PAGE_LENGTH);
        buffer.putBytes(image, page, 0, PAGE_LENGTH);
        buffer.putLong(
                entry + RecoveryBufferDescriptor.ENTRY_KEY_OFFSET,
                CacheControlDescriptor.pageKey(window, pageNo),
                ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(entry + RecoveryBufferDescriptor.ENTRY_TXN_OFFSET, txnId, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(
                entry + RecoveryBufferDescriptor.ENTRY_FLAGS_OFFSET,
                RecoveryBufferDescriptor.FLAG_CLIENT_MADE,
                ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(
                entry + RecoveryBufferDescriptor.ENTRY_IMAGE_CHECKSUM_OFFSET,
                RecoveryBufferDescriptor.imageChecksum(buffer, image),
                ByteOrder.LITTLE_ENDIAN);
        // pairs with the server's acquire of the state: the fields above are visible once it reads IMAGE
        buffer.putIntRelease(entry + RecoveryBufferDescriptor.ENTRY_STATE_OFFSET, RecoveryBufferDescriptor.STATE_IMAGE);
        return slot;
    }

    /** Takes back the last slot {@link #tryWriteImage} sealed (the caller falls back to the server instead). */
    void dropLastImage(final int slot) {
        buffer.putIntRelease(
                (int) RecoveryBufferDescriptor.entryOffset(slotCount, slotCount - firstClientSlot, slot)
                        + RecoveryBufferDescriptor.ENTRY_STATE_OFFSET,
                RecoveryBufferDescriptor.STATE_FREE);
        if (slot == nextClientSlot - 1) {
            nextClientSlot--;
        }
    }

    /** The transaction ended: the server freed the client slots, the next transaction starts at the first again. */
    void transactionEnded() {
        nextClientSlot = firstClientSlot;
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.munmap(address, length);
        }
    }
}
