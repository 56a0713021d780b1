package org.bess.server;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.LargeObjectInfo;
import org.bess.client.Ref;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;

/**
 * A large object open in a transaction: checks every call's arguments against the object's length (naming the object,
 * position and length when it refuses), then hands the work to the database's {@link LargeObjectTree}. Synchronous
 * calls first wait at the engine's barrier; asynchronous ones are queued on the engine's I/O thread (see {@link
 * EngineIoThreads}) and check their arguments when they run, against the length the operations before them left.
 *
 * <p>Confined to the session thread (and to the I/O thread while it runs this object's queued operations).
 */
@SuppressWarnings("try") // the latch guard is used for its close() only
final class EngineLargeObject implements LargeObject {
    /** Bytes moved per step of copy, compare and search. */
    private static final int CHUNK_LENGTH = 256 * 1024;
    /** Reads at least this long are scans. */
    private static final long STREAM_MIN_LENGTH = 64 * 1024;

    private final EngineTransaction tx;
    private final EngineDatabase db;
    private final long word;
    private final EngineIoThreads io;
    private final LargeObjectTree.Root root = new LargeObjectTree.Root();
    private int epoch;
    private long lastReadEnd = -1;
    private byte[] chunk;

    EngineLargeObject(final EngineTransaction tx, final EngineDatabase db, final long word) {
        this.tx = tx;
        this.db = db;
        this.word = word;
        this.io = db.server().io();
        db.largeObjects().resolve(word, root);
        this.epoch = db.layoutEpoch();
    }

    long word() {
        return word;
    }

    EngineDatabase db() {
        return db;
    }

    EngineTransaction tx() {
        return tx;
    }

    private LargeObjectTree tree() {
        return db.largeObjects().tree();
    }

    private String name() {
        return "object=" + RefDescriptor.toString(word) + ", database=" + db.path();
    }

    /** The transaction is active and the root is current (a free or a drop moves the layout epoch). */
    private void ready() {
        if (!tx.isActive()) {
            throw new BessException(
                    ErrorCode.ILLEGAL_STATE, "transaction is no longer active (committed or closed): " + name());
        }
        if (epoch != db.layoutEpoch()) {
            db.largeObjects().resolve(word, root);
            epoch = db.layoutEpoch();
        }
    }

    private BessException refused(final String what, final long position, final long length, final long size) {
        return new BessException(
                ErrorCode.BAD_ARGUMENT,
                what + ": " + name() + ", position=" + position + ", length=" + length + ", objectLength=" + size);
    }

    /** Checks that {@code [position, position + length)} lies inside the object; returns its length. */
    private long checkRange(final String op, final long position, final long length) {
        final long size = tree().length(root);
        if (position < 0 || length < 0) {
            throw refused(op + ": negative position or length", position, length, size);
        }
        if (position > size) {
            throw refused(op + ": position past the end of the large object", position, length, size);
        }
        if (length > size - position) {
            throw refused(op + ": range past the end of the large object", position, length, size);
        }
        return size;
    }

    /** Checks a position where bytes go (at most the length); returns the length. */
    private long checkPosition(final String op, final long position, final long length) {
        final long size = tree().length(root);
        if (position < 0 || length < 0) {
            throw refused(op + ": negative position or length", position, length, size);
        }
        if (position > size) {
            throw refused(op + ": position past the end of the large object", position, length, size);
        }
        return size;
    }

