package org.bess.client.frame;

import static org.bess.format.PageHeaderDescriptor.PAGE_SHIFT;

import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * Checked access to one object's bytes in its virtual frames. The object occupies {@code length} bytes from {@code
 * pageOffset} bytes into page {@code firstPage} of a window; every access checks the state byte of each frame it
 * touches (a {@code getLong} at the end of a page touches two) and takes the fault path when one is below what the
 * access needs. Offsets are checked against the object's length, so no access leaves the object.
 *
 * <p>The bytes are reached through the one access buffer of the frames ({@code VirtualFrames.accessBuffer()}),
 * pointed at this object after the check of each access, so that a view (one per opened object) allocates no buffer
 * of its own.
 *
 * <p>Not thread safe (like the frames it reads through); reusable through {@link #wrap}.
 */
public final class ObjectView {
    private final VirtualFrames frames;
    private final UnsafeBuffer buffer;
    private int window;
    private long firstPage;
    private int pageOffset;
    private int length;
    private long address;

    /**
     * A view over the given frames; wrap it before use.
     *
     * @param frames the process's frames.
     */
    public ObjectView(final VirtualFrames frames) {
        this.frames = frames;
        this.buffer = frames.accessBuffer();
    }

    /**
     * Points the view at an object.
     *
     * @param window the window of the object's area.
     * @param firstPage the page holding the object's first byte.
     * @param pageOffset the offset of the first byte in that page.
     * @param length the object's size in bytes.
     */
    public void wrap(final int window, final long firstPage, final int pageOffset, final int length) {
        this.window = window;
        this.firstPage = firstPage;
        this.pageOffset = pageOffset;
        this.length = length;
        this.address = frames.address(window, firstPage) + pageOffset;
    }

    /** The virtual address of the object's first byte (for diagnostics and protection tests). */
    public long address() {
        return frames.address(window, firstPage) + pageOffset;
    }

    /** The object's size. */
    public int length() {
        return length;
    }

    /** Checks an access, then points the shared buffer at this object: nothing may use it before the access. */
    private UnsafeBuffer checked(final int offset, final int size, final byte needed) {
        check(offset, size, needed);
        buffer.wrap(address, length);
        return buffer;
    }

    private void check(final int offset, final int size, final byte needed) {
        if (offset < 0 || size < 0 || offset > length - size) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "access outside the object: offset=" + offset + ", length=" + size + ", objectSize=" + length);
        }
        if (size == 0) {
            return;
        }
        final long p0 = firstPage + ((pageOffset + offset) >>> PAGE_SHIFT);
        final long p1 = firstPage + ((pageOffset + offset + size - 1) >>> PAGE_SHIFT);
        final byte[] st = frames.states(window);
        if (st[(int) p0] < needed || st[(int) p1] < needed) {
            frames.fault(window, p0, p1, needed);
        } else if (p1 - p0 > 1) {
            for (long p = p0 + 1; p < p1; p++) {
                if (st[(int) p] < needed) {
                    frames.fault(window, p0, p1, needed);
                    break;
                }
            }
        }
    }

    /** Reads a byte. */
    public byte getByte(final int offset) {
        return checked(offset, Byte.BYTES, VirtualFrames.READ).getByte(offset);
    }

    /** Writes a byte. */
    public void putByte(final int offset, final byte value) {
        checked(offset, Byte.BYTES, VirtualFrames.WRITE).putByte(offset, value);
    }

    /** Reads an int. */
    public int getInt(final int offset) {
        return checked(offset, Integer.BYTES, VirtualFrames.READ).getInt(offset);
    }

    /** Writes an int. */
    public void putInt(final int offset, final int value) {
        checked(offset, Integer.BYTES, VirtualFrames.WRITE).putInt(offset, value);
    }

    /** Reads a long. */
    public long getLong(final int offset) {
        return checked(offset, Long.BYTES, VirtualFrames.READ).getLong(offset);
    }

    /** Writes a long. */
    public void putLong(final int offset, final long value) {
        checked(offset, Long.BYTES, VirtualFrames.WRITE).putLong(offset, value);
    }

    /** Reads bytes. */
    public void getBytes(final int offset, final byte[] dst, final int dstOffset, final int size) {
        checked(offset, size, VirtualFrames.READ).getBytes(offset, dst, dstOffset, size);
    }

    /** Writes bytes. */
    public void putBytes(final int offset, final byte[] src, final int srcOffset, final int size) {
        checked(offset, size, VirtualFrames.WRITE).putBytes(offset, src, srcOffset, size);
    }
}
