package org.bess.nativeshim;

/**
 * A range of virtual address space reserved with {@code PROT_NONE} and {@code MAP_NORESERVE}: it costs no memory
 * until pages of files are mapped into it at fixed addresses. Virtual frames live here (DESIGN.md §3): the address of
 * a page is the reservation's base plus the window of its storage area plus {@code pageNo * pageSize}.
 *
 * <p>Every operation takes an offset inside the reservation and refuses, before any system call, a range that leaves
 * it: {@code MAP_FIXED} outside the reservation would silently replace whatever else the process mapped there.
 *
 * <p>Thread safe as far as the kernel is; callers own disjoint ranges. {@link #release()} must not race with use.
 */
public final class AddressSpace implements AutoCloseable {
    private static final int RESERVE_FLAGS = Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_NORESERVE;

    private static final int EINVAL = jnr.constants.platform.Errno.EINVAL.intValue();

    private final long baseAddress;
    private final long length;
    private volatile boolean released;

    private AddressSpace(final long baseAddress, final long length) {
        this.baseAddress = baseAddress;
        this.length = length;
    }

    /**
     * Reserves {@code length} bytes of address space, inaccessible and without backing memory.
     *
     * @param length bytes, a multiple of the page size.
     * @return the reservation.
     */
    public static AddressSpace reserve(final long length) {
        if (length <= 0 || length % Native.pageSize() != 0) {
            throw new IllegalArgumentException(
                    "reservation length must be a positive multiple of the page size: length=" + length + ", pageSize="
                            + Native.pageSize());
        }
        final long base = Native.mmap(0, length, Native.PROT_NONE, RESERVE_FLAGS, -1, 0);
        return new AddressSpace(base, length);
    }

    /** The first address of the reservation. */
    public long baseAddress() {
        return baseAddress;
    }

    /** The reserved length in bytes. */
    public long length() {
        return length;
    }

    /**
     * The absolute address of an offset inside the reservation.
     *
     * @param offset bytes from the base.
     * @return {@code baseAddress() + offset}.
     */
    public long address(final long offset) {
        return baseAddress + offset;
    }

    /**
     * Maps {@code length} bytes of a file, from {@code fileOffset}, shared, at {@code offset} inside the reservation.
     * Whatever was mapped there before is replaced.
     *
     * @return the absolute address of the mapping.
     */
    public long mapFile(
            final long offset, final long length, final int fd, final long fileOffset, final Protection protection) {
        checkRange("mmap", offset, length);
        return Native.mmap(
                baseAddress + offset, length, protection.bits(), Native.MAP_FIXED | Native.MAP_SHARED, fd, fileOffset);
    }

    /** Changes the protection of a range inside the reservation. */
    public void protect(final long offset, final long length, final Protection protection) {
        checkRange("mprotect", offset, length);
        Native.mprotect(baseAddress + offset, length, protection.bits());
    }

    /** Returns a range to the reserved state: whatever was mapped there is unmapped, and the range is inaccessible. */
    public void unmap(final long offset, final long length) {
        checkRange("mmap", offset, length);
        Native.mmap(baseAddress + offset, length, Native.PROT_NONE, RESERVE_FLAGS | Native.MAP_FIXED, -1, 0);
    }

    /** Releases the whole reservation and everything mapped in it. Idempotent. */
    public void release() {
        if (!released) {
            released = true;
            Native.munmap(baseAddress, length);
        }
    }

    @Override
    public void close() {
        release();
    }

    private void checkRange(final String call, final long offset, final long rangeLength) {
        if (released) {
            throw new IllegalStateException("address space released: base=0x" + Long.toHexString(baseAddress));
        }
        if (offset < 0 || rangeLength <= 0 || offset > length - rangeLength) {
            // EINVAL, as the kernel would say for a bad range; checked here because MAP_FIXED beyond the reservation
            // would succeed and clobber unrelated mappings of this process.
            throw new NativeException(
                    call,
                    EINVAL,
                    "range outside the reservation: offset=" + offset + ", length=" + rangeLength + ", reserved="
                            + length);
        }
    }
}
