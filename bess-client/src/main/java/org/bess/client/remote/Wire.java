package org.bess.client.remote;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * The session protocol's frames ({@code docs/format/session-protocol.md}): a 4-byte little-endian length (of what
 * follows), then a request ({@code long correlation, int op, payload}) or a reply ({@code long correlation, int
 * status, int flags, int layoutStamp, payload}). Strings are an int byte count and UTF-8 bytes. This class holds the op
 * codes and a growable little-endian buffer for building payloads; decoding reads a {@link ByteBuffer} directly.
 *
 * <p>Not thread safe.
 */
public final class Wire {
    /** Largest frame accepted (after the length word): larger frames close the connection. */
    public static final int MAX_FRAME = 32 << 20;
    /** Bytes of a request header after the length word: correlation id and op code. */
    public static final int REQUEST_HEADER = 12;
    /** Bytes of a reply header after the length word: correlation id, status, flags, layout stamp. */
    public static final int REPLY_HEADER = 20;
    /** Reply flag: the session has a transaction open on the server. */
    public static final int FLAG_TXN_OPEN = 1;
    /** Reply flag: the server logged the recovery buffer early; written frames go back to read-only. */
    public static final int FLAG_PROTECT_WRITTEN = 2;
    /** Status of a successful reply. */
    public static final int OK = 0;
    /**
     * Protocol version sent in {@link #HELLO} (2: HELLO carries uid and gid; its reply the shared lock table, the
     * client's lock log and the heartbeat settings).
     */
    public static final int VERSION = 2;
    /** Correlation id of the one frame the server sends unasked: the expiry notice before it closes a connection. */
    public static final long EXPIRY_CORRELATION = 0;

