package org.bess.client;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.concurrent.CompletableFuture;

/**
 * A large object opened in a transaction (BeSS §2.2): a sequence of bytes of any length (0 to terabytes), stored as a
 * tree of variable-size segments, with byte-range operations at any position. Reaching any byte costs O(log n) page
 * accesses; inserting or deleting in the middle touches only the segments around the position.
 *
 * <p>To the rest of the system it is an ordinary object: a slot whose {@link #ref() reference} can be stored in other
 * objects, set as a root and followed with {@link Transaction#openLarge(Ref)}.
 *
 * <p>Positions and lengths are in bytes. A range past the end ({@code position + length > length()}), a negative
 * position or length, or a closed transaction is refused with a {@link org.bess.exceptions.BessException} naming the
 * object, the position and the length; nothing is changed then. Writing at {@link #length()} extends the object.
 *
 * <p>Threading: call the synchronous methods from the session's thread. The {@code *Async} methods return at once;
 * the operation runs on the engine's I/O thread, in submission order, and its future completes (or fails with the
 * operation's exception) in that order. A synchronous call, and any other call into the session, first waits for the
 * asynchronous operations submitted before it, so every call sees the effect of the ones submitted earlier. An array
 * passed to an asynchronous operation belongs to it until its future completes. Callbacks on those futures run on the
 * I/O thread and must not block on another future of the session.
 */
public interface LargeObject {
    /** The persistent reference to this object. */
    Ref ref();

    /** The database the object lives in. */
    Database database();

    /** The length in bytes. */
    long length();

    /** Copies {@code dst.length} bytes starting at {@code position} into {@code dst}. */
    default void read(final long position, final byte[] dst) {
        read(position, dst, 0, dst.length);
    }

    /** Copies {@code length} bytes starting at {@code position} into {@code dst} from {@code offset}. */
    void read(long position, byte[] dst, int offset, int length);

    /** Copies {@code dst.remaining()} bytes starting at {@code position} into {@code dst}, advancing its position. */
    void read(long position, ByteBuffer dst);

    /** Overwrites bytes from {@code position} with {@code src}, extending the object where it passes the end. */
    default void write(final long position, final byte[] src) {
        write(position, src, 0, src.length);
    }

    /** Overwrites bytes from {@code position}, extending the object where it passes the end. */
    void write(long position, byte[] src, int offset, int length);

    /** Overwrites bytes from {@code position} with {@code src.remaining()} bytes, advancing its position. */
    void write(long position, ByteBuffer src);

    /** Inserts {@code src} before the byte at {@code position} (at {@link #length()}: appends). */
    default void insert(final long position, final byte[] src) {
        insert(position, src, 0, src.length);
    }

    /** Inserts bytes before the byte at {@code position}; the bytes after it move up. */
    void insert(long position, byte[] src, int offset, int length);

    /** Inserts {@code src.remaining()} bytes before the byte at {@code position}, advancing its position. */
    void insert(long position, ByteBuffer src);

    /** Deletes {@code length} bytes starting at {@code position}; the bytes after them move down. */
    void delete(long position, long length);

    /**
     * Appends {@code src} at the end.
     *
     * @return the position of the first appended byte (the length before the call).
     */
    default long append(final byte[] src) {
        return append(src, 0, src.length);
    }

    /**
     * Appends bytes at the end.
     *
     * @return the position of the first appended byte.
     */
    long append(byte[] src, int offset, int length);

    /**
     * Appends {@code src.remaining()} bytes at the end, advancing its position.
     *
     * @return the position of the first appended byte.
     */
    long append(ByteBuffer src);

    /** Cuts the object to {@code newLength} bytes (at most its length). */
    void truncate(long newLength);

    /**
     * Compares the bytes from {@code position} with {@code bytes}, as {@code memcmp} does: bytes are unsigned.
     *
     * @return zero when equal, else negative or positive as the object's first differing byte is smaller or larger.
     */
    default int compare(final long position, final byte[] bytes) {
        return compare(position, bytes, 0, bytes.length);
    }

    /**
     * Compares {@code length} bytes from {@code position} with {@code bytes} from {@code offset} ({@code memcmp}).
     *
     * @return zero when equal, else negative or positive as the object's first differing byte is smaller or larger.
     */
    int compare(long position, byte[] bytes, int offset, int length);

    /**
     * Copies {@code length} bytes from {@code srcPosition} of this object over {@code dst} from {@code dstPosition}
     * ({@code memcpy}, extending {@code dst} where it passes the end). {@code dst} may be this object; overlapping
     * ranges are copied as {@code memmove} does.
     */
    void copy(long srcPosition, LargeObject dst, long dstPosition, long length);

    /**
     * The first position at or after {@code from} holding {@code value} ({@code memchr}).
     *
     * @return the position, or -1 when there is none.
     */
    long indexOf(byte value, long from);

    /**
     * The first position at or after {@code from} where {@code pattern} starts (an empty pattern matches at {@code
     * from}).
     *
     * @return the position, or -1 when there is none.
     */
    long indexOf(byte[] pattern, long from);

    /**
     * Reads asynchronously into {@code dst} (see {@link #read(long, byte[])}).
     *
     * @return {@code dst}, once filled.
     */
    CompletableFuture<byte[]> readAsync(long position, byte[] dst);

    /**
     * Reads {@code length} bytes asynchronously into a new array.
     *
     * @return the bytes.
     */
    CompletableFuture<byte[]> readAsync(long position, int length);

    /**
     * Overwrites asynchronously (see {@link #write(long, byte[])}).
     *
     * @return the object's length after the write.
     */
    CompletableFuture<Long> writeAsync(long position, byte[] src);

    /**
     * Inserts asynchronously (see {@link #insert(long, byte[])}).
     *
     * @return the object's length after the insert.
     */
    CompletableFuture<Long> insertAsync(long position, byte[] src);

    /**
     * Deletes asynchronously (see {@link #delete(long, long)}).
     *
     * @return the object's length after the delete.
     */
    CompletableFuture<Long> deleteAsync(long position, long length);

    /**
     * Appends asynchronously (see {@link #append(byte[])}).
     *
     * @return the position of the first appended byte.
     */
    CompletableFuture<Long> appendAsync(byte[] src);

    /**
     * A hint: starts bringing the segments that hold {@code [position, position + length)} into the cache, on the
     * engine's I/O thread. It returns at once, changes nothing, and gives way to the next call into the session.
     */
    void prefetch(long position, long length);

    /** The shape of the object: length, segments, nodes, height, segments per area. */
    LargeObjectInfo info();

    /** An input stream over the bytes from {@code position} to the end (as the end is when each read runs). */
    default InputStream inputStream(final long position) {
        return new LargeObjectInputStream(this, position);
    }

    /**
     * An output stream that overwrites from {@code position} on and extends the object past its end. Small writes are
     * gathered up to 64 KiB; {@code flush} and {@code close} write them.
     */
    default OutputStream outputStream(final long position) {
        return new LargeObjectOutputStream(this, position);
    }

    /** A seekable channel over the object, at position 0. */
    default SeekableByteChannel channel() {
        return new LargeObjectChannel(this);
    }
}
