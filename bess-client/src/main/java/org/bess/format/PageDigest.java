package org.bess.format;

import org.agrona.UnsafeApi;

/**
 * A 64-bit digest of a 4 KiB page, by which a copy-on-access client and the server tell whether the client's copy of a
 * page is still the page (the {@code FETCH_PAGES} request, docs/format/session-protocol.md). A page is four lanes of
 * words (word {@code i} in lane {@code i mod 4}); each lane folds its words in order with {@code lane = rotl(lane ^
 * word, r) * K}, the lanes are combined with rotations and the result finished by the murmur3 finalizer. Each step is a
 * bijection of the lane for a given word and of the word for a given lane, so a page that differs from another in one
 * word never has its digest; other changes keep it with a chance of about 2^-64. One multiply per
 * word on four independent chains: about twice as fast as the two-lane, two-multiply digest before (session 9; the
 * server digests every predicted page of a batch). Not cryptographic: it tells changes apart in content the clients
 * of one node write themselves.
 */
public final class PageDigest {
    private static final long K1 = 0x9E3779B97F4A7C15L;
    private static final long K2 = 0xC2B2AE3D27D4EB4FL;
    private static final long K3 = 0x165667B19E3779F9L;
    private static final long K4 = 0xFF51AFD7ED558CCDL;

    private PageDigest() {}

    /** The digest of the {@link PageHeaderDescriptor#PAGE_LENGTH} bytes at {@code address}. */
    public static long of(final long address) {
        long a = K1;
        long b = K2;
        long c = K3;
        long d = K4;
        for (int i = 0; i < PageHeaderDescriptor.PAGE_LENGTH; i += 4 * Long.BYTES) {
            a = Long.rotateLeft(a ^ UnsafeApi.getLong(address + i), 31) * K1;
            b = Long.rotateLeft(b ^ UnsafeApi.getLong(address + i + Long.BYTES), 29) * K2;
            c = Long.rotateLeft(c ^ UnsafeApi.getLong(address + i + 2 * Long.BYTES), 27) * K3;
            d = Long.rotateLeft(d ^ UnsafeApi.getLong(address + i + 3 * Long.BYTES), 33) * K4;
        }
        return combine(a, b, c, d);
    }

    private static long combine(final long a, final long b, final long c, final long d) {
        return finish(a ^ Long.rotateLeft(b, 17) ^ Long.rotateLeft(c, 31) ^ Long.rotateLeft(d, 47));
    }

    /** The digest of a page held in a byte array of at least {@link PageHeaderDescriptor#PAGE_LENGTH} bytes. */
    public static long of(final byte[] page) {
        if (page.length < PageHeaderDescriptor.PAGE_LENGTH) {
            throw new IllegalArgumentException("not a page: bytes=" + page.length);
        }
        long a = K1;
        long b = K2;
        long c = K3;
        long d = K4;
        final long base = UnsafeApi.arrayBaseOffset(byte[].class);
        for (int i = 0; i < PageHeaderDescriptor.PAGE_LENGTH; i += 4 * Long.BYTES) {
            a = Long.rotateLeft(a ^ UnsafeApi.getLong(page, base + i), 31) * K1;
            b = Long.rotateLeft(b ^ UnsafeApi.getLong(page, base + i + Long.BYTES), 29) * K2;
            c = Long.rotateLeft(c ^ UnsafeApi.getLong(page, base + i + 2 * Long.BYTES), 27) * K3;
            d = Long.rotateLeft(d ^ UnsafeApi.getLong(page, base + i + 3 * Long.BYTES), 33) * K4;
        }
        return combine(a, b, c, d);
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

    /**
     * {@link #ofWords(byte[])} of {@code length} bytes at an address (the used slots in a cache frame, digested where
     * they are): the same value as for an array with those bytes.
     *
     * @throws IllegalArgumentException when the length is not a multiple of 8.
     */
    public static long ofWords(final long address, final int length) {
        if (length % Long.BYTES != 0) {
            throw new IllegalArgumentException("not whole words: bytes=" + length);
        }
        long h = K3 ^ (length * K2);
        for (int i = 0; i < length; i += Long.BYTES) {
            h = Long.rotateLeft(h ^ ((UnsafeApi.getLong(address + i) + i) * K1), 31) * K2;
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