    /**
     * Connect: mode ordinal, protocol version, pid, uid, gid; reply: cache path, maxWindows, windowBytes, budget,
     * recovery-buffer pages, server pid, connection id, heartbeat interval ms, expiry timeout ms.
     */
    public static final int HELLO = 1;
    /** Create a database: path, extent bytes; reply: database. */
    public static final int CREATE_DB = 2;
    /** Open a database: path; reply: database. */
    public static final int OPEN_DB = 3;
    /** List databases; reply: count, databases. */
    public static final int DATABASES = 4;
    /** Add an area: db, path, max size; reply: area info. */
    public static final int ADD_AREA = 5;
    /** Remove an area: db, path. */
    public static final int REMOVE_AREA = 6;
    /** List areas: db; reply: count, area infos. */
    public static final int AREAS = 7;
    /** Define a type: db, name, size, offsets; reply: type. */
    public static final int DEFINE_TYPE = 8;
    /** A type by name: db, name; reply: type. */
    public static final int TYPE = 9;
    /** Every type: db; reply: count, types. */
    public static final int TYPES = 10;
    /** Every file: db; reply: count, file infos. */
    public static final int FILES = 11;
    /** Large objects of a file: db, name; reply: count, infos. */
    public static final int LARGE_OBJECTS = 12;
    /** Move a file: db, name, path. */
    public static final int MOVE_FILE = 13;
    /** Compact: db, name or empty; reply: report. */
    public static final int COMPACT = 14;
    /** Begin a transaction. */
    public static final int BEGIN = 20;
    /** Commit the open transaction. */
    public static final int COMMIT = 21;
    /** Abort the open transaction. */
    public static final int ABORT = 22;
    /** Create a file: db, name, area path or empty; reply: file handle. */
    public static final int CREATE_FILE = 23;
    /** A file by name: db, name; reply: file handle. */
    public static final int FILE = 24;
    /** Drop a file: file handle. */
    public static final int DROP_FILE = 25;
    /** Allocate: file handle, type id, size (-1: the type's); reply: object. */
    public static final int ALLOCATE = 26;
    /** Allocate near: object handle, type id, size; reply: object. */
    public static final int ALLOCATE_NEAR = 27;
    /** Open by reference: db, word; reply: object. */
    public static final int OPEN = 28;
    /** Free an object: object handle. */
    public static final int FREE = 29;
    /** Resize: object handle, new size; reply: object placement. */
    public static final int RESIZE = 30;
    /** Set a root: db, name, has ref, ref db, word. */
    public static final int SET_ROOT = 31;
    /** A root: db, name; reply: has ref, db, word. */
    public static final int ROOT = 32;
    /** The word to store for a reference: db of the holder, ref db, word; reply: word. */
    public static final int STORED_WORD = 33;
    /** Where an object is now: object handle; reply: object placement. */
    public static final int RESOLVE = 34;
    /** An object's type: object handle; reply: type. */
    public static final int OBJECT_TYPE = 35;
    /** Open a cursor: file handle; reply: cursor handle. */
    public static final int SCAN = 36;
    /** Cursor step: cursor handle; reply: has next, is large, db, word, then object or large object. */
    public static final int CURSOR_NEXT = 37;
    /** Close a cursor: cursor handle. */
    public static final int CURSOR_CLOSE = 38;
    /**
     * Cursor steps in one request: cursor handle, {@code int max} (1..{@link #CURSOR_BATCH_MAX}); reply: {@code int n},
     * then n times {@code int large, long word} (the file's database). Fewer than max means the cursor is done. The
     * server opens each object as {@link #CURSOR_NEXT} would (its lock is taken); the client opens them itself.
     */
    public static final int CURSOR_NEXT_REFS = 56;
    /** The most references one {@link #CURSOR_NEXT_REFS} returns. */
    public static final int CURSOR_BATCH_MAX = 4096;
    /**
     * A slotted segment's slots, for the client to resolve references into it itself for the rest of the transaction:
     * db, segment page; reply: the used slots' raw bytes ({@code bytes}), then {@code int n} areas of the database
     * ({@code int id, int window, long pages}).
     * The server takes the transaction's shared lock on the page, as an open would.
     */
    public static final int SEGMENT_SLOTS = 39;
    /** Create a large object: file handle, area count, paths; reply: large object. */
    public static final int CREATE_LARGE = 40;
    /** Open a large object: db, word; reply: large object. */
    public static final int OPEN_LARGE = 41;
    /** Free a large object: handle. */
    public static final int FREE_LARGE = 42;
    /** Large object length: handle; reply: long. */
    public static final int LO_LENGTH = 43;
    /** Read: handle, position, length; reply: bytes. */
    public static final int LO_READ = 44;
    /** Write: handle, position, bytes. */
    public static final int LO_WRITE = 45;
    /** Insert: handle, position, bytes. */
    public static final int LO_INSERT = 46;
    /** Delete: handle, position, length. */
    public static final int LO_DELETE = 47;
    /** Append: handle, bytes; reply: position. */
    public static final int LO_APPEND = 48;
    /** Truncate: handle, new length. */
    public static final int LO_TRUNCATE = 49;
    /** Compare: handle, position, bytes; reply: int. */
    public static final int LO_COMPARE = 50;
    /** Copy: handle, src position, dst handle, dst position, length. */
    public static final int LO_COPY = 51;
    /** Index of a byte: handle, value, from; reply: long. */
    public static final int LO_INDEX_BYTE = 52;
    /** Index of a pattern: handle, bytes, from; reply: long. */
    public static final int LO_INDEX_PATTERN = 53;
    /** Info: handle; reply: length, segments, nodes, height, file, count, (path, count). */
    public static final int LO_INFO = 54;
    /** Prefetch: handle, position, length. */
    public static final int LO_PREFETCH = 55;
    /**
     * Slots of several segments: db, count (1..{@link #BATCH_MAX}), segment pages; reply: root window, areas, then per
     * segment a status (0 skipped, 1 slots follow) and the slot bytes. The first segment is locked as {@code
     * SEGMENT_SLOTS} does; the others only when S needs no wait.
     */
    public static final int SEGMENT_SLOTS_MANY = 57;
    /** The most pages of a {@code FETCH_PAGES} or segments of a {@code SEGMENT_SLOTS_MANY} request. */
    public static final int BATCH_MAX = 256;
    /** Fault: window, page; reply: cache frame (shared memory). */
    public static final int ACQUIRE_FRAME = 60;
    /** Fault: window, page (shared lock; copy-on-access replies with the page). */
    public static final int LOCK_FOR_READ = 61;
    /** Fault: a cache frame is no longer mapped (shared memory). */
    public static final int RELEASE_FRAME = 62;
    /** Fault: window, page: first write (exclusive lock, before-image). */
    public static final int BEFORE_FIRST_WRITE = 63;
    /** Copy-on-access: window, page; reply: the page's bytes (shared lock taken). */
    public static final int FETCH_PAGE = 64;
    /** Copy-on-access: count, then (window, page, range count, (offset, length, bytes)...) per page. */
    public static final int SHIP_PAGES = 65;
    /**
     * Copy-on-access: count (1..{@link #BATCH_MAX}), then (window, page, digest of the client's copy) per page; reply:
     * a status per page (0 not locked, 1 locked and the copy is current, 2 locked and the page follows), then the pages
     * of status 2 in order. The first page is locked as {@code FETCH_PAGE} does; the others only when S needs no wait.
     */
    public static final int FETCH_PAGES = 67;
    /** Lock counters of the engine; reply: count, longs (for tools and tests). */
    public static final int LOCK_COUNTERS = 66;
    /** Heartbeat: no payload and no reply; any frame from the client shows it is alive. */
    public static final int HEARTBEAT = 70;

