package org.bess.format;

import org.agrona.UnsafeApi;

/**
 * A 64-bit digest of a 4 KiB page, by which a copy-on-access client and the server tell whether the client's copy of a
 * page is still the page (the {@code FETCH_PAGES} request, docs/format/session-protocol.md): each 8-byte word is mixed
 * with its position and folded in with a multiply-rotate step, then the sum is finished by the murmur3 finalizer. Not
 * cryptographic: a changed page keeps its digest with a chance of about 2^-64, against content the clients of one node
 * write themselves.
 */
public final class PageDigest {
    private static final long K1 = 0x9E3779B97F4A7C15L;
    private static final long K2 = 0xC2B2AE3D27D4EB4FL;
    private static final long K3 = 0x165667B19E3779F9L;

    private PageDigest() {}

    /** The digest of the {@link PageHeaderDescriptor#PAGE_LENGTH} bytes at {@code address}. */
    public static long of(final long address) {
        long h = K3;
        long g = K1;
        for (int i = 0; i < PageHeaderDescriptor.PAGE_LENGTH; i += 2 * Long.BYTES) {
            h = Long.rotateLeft(h ^ ((UnsafeApi.getLong(address + i) + i) * K1), 31) * K2;
            g = Long.rotateLeft(g ^ ((UnsafeApi.getLong(address + i + Long.BYTES) + i) * K2), 29) * K1;
        }
        return finish(h ^ Long.rotateLeft(g, 17));
    }

    /** The digest of a page held in a byte array of at least {@link PageHeaderDescriptor#PAGE_LENGTH} bytes. */
    public static long of(final byte[] page) {
        if (page.length < PageHeaderDescriptor.PAGE_LENGTH) {
            throw new IllegalArgumentException("not a page: bytes=" + page.length);
        }
        long h = K3;
        long g = K1;
        final long base = UnsafeApi.arrayBaseOffset(byte[].class);
        for (int i = 0; i < PageHeaderDescriptor.PAGE_LENGTH; i += 2 * Long.BYTES) {
            h = Long.rotateLeft(h ^ ((UnsafeApi.getLong(page, base + i) + i) * K1), 31) * K2;
            g = Long.rotateLeft(g ^ ((UnsafeApi.getLong(page, base + i + Long.BYTES) + i) * K2), 29) * K1;
        }
        return finish(h ^ Long.rotateLeft(g, 17));
    }

    /**
     * The digest of a byte array whose length is a multiple of 8 (a slotted segment's used slots, by which a
     * copy-on-access client and the server tell whether the client's kept slot array is still the segment's: {@code
     * SEGMENT_SLOTS_MANY}): the words mixed as for a page, the length in the seed, so arrays of other lengths differ.
     *
     * @throws IllegalArgumentException when the length is not a multiple of 8.
     */
    public static long ofWords(final byte[] words) {
        if (words.length % Long.BYTES != 0) {
            throw new IllegalArgumentException("not whole words: bytes=" + words.length);
        }
        long h = K3 ^ (words.length * K2);
        final long base = UnsafeApi.arrayBaseOffset(byte[].class);
        for (int i = 0; i < words.length; i += Long.BYTES) {
            h = Long.rotateLeft(h ^ ((UnsafeApi.getLong(words, base + i) + i) * K1), 31) * K2;
        }
        return finish(h);
    }

    private static long finish(final long v) {
        long x = v;
        x ^= x >>> 33;
        x *= 0xFF51AFD7ED558CCDL;
        x ^= x >>> 33;
        x *= 0xC4CEB9FE1A85EC53L;
        x ^= x >>> 33;
        return x;
    }
}
