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

    /** Stores a reference at {@code offset}; a reference into another database is stored through a forward object. */
    void putRef(int offset, Ref ref);
}
