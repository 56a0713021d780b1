package org.bess.server.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

/**
 * The node catalog: an LMDB environment in {@code <node dir>/catalog/} (files {@code 0600}) with four databases
 * (spec: {@code docs/format/node-catalog.md}): {@code meta} (node id, format version, creation time), {@code
 * databases} (root area path to database id and when it was added: the databases this node hosts, reopened at every
 * start), {@code windows} (reserved for the node-wide window layout of shared-memory clients), {@code clients} (the
 * allow-list in effect, rewritten from the config at every start). Every value is versioned and length-checked when
 * read; a value that does not decode is a {@code BAD_FORMAT} error naming the key.
 *
 * <p>Thread safe (LMDB transactions); the daemon writes from its engine thread.
 */
public final class NodeCatalog implements AutoCloseable {
    /** The catalog's directory inside the node directory. */
    public static final String DIR_NAME = "catalog";
    /** The catalog format this code writes. */
    public static final int FORMAT_VERSION = 1;
    /** Bytes of a {@code databases} value. */
    static final int DATABASE_RECORD_LENGTH = 24;

    private static final byte[] NODE_ID_KEY = bytes("node.id");
    private static final byte[] VERSION_KEY = bytes("format.version");
    private static final byte[] CREATED_KEY = bytes("created");

    private final Path dir;
    private final Env<byte[]> env;
    private final Dbi<byte[]> meta;
    private final Dbi<byte[]> databases;
    private final Dbi<byte[]> windows;
    private final Dbi<byte[]> clients;
    private final long nodeId;

    /**
     * One hosted database.
     *
     * @param path the root area's absolute path.
     * @param id the database id.
     * @param addedMs when it was added, epoch ms.
     */
    public record DatabaseEntry(String path, long id, long addedMs) {}

