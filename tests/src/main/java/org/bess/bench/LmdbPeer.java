package org.bess.bench;

import static org.bess.bench.StorageBenchmarkSupport.STORE_NAME;
import static org.bess.bench.StorageBenchmarkSupport.VALUE_LENGTH;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

/**
 * The lmdbjava peer of the storage benchmarks: one environment in a directory holding one database of
 * {@code MDB_INTEGERKEY} keys (4-byte native-order ints, the value's index) and 100-byte values, reached through Agrona
 * buffers ({@link DirectBufferProxy#PROXY_DB}), so that neither side copies a value it does not ask for. Commits keep
 * lmdb's default durability (a sync per commit), as a bess commit forces its areas.
 *
 * <p>The environment is opened with {@code MDB_NOTLS}: JMH may run a trial's setup and its iterations on different
 * threads, and a read transaction must not be bound to the thread that began it. Not thread safe.
 */
final class LmdbPeer implements AutoCloseable {
    /** Largest size the map may grow to; the file grows only as pages are written. */
    static final long MAP_SIZE_BYTES = 8L << 30;

    private final Env<DirectBuffer> env;
    private final Dbi<DirectBuffer> dbi;
    private final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(Integer.BYTES));
    private final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_LENGTH));
    private final byte[] valueBytes = new byte[VALUE_LENGTH];

    /**
     * Creates or opens the environment in {@code dir} and its database.
     *
     * @param dir an existing directory.
     */
    LmdbPeer(final Path dir) {
        this.env = Env.create(DirectBufferProxy.PROXY_DB)
                .setMapSize(MAP_SIZE_BYTES)
                .setMaxDbs(1)
                .open(dir.toFile(), EnvFlags.MDB_NOTLS);
        this.dbi = env.openDbi(STORE_NAME, DbiFlags.MDB_CREATE, DbiFlags.MDB_INTEGERKEY);
    }

    /** The environment. */
    Env<DirectBuffer> env() {
        return env;
    }

    /** The database. */
    Dbi<DirectBuffer> dbi() {
        return dbi;
    }

    /**
     * Points the reused key buffer at index {@code index}.
     *
     * @return the key buffer.
     */
    DirectBuffer key(final int index) {
        key.putInt(0, index, ByteOrder.nativeOrder());
        return key;
    }

    /**
     * Puts the value of {@code index} under its key.
     *
     * @param txn a write transaction.
     * @param index the value's index.
     */
    void put(final Txn<DirectBuffer> txn, final int index) {
        StorageBenchmarkSupport.fillValue(valueBytes, index);
        value.putBytes(0, valueBytes);
        dbi.put(txn, key(index), value);
    }

    /**
     * Puts values {@code 0..count-1}, committing every {@code commitEvery} puts.
     *
     * @param count values to put.
     * @param commitEvery puts per write transaction.
     */
    void load(final int count, final int commitEvery) {
        int index = 0;
        while (index < count) {
            try (Txn<DirectBuffer> txn = env.txnWrite()) {
                final int end = Math.min(count, index + commitEvery);
                for (; index < end; index++) {
                    put(txn, index);
                }
                txn.commit();
            }
        }
    }

    /** Closes the database and the environment. */
    @Override
    public void close() {
        dbi.close();
        env.close();
    }
}
