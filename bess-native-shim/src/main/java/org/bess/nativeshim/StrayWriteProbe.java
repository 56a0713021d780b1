package org.bess.nativeshim;

import java.nio.file.Path;
import jnr.ffi.Pointer;

/**
 * A child-process probe that proves the hardware half of frame protection. It maps file page 0 read-write and file
 * page 1 read-only into a fresh reservation, writes {@link #PROBE_BYTE} into page 0 (which must succeed and reach the
 * file), prints {@code wrote read-write page}, then writes the same byte into page 1. That second write must kill the
 * process with SIGSEGV, so that a stray write can never reach the file; if it does not, the probe prints {@code
 * STRAY WRITE SURVIVED} and exits 3.
 *
 * <p>Usage: {@code StrayWriteProbe FILE}; the file must exist and hold at least two pages.
 */
public final class StrayWriteProbe {
    /** The byte the probe writes at offset 0 of each page. */
    public static final byte PROBE_BYTE = (byte) 0x5A;

    /** What the probe prints after its permitted write. */
    public static final String WROTE_READ_WRITE = "wrote read-write page";

    /** What the probe prints if the forbidden write did not kill it. */
    public static final String SURVIVED = "STRAY WRITE SURVIVED";

    private StrayWriteProbe() {}

    /**
     * Runs the probe.
     *
     * @param args the file.
     */
    public static void main(final String[] args) {
        if (args.length != 1) {
            System.err.println("usage: StrayWriteProbe FILE");
            System.exit(2);
        }
        final int pageSize = Native.pageSize();
        try (MappedFile file = MappedFile.open(Path.of(args[0]), true);
                AddressSpace space = AddressSpace.reserve(16L * pageSize)) {
            final long writable = space.mapFile(4L * pageSize, pageSize, file.fd(), 0, Protection.READ_WRITE);
            final long readOnly = space.mapFile(9L * pageSize, pageSize, file.fd(), pageSize, Protection.READ);
            Pointer.wrap(Native.runtime(), writable).putByte(0, PROBE_BYTE);
            System.out.println(WROTE_READ_WRITE);
            System.out.println("writing into read-only page at 0x" + Long.toHexString(readOnly));
            System.out.flush();
            Pointer.wrap(Native.runtime(), readOnly).putByte(0, PROBE_BYTE);
            System.out.println(SURVIVED);
            System.exit(3);
        }
    }
}
