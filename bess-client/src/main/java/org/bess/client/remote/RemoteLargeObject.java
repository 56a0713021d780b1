package org.bess.client.remote;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.LargeObjectInfo;
import org.bess.client.Ref;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * A large object of a remote transaction: every operation is a request (byte ranges travel in pieces of at most
 * {@link #CHUNK} bytes). The asynchronous forms run at once and return completed futures.
 */
final class RemoteLargeObject implements LargeObject {
    /** Bytes per request of a read or write. */
    static final int CHUNK = 1 << 20;

    private final RemoteTransaction tx;
    private final RemoteDatabase db;
    private final int handle;
    private final long word;

    private RemoteLargeObject(final RemoteTransaction tx, final RemoteDatabase db, final int handle, final long word) {
        this.tx = tx;
        this.db = db;
        this.handle = handle;
        this.word = word;
    }

    static RemoteLargeObject read(final RemoteTransaction tx, final ByteBuffer r) {
        final int handle = r.getInt();
        final RemoteDatabase db = tx.session().readDatabase(r);
        return new RemoteLargeObject(tx, db, handle, r.getLong());
    }

    static LargeObjectInfo readInfo(final RemoteSession session, final ByteBuffer r) {
        final RemoteDatabase d = session.readDatabase(r);
        final long w = r.getLong();
        final String file = Wire.getString(r);
        final long length = r.getLong();
        final int segments = r.getInt();
        final int nodes = r.getInt();
        final int height = r.getInt();
        final int n = r.getInt();
        final Map<Path, Integer> byArea = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byArea.put(Path.of(Wire.getString(r)), r.getInt());
        }
        return new LargeObjectInfo(new Ref(d, w), file, length, segments, nodes, height, byArea);
    }

    int handle() {
        return handle;
    }

    private Wire req(final int op) {
        return tx.session().request(op).putInt(handle);
    }

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
        return tx.read(req(Wire.LO_LENGTH)).getLong();
    }

    @Override
    public void read(final long position, final byte[] dst, final int offset, final int length) {
        if (offset < 0 || length < 0 || offset > dst.length - length) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "bad range of the destination array");
        }
        int done = 0;
        do {
            final int n = Math.min(CHUNK, length - done);
            final ByteBuffer r =
                    tx.read(req(Wire.LO_READ).putLong(position + done).putInt(n));
            final int got = r.getInt();
            r.get(dst, offset + done, got);
            done += n;
        } while (done < length);
    }

    @Override
    public void read(final long position, final ByteBuffer dst) {
        final byte[] b = new byte[dst.remaining()];
        read(position, b, 0, b.length);
        dst.put(b);
    }

    @Override
    public void write(final long position, final byte[] src, final int offset, final int length) {
        int done = 0;
        do {
            final int n = Math.min(CHUNK, length - done);
            tx.largeChange(req(Wire.LO_WRITE).putLong(position + done).putBytes(src, offset + done, n));
            done += n;
        } while (done < length);
    }

    @Override
    public void write(final long position, final ByteBuffer src) {
        final byte[] b = new byte[src.remaining()];
        src.get(b);
        write(position, b, 0, b.length);
    }

    @Override
    public void insert(final long position, final byte[] src, final int offset, final int length) {
        int done = 0;
        do {
            final int n = Math.min(CHUNK, length - done);
            tx.largeChange(req(Wire.LO_INSERT).putLong(position + done).putBytes(src, offset + done, n));
            done += n;
        } while (done < length);
    }

    @Override
    public void insert(final long position, final ByteBuffer src) {
        final byte[] b = new byte[src.remaining()];
        src.get(b);
        insert(position, b, 0, b.length);
    }

    @Override
    public void delete(final long position, final long length) {
        tx.largeChange(req(Wire.LO_DELETE).putLong(position).putLong(length));
    }

    @Override
    public long append(final byte[] src, final int offset, final int length) {
        long first = -1;
        int done = 0;
        do {
            final int n = Math.min(CHUNK, length - done);
            final long at = tx.largeChange(req(Wire.LO_APPEND).putBytes(src, offset + done, n))
                    .getLong();
            first = first < 0 ? at : first;
            done += n;
        } while (done < length);
        return first;
    }

    @Override
    public long append(final ByteBuffer src) {
        final byte[] b = new byte[src.remaining()];
        src.get(b);
        return append(b, 0, b.length);
    }

    @Override
    public void truncate(final long newLength) {
        tx.largeChange(req(Wire.LO_TRUNCATE).putLong(newLength));
    }

    @Override
    public int compare(final long position, final byte[] bytes, final int offset, final int length) {
        return tx.read(req(Wire.LO_COMPARE).putLong(position).putBytes(bytes, offset, length))
                .getInt();
    }

    @Override
    public void copy(final long srcPosition, final LargeObject dst, final long dstPosition, final long length) {
        if (!(dst instanceof RemoteLargeObject d)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "large object is not of this session: " + dst);
        }
        tx.largeChange(req(Wire.LO_COPY)
                .putLong(srcPosition)
                .putInt(d.handle)
                .putLong(dstPosition)
                .putLong(length));
    }

    @Override
    public long indexOf(final byte value, final long from) {
        return tx.read(req(Wire.LO_INDEX_BYTE).putInt(value).putLong(from)).getLong();
    }

    @Override
    public long indexOf(final byte[] pattern, final long from) {
        return tx.read(req(Wire.LO_INDEX_PATTERN)
                        .putBytes(pattern, 0, pattern.length)
                        .putLong(from))
                .getLong();
    }

    private static <T> CompletableFuture<T> now(final Supplier<T> op) {
        try {
            return CompletableFuture.completedFuture(op.get());
        } catch (final RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<byte[]> readAsync(final long position, final byte[] dst) {
        return now(() -> {
            read(position, dst, 0, dst.length);
            return dst;
        });
    }

    @Override
    public CompletableFuture<byte[]> readAsync(final long position, final int length) {
        return readAsync(position, new byte[length]);
    }

    @Override
    public CompletableFuture<Long> writeAsync(final long position, final byte[] src) {
        return now(() -> {
            write(position, src, 0, src.length);
            return length();
        });
    }

    @Override
    public CompletableFuture<Long> insertAsync(final long position, final byte[] src) {
        return now(() -> {
            insert(position, src, 0, src.length);
            return length();
        });
    }

    @Override
    public CompletableFuture<Long> deleteAsync(final long position, final long length) {
        return now(() -> {
            delete(position, length);
            return length();
        });
    }

    @Override
    public CompletableFuture<Long> appendAsync(final byte[] src) {
        return now(() -> append(src, 0, src.length));
    }

    @Override
    public void prefetch(final long position, final long length) {
        tx.read(req(Wire.LO_PREFETCH).putLong(position).putLong(length));
    }

    @Override
    public LargeObjectInfo info() {
        return readInfo(tx.session(), tx.read(req(Wire.LO_INFO)));
    }

    @Override
    public String toString() {
        return "large object in " + db.path() + " (remote)";
    }
}