    private ByteBuffer buffer = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);

    /** Starts a new frame: the length word is filled in by {@link #frame()}. */
    public Wire reset() {
        buffer.clear();
        buffer.putInt(0);
        return this;
    }

    private void room(final int bytes) {
        if (buffer.remaining() < bytes) {
            final long want = Math.max((long) buffer.capacity() * 2, (long) buffer.position() + bytes);
            if (want > MAX_FRAME + 4L) {
                throw new BessException(ErrorCode.BAD_ARGUMENT, "request too large: bytes=" + want);
            }
            final ByteBuffer bigger = ByteBuffer.allocate((int) want).order(ByteOrder.LITTLE_ENDIAN);
            buffer.flip();
            bigger.put(buffer);
            buffer = bigger;
        }
    }

    /** Appends an int. */
    public Wire putInt(final int v) {
        room(4);
        buffer.putInt(v);
        return this;
    }

    /** Appends a long. */
    public Wire putLong(final long v) {
        room(8);
        buffer.putLong(v);
        return this;
    }

    /** Appends a byte count and bytes. */
    public Wire putBytes(final byte[] b, final int offset, final int length) {
        room(4 + length);
        buffer.putInt(length);
        buffer.put(b, offset, length);
        return this;
    }

    /** Appends raw bytes (no count). */
    public Wire putRaw(final ByteBuffer src) {
        room(src.remaining());
        buffer.put(src);
        return this;
    }

    /** Appends a string (null as an empty string). */
    public Wire putString(final String s) {
        final byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
        return putBytes(b, 0, b.length);
    }

    /** The position in the frame (for patching a count later). */
    public int position() {
        return buffer.position();
    }

    /** Overwrites an int written earlier at {@code at}. */
    public void patchInt(final int at, final int v) {
        buffer.putInt(at, v);
    }

    /** Finishes the frame: fills in the length word and returns the bytes to send, flipped. */
    public ByteBuffer frame() {
        buffer.putInt(0, buffer.position() - 4);
        buffer.flip();
        return buffer;
    }

    /** Reads a string. */
    public static String getString(final ByteBuffer in) {
        final int n = in.getInt();
        checkCount(in, n);
        final byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Reads a byte count and bytes. */
    public static byte[] getBytes(final ByteBuffer in) {
        final int n = in.getInt();
        checkCount(in, n);
        final byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /** Checks a count read from a frame against what is left of it. */
    public static void checkCount(final ByteBuffer in, final int n) {
        if (n < 0 || n > in.remaining()) {
            // a malformed frame: the reader treats it as a truncated one
            throw new BufferUnderflowException();
        }
    }
}
