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
 * A client's read-only mapping of its session's recovery-buffer file (named in the {@code HELLO} reply; layout in
 * {@link RecoveryBufferDescriptor}): the before-images the server took of the pages this client's transaction wrote.
 * The file is opened {@code O_RDONLY} and mapped {@code PROT_READ}, so this process cannot change it; a later step lets
 * the client copy before-images itself. A truncated or damaged file is refused when mapped.
 *
 * <p>Not thread safe; the session's thread only.
 */
public final class RecoveryBufferMapping implements AutoCloseable {
    private final Path file;
    private final long address;
    private final long length;
    private final int slotCount;
    private final UnsafeBuffer buffer;
    private boolean closed;

    private RecoveryBufferMapping(final Path file, final long address, final long length, final int slotCount) {
        this.file = file;
        this.address = address;
        this.length = length;
        this.slotCount = slotCount;
        this.buffer = new UnsafeBuffer(address, Math.toIntExact(length));
    }

    /**
     * Maps {@code file} read-only and checks its header.
     *
     * @throws BessException {@code BAD_FORMAT} naming the file when it is truncated or damaged, {@code IO} when it
     *     cannot be opened.
     */
    public static RecoveryBufferMapping map(final Path file) {
        final MappedFile f;
        try {
            f = MappedFile.open(file, false);
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
                final int slots = RecoveryBufferDescriptor.checkHeader(
                        new UnsafeBuffer(address, RecoveryBufferDescriptor.HEADER_LENGTH), length, file.toString());
                return new RecoveryBufferMapping(file, address, length, slots);
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

    /** The address of the read-only mapping (tests write into it to show that the process cannot). */
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
                (int) RecoveryBufferDescriptor.entryOffset(slot) + RecoveryBufferDescriptor.ENTRY_STATE_OFFSET);
    }

    /**
     * Copies the before-image of page {@code pageNo} of window {@code window} into {@code dst}.
     *
     * @return whether the buffer holds one (and its checksum matched).
     */
    public boolean beforeImage(final int window, final long pageNo, final byte[] dst) {
        final long key = CacheControlDescriptor.pageKey(window, pageNo);
        for (int s = 0; s < slotCount; s++) {
            final int entry = (int) RecoveryBufferDescriptor.entryOffset(s);
            if (state(s) != RecoveryBufferDescriptor.STATE_IMAGE
                    || buffer.getLong(entry + RecoveryBufferDescriptor.ENTRY_KEY_OFFSET, ByteOrder.LITTLE_ENDIAN)
                            != key) {
                continue;
            }
            final int image = (int) RecoveryBufferDescriptor.imageOffset(slotCount, s);
            final int sum = buffer.getInt(
                    entry + RecoveryBufferDescriptor.ENTRY_IMAGE_CHECKSUM_OFFSET, ByteOrder.LITTLE_ENDIAN);
            buffer.getBytes(image, dst, 0, PAGE_LENGTH);
            return RecoveryBufferDescriptor.imageChecksum(new UnsafeBuffer(dst), 0) == sum;
        }
        return false;
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