    private void checkArray(final String op, final int arrayLength, final int offset, final int length) {
        if (offset < 0 || length < 0 || offset > arrayLength - length) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    op + ": array range out of bounds: " + name() + ", arrayLength=" + arrayLength + ", offset="
                            + offset + ", length=" + length);
        }
    }

    private static LeafPages.Source from(final byte[] src, final int offset) {
        return (at, page, off, n) -> page.putBytes(off, src, offset + (int) at, n);
    }

    private static LeafPages.Sink into(final byte[] dst, final int offset) {
        return (page, off, at, n) -> page.getBytes(off, dst, offset + (int) at, n);
    }

    private byte[] chunk() {
        if (chunk == null) {
            chunk = new byte[CHUNK_LENGTH];
        }
        return chunk;
    }

    // ---------------------------------------------------------------- the operations, once entered

    private void readNow(final long position, final LeafPages.Sink sink, final long length) {
        checkRange("read", position, length);
        // a scan (a large read, or one that goes on where the last ended) streams past the cache what is not in it
        final boolean stream = length >= STREAM_MIN_LENGTH || position == lastReadEnd;
        tree().read(root, position, sink, 0, length, stream);
        lastReadEnd = position + length;
    }

    private void writeNow(final long position, final LeafPages.Source src, final long length) {
        final long size = checkPosition("write", position, length);
        final long over = Math.min(length, size - position);
        tree().overwrite(root, position, src, 0, over);
        if (length > over) {
            tree().append(root, src, over, length - over);
        }
    }

    private void insertNow(final long position, final LeafPages.Source src, final long length) {
        checkPosition("insert", position, length);
        tree().insert(root, position, src, 0, length);
    }

    private void deleteNow(final long position, final long length) {
        checkRange("delete", position, length);
        if (length > 0) {
            tree().delete(root, position, length);
        }
    }

    private long appendNow(final LeafPages.Source src, final long length) {
        return tree().append(root, src, 0, length);
    }

    // ---------------------------------------------------------------- LargeObject

    @Override
    public Ref ref() {
        return new Ref(db, word);
    }

    @Override
    public Database database() {
        return db;
    }

    @Override
    public long length() {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            return tree().length(root);
        }
    }

    @Override
    public void read(final long position, final byte[] dst, final int offset, final int length) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            checkArray("read", dst.length, offset, length);
            readNow(position, into(dst, offset), length);
        }
    }

    @Override
    public void read(final long position, final ByteBuffer dst) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            final int at = dst.position();
            final int length = dst.remaining();
            readNow(position, (page, off, k, n) -> page.getBytes(off, dst, at + (int) k, n), length);
            dst.position(at + length);
        }
    }

    @Override
    public void write(final long position, final byte[] src, final int offset, final int length) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            checkArray("write", src.length, offset, length);
            writeNow(position, from(src, offset), length);
        }
    }

    @Override
    public void write(final long position, final ByteBuffer src) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            final int at = src.position();
            final int length = src.remaining();
            writeNow(position, (k, page, off, n) -> page.putBytes(off, src, at + (int) k, n), length);
            src.position(at + length);
        }
    }

    @Override
    public void insert(final long position, final byte[] src, final int offset, final int length) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            checkArray("insert", src.length, offset, length);
            insertNow(position, from(src, offset), length);
        }
    }

    @Override
    public void insert(final long position, final ByteBuffer src) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            final int at = src.position();
            final int length = src.remaining();
            insertNow(position, (k, page, off, n) -> page.putBytes(off, src, at + (int) k, n), length);
            src.position(at + length);
        }
    }

    @Override
    public void delete(final long position, final long length) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            deleteNow(position, length);
        }
    }

    @Override
    public long append(final byte[] src, final int offset, final int length) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            checkArray("append", src.length, offset, length);
            return appendNow(from(src, offset), length);
        }
    }

    @Override
    public long append(final ByteBuffer src) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            final int at = src.position();
            final int length = src.remaining();
            final long start = appendNow((k, page, off, n) -> page.putBytes(off, src, at + (int) k, n), length);
            src.position(at + length);
            return start;
        }
    }

    @Override
    public void truncate(final long newLength) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            final long size = tree().length(root);
            if (newLength < 0 || newLength > size) {
                throw refused("truncate: new length negative or past the end of the large object", newLength, 0, size);
            }
            if (newLength < size) {
                tree().delete(root, newLength, size - newLength);
            }
        }
    }

    @Override
    public int compare(final long position, final byte[] bytes, final int offset, final int length) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            checkArray("compare", bytes.length, offset, length);
            checkRange("compare", position, length);
            final int[] result = {0};
            for (long done = 0; done < length && result[0] == 0; ) {
                final int n = (int) Math.min(CHUNK_LENGTH, length - done);
                final int base = offset + (int) done;
                tree().read(
                                root,
                                position + done,
                                (page, off, at, k) -> {
                                    for (int j = 0; j < k && result[0] == 0; j++) {
                                        final int a = page.getByte(off + j) & 0xFF;
                                        final int b = bytes[base + (int) at + j] & 0xFF;
                                        result[0] = a - b;
                                    }
                                },
                                0,
                                n,
                                true);
                done += n;
            }
            return result[0];
        }
    }

    @Override
    public void copy(final long srcPosition, final LargeObject dst, final long dstPosition, final long length) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            if (!(dst instanceof EngineLargeObject d)
                    || d.tx.session().server() != tx.session().server()) {
                throw new BessException(
                        ErrorCode.BAD_ARGUMENT, "copy: destination is not a large object of this session: " + name());
            }
            d.ready();
            final long size = checkRange("copy", srcPosition, length);
            final long dstSize = d.checkPosition("copy", dstPosition, length);
            final byte[] buf = chunk();
            final boolean same = d.db == db && d.word == word;
            if (same && dstPosition > srcPosition && dstPosition < srcPosition + length) {
                // memmove upwards: extend first so that every chunk, copied from the end down, lands inside
                final long end = dstPosition + length;
                if (end > size) {
                    Arrays.fill(buf, (byte) 0);
                    for (long grow = end - size; grow > 0; ) {
                        final int n = (int) Math.min(buf.length, grow);
                        appendNow(from(buf, 0), n);
                        grow -= n;
                    }
                }
                for (long e = length; e > 0; ) {
                    final int n = (int) Math.min(buf.length, e);
                    tree().read(root, srcPosition + e - n, into(buf, 0), 0, n, false);
                    tree().overwrite(root, dstPosition + e - n, from(buf, 0), 0, n);
                    e -= n;
                }
                return;
            }
            long dstLength = dstSize;
            for (long done = 0; done < length; ) {
                final int n = (int) Math.min(buf.length, length - done);
                tree().read(root, srcPosition + done, into(buf, 0), 0, n, true);
                final long at = dstPosition + done;
                final long over = Math.max(0, Math.min(n, dstLength - at));
                d.tree().overwrite(d.root, at, from(buf, 0), 0, over);
                if (n > over) {
                    d.tree().append(d.root, from(buf, 0), over, n - over);
                    dstLength = at + n;
                }
                done += n;
            }
        }
    }

    @Override
    public long indexOf(final byte value, final long from) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            final long size = tree().length(root);
            if (from < 0) {
                throw refused("indexOf: negative position", from, 0, size);
            }
            final long[] found = {-1};
            for (long pos = from; pos < size && found[0] < 0; ) {
                final int n = (int) Math.min(CHUNK_LENGTH, size - pos);
                final long base = pos;
                tree().read(
                                root,
                                pos,
                                (page, off, at, k) -> {
                                    for (int j = 0; j < k && found[0] < 0; j++) {
                                        if (page.getByte(off + j) == value) {
                                            found[0] = base + at + j;
                                        }
                                    }
                                },
                                0,
                                n,
                                true);
                pos += n;
            }
            return found[0];
        }
    }

    @Override
    public long indexOf(final byte[] pattern, final long from) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            final long size = tree().length(root);
            if (from < 0) {
                throw refused("indexOf: negative position", from, pattern.length, size);
            }
            final int m = pattern.length;
            if (m == 0) {
                return from <= size ? from : -1;
            }
            // Knuth-Morris-Pratt over the stream of bytes: matches across segment and chunk boundaries
            final int[] fail = new int[m];
            for (int i = 1, k = 0; i < m; i++) {
                while (k > 0 && pattern[i] != pattern[k]) {
                    k = fail[k - 1];
                }
                if (pattern[i] == pattern[k]) {
                    k++;
                }
                fail[i] = k;
            }
            final long[] state = {0, -1};
            for (long pos = from; pos < size && state[1] < 0; ) {
                final int n = (int) Math.min(CHUNK_LENGTH, size - pos);
                final long base = pos;
                tree().read(
                                root,
                                pos,
                                (page, off, at, k) -> {
                                    int j = (int) state[0];
                                    for (int i = 0; i < k && state[1] < 0; i++) {
                                        final byte b = page.getByte(off + i);
                                        while (j > 0 && b != pattern[j]) {
                                            j = fail[j - 1];
                                        }
                                        if (b == pattern[j]) {
                                            j++;
                                        }
                                        if (j == m) {
                                            state[1] = base + at + i - m + 1;
                                        }
                                    }
                                    state[0] = j;
                                },
                                0,
                                n,
                                true);
                pos += n;
            }
            return state[1];
        }
    }

    // ---------------------------------------------------------------- asynchronous

    /** Queues an operation on the engine's I/O thread, where it runs under the latch as this transaction's session. */
    private <T> CompletableFuture<T> submit(final Callable<T> operation) {
        final EmbeddedSession session = tx.session();
        final BessServer server = session.server();
        return io.submit(() -> {
            server.enterFromIo(session);
            try {
                ready();
                return operation.call();
            } finally {
                server.exit();
            }
        });
    }

    @Override
    public CompletableFuture<byte[]> readAsync(final long position, final byte[] dst) {
        return submit(() -> {
            readNow(position, into(dst, 0), dst.length);
            return dst;
        });
    }

    @Override
    public CompletableFuture<byte[]> readAsync(final long position, final int length) {
        return submit(() -> {
            checkRange("read", position, length);
            final byte[] dst = new byte[length];
            readNow(position, into(dst, 0), length);
            return dst;
        });
    }

    @Override
    public CompletableFuture<Long> writeAsync(final long position, final byte[] src) {
        return submit(() -> {
            writeNow(position, from(src, 0), src.length);
            return tree().length(root);
        });
    }

    @Override
    public CompletableFuture<Long> insertAsync(final long position, final byte[] src) {
        return submit(() -> {
            insertNow(position, from(src, 0), src.length);
            return tree().length(root);
        });
    }

    @Override
    public CompletableFuture<Long> deleteAsync(final long position, final long length) {
        return submit(() -> {
            deleteNow(position, length);
            return tree().length(root);
        });
    }

    @Override
    public CompletableFuture<Long> appendAsync(final byte[] src) {
        return submit(() -> appendNow(from(src, 0), src.length));
    }

    @Override
    public void prefetch(final long position, final long length) {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            checkRange("prefetch", position, length);
            final LargeObjectTree.Root at = new LargeObjectTree.Root();
            at.set(root.area, root.page, root.ref);
            final long maxPages = db.cache().frameCount() / 4;
            io.submit(() -> {
                tree().prefetch(at, position, length, maxPages, io::hintsShouldStop);
                return null;
            });
        }
    }

    @Override
    public LargeObjectInfo info() {
        try (EmbeddedSession.Guard g = tx.session().enter()) {
            ready();
            return db.largeObjects().info(root);
        }
    }

    @Override
    public String toString() {
        return "large object " + RefDescriptor.toString(word) + " in " + db.path();
    }
}