    private NodeCatalog(final Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot create the node catalog directory: dir=" + dir + ": " + e, e);
        }
        try {
            this.env = Env.create(ByteArrayProxy.PROXY_BA)
                    .setMapSize(64L << 20)
                    .setMaxDbs(8)
                    .setMaxReaders(64)
                    .open(dir.toFile(), 0600);
        } catch (final LmdbException e) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT, "cannot open the node catalog (LMDB): dir=" + dir + ": " + e.getMessage(), e);
        }
        try {
            this.meta = env.openDbi("meta", DbiFlags.MDB_CREATE);
            this.databases = env.openDbi("databases", DbiFlags.MDB_CREATE);
            this.windows = env.openDbi("windows", DbiFlags.MDB_CREATE);
            this.clients = env.openDbi("clients", DbiFlags.MDB_CREATE);
            this.nodeId = initMeta();
        } catch (final LmdbException e) {
            env.close();
            throw new BessException(
                    ErrorCode.BAD_FORMAT, "node catalog unreadable (LMDB): dir=" + dir + ": " + e.getMessage(), e);
        } catch (final RuntimeException e) {
            env.close();
            throw e;
        }
    }

    /**
     * Opens (or creates) the node catalog of a node directory.
     *
     * @throws BessException {@code BAD_FORMAT} when it exists and cannot be read, {@code IO} otherwise.
     */
    public static NodeCatalog open(final Path nodeDir) {
        return new NodeCatalog(nodeDir.resolve(DIR_NAME));
    }

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private long initMeta() {
        try (Txn<byte[]> txn = env.txnWrite()) {
            final byte[] version = meta.get(txn, VERSION_KEY);
            final byte[] id = meta.get(txn, NODE_ID_KEY);
            if (version == null && id == null) {
                long fresh = 0;
                final SecureRandom random = new SecureRandom();
                while (fresh == 0) {
                    fresh = random.nextLong();
                }
                meta.put(txn, VERSION_KEY, intValue(FORMAT_VERSION));
                meta.put(txn, NODE_ID_KEY, longValue(fresh));
                meta.put(txn, CREATED_KEY, longValue(System.currentTimeMillis()));
                txn.commit();
                return fresh;
            }
            if (version == null || version.length != Integer.BYTES || id == null || id.length != Long.BYTES) {
                throw bad("meta", "node.id/format.version missing or of the wrong length");
            }
            final int v = le(version).getInt();
            if (v != FORMAT_VERSION) {
                throw bad("meta", "unsupported format version " + v + " (this code reads " + FORMAT_VERSION + ")");
            }
            final long nid = le(id).getLong();
            if (nid == 0) {
                throw bad("meta", "node.id is zero");
            }
            return nid;
        }
    }

    private BessException bad(final String key, final String what) {
        return new BessException(
                ErrorCode.BAD_FORMAT, "node catalog corrupt: dir=" + dir + ", key=" + key + ": " + what);
    }

    private static ByteBuffer le(final byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] intValue(final int v) {
        return ByteBuffer.allocate(Integer.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(v)
                .array();
    }

    private static byte[] longValue(final long v) {
        return ByteBuffer.allocate(Long.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(v)
                .array();
    }

    /** This node's id: random, non-zero, made when the catalog was created. */
    public long nodeId() {
        return nodeId;
    }

    /** Encodes a {@code databases} value: int32 version, int64 id, int64 added ms, int32 flags (0). */
    static byte[] encodeDatabase(final long id, final long addedMs) {
        return ByteBuffer.allocate(DATABASE_RECORD_LENGTH)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(FORMAT_VERSION)
                .putLong(id)
                .putLong(addedMs)
                .putInt(0)
                .array();
    }

    /**
     * Decodes a {@code databases} entry.
     *
     * @throws BessException {@code BAD_FORMAT} naming the key for a value of the wrong length, version or flags, or a
     *     key that is not an absolute UTF-8 path.
     */
    DatabaseEntry decodeDatabase(final byte[] key, final byte[] value) {
        final String path;
        try {
            path = StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(key))
                    .toString();
        } catch (final java.nio.charset.CharacterCodingException e) {
            throw bad("databases/<" + key.length + " bytes>", "key is not UTF-8");
        }
        if (!path.startsWith("/")) {
            throw bad("databases/" + path, "key is not an absolute path");
        }
        if (value.length != DATABASE_RECORD_LENGTH) {
            throw bad("databases/" + path, "value length " + value.length + ", expected " + DATABASE_RECORD_LENGTH);
        }
        final ByteBuffer b = le(value);
        final int version = b.getInt();
        final long id = b.getLong();
        final long added = b.getLong();
        final int flags = b.getInt();
        if (version != FORMAT_VERSION || flags != 0) {
            throw bad("databases/" + path, "record version " + version + ", flags " + flags);
        }
        return new DatabaseEntry(path, id, added);
    }

    /** Records a hosted database (replacing an older entry of the same path). */
    public void putDatabase(final String path, final long id) {
        try (Txn<byte[]> txn = env.txnWrite()) {
            databases.put(txn, bytes(path), encodeDatabase(id, System.currentTimeMillis()));
            txn.commit();
        }
    }

    /** Forgets a hosted database. */
    public void removeDatabase(final String path) {
        try (Txn<byte[]> txn = env.txnWrite()) {
            databases.delete(txn, bytes(path));
            txn.commit();
        }
    }

    /** Puts a raw {@code databases} value (tests write garbage with this). */
    void putRawDatabase(final byte[] key, final byte[] value) {
        try (Txn<byte[]> txn = env.txnWrite()) {
            databases.put(txn, key, value);
            txn.commit();
        }
    }

    /**
     * The hosted databases, in path order.
     *
     * @throws BessException {@code BAD_FORMAT} for an entry that does not decode.
     */
    public List<DatabaseEntry> databases() {
        final List<DatabaseEntry> out = new ArrayList<>();
        try (Txn<byte[]> txn = env.txnRead();
                CursorIterable<byte[]> it = databases.iterate(txn)) {
            for (final CursorIterable.KeyVal<byte[]> kv : it) {
                out.add(decodeDatabase(kv.key(), kv.val()));
            }
        }
        return out;
    }

    /**
     * Rewrites the {@code clients} database: the allow-list in effect.
     *
     * @param entries {@code uid:<n>} or {@code gid:<n>} to where it came from.
     */
    public void putAllowList(final Map<String, String> entries) {
        try (Txn<byte[]> txn = env.txnWrite()) {
            clients.drop(txn);
            for (final Map.Entry<String, String> e : entries.entrySet()) {
                clients.put(txn, bytes(e.getKey()), bytes(e.getValue()));
            }
            txn.commit();
        }
    }

    /** The allow-list last written, as {@code key=source} strings. */
    public List<String> allowList() {
        final List<String> out = new ArrayList<>();
        try (Txn<byte[]> txn = env.txnRead();
                CursorIterable<byte[]> it = clients.iterate(txn)) {
            for (final CursorIterable.KeyVal<byte[]> kv : it) {
                out.add(new String(kv.key(), StandardCharsets.UTF_8) + "="
                        + new String(kv.val(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** Entries of the reserved {@code windows} database (none are written yet). */
    public long windowEntries() {
        try (Txn<byte[]> txn = env.txnRead()) {
            return windows.stat(txn).entries;
        }
    }

    @Override
    public void close() {
        env.close();
    }
}
