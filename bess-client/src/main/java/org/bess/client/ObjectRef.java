package org.bess.client;

/**
 * An object opened in a transaction: its bytes are read and written in place, in the cache's page frames, at offsets
 * from the start of the object. Every access checks the state of the virtual frames it touches first; the first write
 * to a page in a transaction takes the update path. Offsets out of {@code [0, size())} are refused.
 */
public interface ObjectRef {
    /** The persistent reference to this object. */
    Ref ref();

    /** The object's type. */
    TypeId type();

    /** The object's size in bytes. */
    int size();

    /** The database the object lives in. */
    Database database();

    /** Reads a byte. */
    byte getByte(int offset);

    /** Writes a byte. */
    void putByte(int offset, byte value);

    /** Reads a little-endian int. */
    int getInt(int offset);

    /** Writes a little-endian int. */
    void putInt(int offset, int value);

    /** Reads a little-endian long. */
    long getLong(int offset);

    /** Writes a little-endian long. */
    void putLong(int offset, long value);

    /** Reads a double. */
    double getDouble(int offset);

    /** Writes a double. */
    void putDouble(int offset, double value);

    /** Copies {@code length} bytes from the object into {@code dst}. */
    void getBytes(int offset, byte[] dst, int dstOffset, int length);

    /** Copies bytes into the object. */
    void putBytes(int offset, byte[] src, int srcOffset, int length);

    /** Reads the reference stored at {@code offset}, or null when it is the null reference. */
    Ref getRef(int offset);

    /**
     * Follows the reference stored at {@code offset}: opens the object it names in this object's transaction, as
     * {@code tx.open(getRef(offset))} does (with the same checks: the transaction active, the reference live), without
     * making a {@link Ref}. The handle may be a new one even when the object was opened before in the transaction.
     *
     * @param offset where the reference is stored in this object.
     * @return the object it names.
     * @throws org.bess.exceptions.BessException {@code INVALID_REFERENCE} when the stored reference is the null
     *     reference or names no live object, {@code BAD_ARGUMENT} when it names a large object.
     */
    ObjectRef openRef(int offset);

    /**
     * Follows the reference stored at {@code offset} as {@link #openRef} does, with the same checks, but re-points
     * {@code into}, a handle of this object's transaction, at the object instead of making a new handle: for a
     * traversal that keeps one handle per level of its recursion (or walks a chain with one handle, {@code
     * o.openRefInto(NEXT, o)}), so that following a reference allocates nothing. The handle then names the new object
     * only (its {@link #ref()}, size, type and bytes are the new object's); every check of an access is made as for
     * any handle (the transaction active, the frame state, the bounds of the new object). When this call throws,
     * {@code into} still names the object it named before.
     *
     * <p>Re-pointing changes the handle for everyone holding it: {@link Transaction#open} may give the same handle
     * for repeated opens of one reference in a transaction (the client modes do), so re-point only handles the
     * caller made for that purpose ({@link #openRef}, {@code openRefInto}) and hands out to nobody else.
     *
     * @param offset where the reference is stored in this object.
     * @param into the handle to re-point: of this object's transaction (it may be this handle).
     * @return {@code into}, now naming the object the reference names.
     * @throws org.bess.exceptions.BessException {@code INVALID_REFERENCE} when the stored reference is the null
     *     reference or names no live object, {@code BAD_ARGUMENT} when it names a large object or {@code into} is not
     *     a handle of this transaction, {@code ILLEGAL_STATE} when the transaction is no longer active.
     */
    ObjectRef openRefInto(int offset, ObjectRef into);

    /** Stores a reference at {@code offset}; a reference into another database is stored through a forward object. */
    void putRef(int offset, Ref ref);
}
