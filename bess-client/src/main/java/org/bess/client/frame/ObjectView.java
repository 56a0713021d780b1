package org.bess.client.frame;

import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import java.nio.ByteOrder;
import java.util.Objects;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * Checked access to one object's bytes in its virtual frames. The object occupies {@code length} bytes from {@code
 * pageOffset} bytes into page {@code firstPage} of a window; every access checks the state byte of each frame it
 * touches (a {@code getLong} at the end of a page touches two) and takes the fault path when one is below what the
 * access needs. Offsets are checked against the object's length, so no access leaves the object.
 *
 * <p>After the checks the bytes are read and written with plain memory accesses at the object's address (multi-byte
 * values little-endian, as stored): no buffer is pointed at the object, and its bounds are not checked a second time.
 * The checks above are what makes that safe: an access within the object whose frames are in the state it needs.
 *
 * <p>The base of an opened object's handle (embedded and client sessions), so that a handle is one object: the handle
 * makes its own checks (transaction active, layout unchanged), then calls the access here.
 *
 * <p>Not thread safe (like the frames it reads through); reusable through {@link #wrap}.
 */
public abstract class ObjectView {
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final VirtualFrames frames;
    private int window;
    // the object's first byte from the start of its window (page number << PAGE_SHIFT | offset in the page): one
    // field for two, so that a handle is smaller and {@link #wrap(int, long, int)} stays small enough to be inlined
    // everywhere (a handle passed to a call the JIT does not inline cannot be scalar-replaced)
    private long windowOffset;
    private int length;
    private long address;

    /**
     * A view over the given frames; wrap it before use.
     *
     * @param frames the process's frames.
     */
    protected ObjectView(final VirtualFrames frames) {
        this.frames = frames;
    }

    /**
     * Points the view at an object.
     *
     * @param window the window of the object's area.
     * @param firstPage the page holding the object's first byte.
     * @param pageOffset the offset of the first byte in that page.
     * @param length the object's size in bytes.
     */
    protected final void wrap(final int window, final long firstPage, final int pageOffset, final int length) {
        wrap(window, (firstPage << PAGE_SHIFT) + pageOffset, length);
    }

    /**
     * Points the view at an object.
     *
     * @param window the window of the object's area.
     * @param windowOffset the object's first byte from the start of the window.
     * @param length the object's size in bytes.
     */
    protected final void wrap(final int window, final long windowOffset, final int length) {
        this.window = window;
        this.windowOffset = windowOffset;
        this.length = length;
        this.address = frames.address(window, 0) + windowOffset;
    }

    /** The virtual address of the object's first byte (for diagnostics and protection tests). */
    protected final long viewAddress() {
        return frames.address(window, 0) + windowOffset;
    }

    /** The object's size. */
    protected final int viewLength() {
        return length;
    }

    /** Checks an access, then gives the address of its first byte: nothing may touch the memory before the check. */
    private long checked(final int offset, final int size, final byte needed) {
        if (offset < 0 || size < 0 || offset > length - size) {
            throw outside(offset, size, length);
        }
        final long first = windowOffset + offset;
        final long p0 = first >>> PAGE_SHIFT;
        final byte[] st = frames.states(window);
        if (size <= 1 || ((first ^ (first + size - 1)) >>> PAGE_SHIFT) == 0) {
            // one frame (every access of up to 8 bytes that does not cross a page boundary)
            if (size != 0 && st[(int) p0] < needed) {
                frames.fault(window, p0, p0, needed);
            }
        } else {
            checkFrames(frames, window, st, p0, (first + size - 1) >>> PAGE_SHIFT, needed);
        }
        return address + offset;
    }

    // static, as is outside(): no call that is not inlined takes the view, so that one a caller does not keep can be
    // scalar-replaced by the JIT
    private static void checkFrames(
            final VirtualFrames frames,
            final int window,
            final byte[] st,
            final long p0,
            final long p1,
            final byte needed) {
        for (long p = p0; p <= p1; p++) {
            if (st[(int) p] < needed) {
                frames.fault(window, p0, p1, needed);
                return;
            }
        }
    }

    private static BessException outside(final int offset, final int size, final int length) {
        return new BessException(
                ErrorCode.BAD_ARGUMENT,
                "access outside the object: offset=" + offset + ", length=" + size + ", objectSize=" + length);
    }

    /** Reads a byte. */
    public final byte readByte(final int offset) {
        return UnsafeApi.getByte(checked(offset, Byte.BYTES, VirtualFrames.READ));
    }

    /** Writes a byte. */
    public final void writeByte(final int offset, final byte value) {
        UnsafeApi.putByte(checked(offset, Byte.BYTES, VirtualFrames.WRITE), value);
    }

    /** Reads a little-endian int. */
    public final int readInt(final int offset) {
        final int v = UnsafeApi.getInt(checked(offset, Integer.BYTES, VirtualFrames.READ));
        return NATIVE_LITTLE_ENDIAN ? v : Integer.reverseBytes(v);
    }

    /** Writes a little-endian int. */
    public final void writeInt(final int offset, final int value) {
        UnsafeApi.putInt(
                checked(offset, Integer.BYTES, VirtualFrames.WRITE),
                NATIVE_LITTLE_ENDIAN ? value : Integer.reverseBytes(value));
    }

    /** Reads a little-endian long. */
    public final long readLong(final int offset) {
        final long v = UnsafeApi.getLong(checked(offset, Long.BYTES, VirtualFrames.READ));
        return NATIVE_LITTLE_ENDIAN ? v : Long.reverseBytes(v);
    }

    /** Writes a little-endian long. */
    public final void writeLong(final int offset, final long value) {
        UnsafeApi.putLong(
                checked(offset, Long.BYTES, VirtualFrames.WRITE),
                NATIVE_LITTLE_ENDIAN ? value : Long.reverseBytes(value));
    }

    /** Reads bytes. */
    public final void readBytes(final int offset, final byte[] dst, final int dstOffset, final int size) {
        // the object's range first (a bad size or offset is the caller's BAD_ARGUMENT), then the array's
        final long from = checked(offset, size, VirtualFrames.READ);
        Objects.checkFromIndexSize(dstOffset, size, dst.length);
        UnsafeApi.copyMemory(null, from, dst, BufferUtil.ARRAY_BASE_OFFSET + dstOffset, size);
    }

    /** Writes bytes. */
    public final void writeBytes(final int offset, final byte[] src, final int srcOffset, final int size) {
        final long to = checked(offset, size, VirtualFrames.WRITE);
        Objects.checkFromIndexSize(srcOffset, size, src.length);
        UnsafeApi.copyMemory(src, BufferUtil.ARRAY_BASE_OFFSET + srcOffset, null, to, size);
    }
}
