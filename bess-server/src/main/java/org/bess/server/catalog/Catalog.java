package org.bess.server.catalog;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CatalogPageDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.server.area.StorageArea;
import org.bess.server.cache.BufferCache;

/**
 * The in-memory catalog and its serialized form (little-endian): magic, version, database id, next ids, then counted
 * lists of areas, types, files, roots and foreign databases. Every count and string length is bounded before anything
 * is allocated, so a garbled catalog gives a {@code BAD_FORMAT} error, never an out-of-memory.
 */
public final class Catalog {
    private static final int MAX_ENTRIES = 1 << 20;
    private static final int MAX_STRING_BYTES = 4096;
    private static final int MAX_REF_OFFSETS = 1 << 14;

    /** An area of the database. */
    public static final class AreaEntry {
        /** Area id. */
        public final int id;
        /** Path as stored (absolute). */
        public String path;

        AreaEntry(final int id, final String path) {
            this.id = id;
            this.path = path;
        }
    }

    /** A registered type. */
    public record TypeEntry(int id, String name, int size, int[] refOffsets) {}

    /** A BeSS file. */
    public static final class FileEntry {
        /** File id. */
        public final int id;
        /** Name. */
        public final String name;
        /** The area that new data segments of the file go to. */
        public int areaId;
        /** First slotted segment (root area page), 0 when none. */
        public long firstSegment;
        /** Last slotted segment, 0 when none. */
        public long lastSegment;

        FileEntry(final int id, final String name, final int areaId, final long firstSegment, final long lastSegment) {
            this.id = id;
            this.name = name;
            this.areaId = areaId;
            this.firstSegment = firstSegment;
            this.lastSegment = lastSegment;
        }
    }

    /** Another database that forward objects point into. */
    public record ForeignEntry(int index, String path, long databaseId) {}

    private final long databaseId;
    private int nextAreaId;
    private int nextTypeId;
    private int nextFileId;
    private final List<AreaEntry> areas = new ArrayList<>();
    private final List<TypeEntry> types = new ArrayList<>();
    private final List<FileEntry> files = new ArrayList<>();
    private final Map<String, Long> roots = new TreeMap<>();
    private final List<ForeignEntry> foreign = new ArrayList<>();
    private boolean dirty;
    /** Grows with every change (a commit serializes the catalog only when it moved). */
    private long changes;

    /** A new, empty catalog. */
    public Catalog(final long databaseId) {
        this.databaseId = databaseId;
        this.nextTypeId = 1;
        this.nextFileId = 1;
    }

    /**
     * Puts the content of {@code committed} back into this catalog in place (an abort of a catalog change): file
     * entries that both have keep their identity, so handles and operations of other sessions that hold them stay
     * valid.
     */
    public void restoreFrom(final Catalog committed) {
        nextAreaId = committed.nextAreaId;
        nextTypeId = committed.nextTypeId;
        nextFileId = committed.nextFileId;
        areas.clear();
        areas.addAll(committed.areas);
        types.clear();
        types.addAll(committed.types);
        roots.clear();
        roots.putAll(committed.roots);
        foreign.clear();
        foreign.addAll(committed.foreign);
        final List<FileEntry> restored = new ArrayList<>();
        for (final FileEntry c : committed.files) {
            final FileEntry live = file(c.id);
            if (live != null && live.name.equals(c.name)) {
                live.areaId = c.areaId;
                live.firstSegment = c.firstSegment;
                live.lastSegment = c.lastSegment;
                restored.add(live);
            } else {
                restored.add(c);
            }
        }
        files.clear();
        files.addAll(restored);
        dirty = committed.dirty;
        changes++;
    }

    /** A counter that grows with every change: equal counts mean no change in between. */
    public long changes() {
        return changes;
    }

    /** The database id. */
    public long databaseId() {
        return databaseId;
    }

    /** Whether the catalog changed since it was last stored. */
    public boolean isDirty() {
        return dirty;
    }

    /** Marks the catalog changed (or stored). */
    public void dirty(final boolean value) {
        dirty = value;
        if (value) {
            changes++;
        }
    }

    /** The areas. */
    public List<AreaEntry> areas() {
        return areas;
    }

    /** Adds an area entry with the next id. */
    public AreaEntry addArea(final String path) {
        final AreaEntry e = new AreaEntry(nextAreaId++, path);
        areas.add(e);
        dirty = true;
        changes++;
        return e;
    }

    /** Removes an area entry. */
    public void removeArea(final int id) {
        areas.removeIf(a -> a.id == id);
        dirty = true;
        changes++;
    }

    /** The id the next area will get. */
    public int nextAreaId() {
        return nextAreaId;
    }

    /** The types. */
    public List<TypeEntry> types() {
        return types;
    }

    /** A type by id, or null. */
    public TypeEntry type(final int id) {
        for (final TypeEntry t : types) {
            if (t.id() == id) {
                return t;
            }
        }
        return null;
    }

    /** Registers a type. */
    public TypeEntry addType(final String name, final int size, final int[] refOffsets) {
        final TypeEntry t = new TypeEntry(nextTypeId++, name, size, refOffsets.clone());
        types.add(t);
        dirty = true;
        changes++;
        return t;
    }

    /** The files. */
    public List<FileEntry> files() {
        return files;
    }

    /** A file by name, or null. */
    public FileEntry file(final String name) {
        for (final FileEntry f : files) {
            if (f.name.equals(name)) {
                return f;
            }
        }
        return null;
    }

    /** A file by id, or null. */
    public FileEntry file(final int id) {
        for (final FileEntry f : files) {
            if (f.id == id) {
                return f;
            }
        }
        return null;
    }

    /** Adds a file. */
    public FileEntry addFile(final String name, final int areaId) {
        final FileEntry f = new FileEntry(nextFileId++, name, areaId, 0, 0);
        files.add(f);
        dirty = true;
        changes++;
        return f;
    }

    /** Removes a file. */
    public void removeFile(final int id) {
        files.removeIf(f -> f.id == id);
        dirty = true;
        changes++;
    }

    /** Named roots. */
    public Map<String, Long> roots() {
        return roots;
    }

    /** The foreign databases. */
    public List<ForeignEntry> foreign() {
        return foreign;
    }

    /** The index of a foreign database, added when new. */
    public int foreignIndex(final String path, final long id) {
        for (final ForeignEntry f : foreign) {
            if (f.databaseId() == id) {
                return f.index();
            }
        }
        final ForeignEntry f = new ForeignEntry(foreign.size(), path, id);
        foreign.add(f);
        dirty = true;
        changes++;
        return f.index();
    }

    /** Serializes the catalog. */
    public byte[] serialize() {
        final ByteBuffer b = ByteBuffer.allocate(estimate()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(CatalogPageDescriptor.CATALOG_MAGIC).putInt(CatalogPageDescriptor.CATALOG_VERSION);
        b.putLong(databaseId).putInt(nextAreaId).putInt(nextTypeId).putInt(nextFileId);
        b.putInt(areas.size());
        for (final AreaEntry a : areas) {
            b.putInt(a.id);
            putString(b, a.path);
        }
        b.putInt(types.size());
        for (final TypeEntry t : types) {
            b.putInt(t.id()).putInt(t.size());
            putString(b, t.name());
            b.putInt(t.refOffsets().length);
            for (final int o : t.refOffsets()) {
                b.putInt(o);
            }
        }
        b.putInt(files.size());
        for (final FileEntry f : files) {
            b.putInt(f.id).putInt(f.areaId).putLong(f.firstSegment).putLong(f.lastSegment);
            putString(b, f.name);
        }
        b.putInt(roots.size());
        for (final Map.Entry<String, Long> r : roots.entrySet()) {
            putString(b, r.getKey());
            b.putLong(r.getValue());
        }
        b.putInt(foreign.size());
        for (final ForeignEntry f : foreign) {
            b.putInt(f.index()).putLong(f.databaseId());
            putString(b, f.path());
        }
        final byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    private int estimate() {
        int n = 64 + areas.size() * (8 + MAX_STRING_BYTES) + files.size() * (32 + MAX_STRING_BYTES);
        for (final TypeEntry t : types) {
            n += 16 + MAX_STRING_BYTES + 4 * t.refOffsets().length;
        }
        n += roots.size() * (12 + MAX_STRING_BYTES) + foreign.size() * (16 + MAX_STRING_BYTES);
        return n;
    }

    /**
     * Reads the catalog chain the root area header points to, verifying each page.
     *
     * @param where names the database, for messages.
     * @return the catalog.
     */
    public static Catalog read(final BufferCache cache, final StorageArea root, final String where) {
        final long[] location = root.catalogLocation();
        if (location[0] == 0) {
            throw new BessException(ErrorCode.BAD_FORMAT, "database has no catalog: database=" + where);
        }
        // bounded by the area before anything is read or allocated: a header pointing elsewhere is a bad format,
        // not a truncated area, and its length must not size an array
        if (location[1] < 1 || location[0] + location[1] > root.pageCount()) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT,
                    "catalog outside the root area: database=" + where + ", firstPage=" + location[0] + ", pages="
                            + location[1] + ", areaPages=" + root.pageCount());
        }
        final long length = location[2];
        if (length < 0 || length > location[1] * CatalogPageDescriptor.PAYLOAD_CAPACITY || length > Integer.MAX_VALUE) {
            throw new BessException(
                    ErrorCode.BAD_FORMAT, "bad catalog length: database=" + where + ", length=" + length);
        }
        final byte[] bytes = new byte[(int) length];
        int filled = 0;
        long page = location[0];
        final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        for (int i = 0; i < location[1] && filled < length; i++) {
            if (page < 1 || page >= root.pageCount()) {
                throw new BessException(
                        ErrorCode.BAD_FORMAT,
                        "catalog page link outside the root area: database=" + where + ", page=" + page);
            }
            final int frame = cache.pin(root.window(), page, true);
            try {
                cache.wrap(view, frame);
                root.checkControlType(view, page, PageHeaderDescriptor.TYPE_CATALOG);
                final int n = view.getInt(CatalogPageDescriptor.PAYLOAD_LENGTH_OFFSET);
                if (n < 0 || n > CatalogPageDescriptor.PAYLOAD_CAPACITY || filled + n > length) {
                    throw new BessException(
                            ErrorCode.BAD_FORMAT, "bad catalog page: database=" + where + ", page=" + page);
                }
                view.getBytes(CatalogPageDescriptor.PAYLOAD_OFFSET, bytes, filled, n);
                filled += n;
                page = view.getInt(CatalogPageDescriptor.NEXT_PAGE_OFFSET) & 0xFFFF_FFFFL;
            } finally {
                cache.unpin(frame);
            }
        }
        return deserialize(bytes, where);
    }

    /**
     * Reads a serialized catalog.
     *
     * @param where names the database, for messages.
     * @throws BessException {@code BAD_FORMAT} when the bytes are not a catalog this version reads.
     */
    public static Catalog deserialize(final byte[] bytes, final String where) {
        final ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (b.getLong() != CatalogPageDescriptor.CATALOG_MAGIC) {
                throw bad(where, "bad magic");
            }
            final int version = b.getInt();
            if (version > CatalogPageDescriptor.CATALOG_VERSION) {
                throw bad(where, "newer catalog version " + version);
            }
            final Catalog c = new Catalog(b.getLong());
            c.nextAreaId = b.getInt();
            c.nextTypeId = b.getInt();
            c.nextFileId = b.getInt();
            final int areaCount = count(b, where);
            for (int i = 0; i < areaCount; i++) {
                c.areas.add(new AreaEntry(b.getInt(), getString(b, where)));
            }
            final int typeCount = count(b, where);
            for (int i = 0; i < typeCount; i++) {
                final int id = b.getInt();
                final int size = b.getInt();
                final String name = getString(b, where);
                final int n = b.getInt();
                if (n < 0 || n > MAX_REF_OFFSETS) {
                    throw bad(where, "bad reference offset count " + n);
                }
                final int[] offsets = new int[n];
                for (int k = 0; k < n; k++) {
                    offsets[k] = b.getInt();
                }
                c.types.add(new TypeEntry(id, name, size, offsets));
            }
            final int fileCount = count(b, where);
            for (int i = 0; i < fileCount; i++) {
                final int id = b.getInt();
                final int area = b.getInt();
                final long first = b.getLong();
                final long last = b.getLong();
                c.files.add(new FileEntry(id, getString(b, where), area, first, last));
            }
            final int rootCount = count(b, where);
            for (int i = 0; i < rootCount; i++) {
                c.roots.put(getString(b, where), b.getLong());
            }
            final int foreignCount = count(b, where);
            for (int i = 0; i < foreignCount; i++) {
                final int index = b.getInt();
                final long id = b.getLong();
                c.foreign.add(new ForeignEntry(index, getString(b, where), id));
            }
            return c;
        } catch (final BufferUnderflowException e) {
            throw bad(where, "truncated catalog");
        }
    }

    private static int count(final ByteBuffer b, final String where) {
        final int n = b.getInt();
        if (n < 0 || n > MAX_ENTRIES || n > b.remaining()) {
            throw bad(where, "bad entry count " + n);
        }
        return n;
    }

    private static BessException bad(final String where, final String what) {
        return new BessException(ErrorCode.BAD_FORMAT, "corrupt catalog: database=" + where + ", problem=" + what);
    }

    private static void putString(final ByteBuffer b, final String s) {
        final byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putInt(bytes.length).put(bytes);
    }

    private static String getString(final ByteBuffer b, final String where) {
        final int n = b.getInt();
        if (n < 0 || n > MAX_STRING_BYTES || n > b.remaining()) {
            throw bad(where, "bad string length " + n);
        }
        final byte[] bytes = new byte[n];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Checks a name given by a user: non-empty, at most 1024 bytes, no control characters. */
    public static void checkName(final String kind, final String name) {
        if (name == null
                || name.isEmpty()
                || name.getBytes(StandardCharsets.UTF_8).length > 1024
                || name.chars().anyMatch(Character::isISOControl)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "bad " + kind + " name: name=" + name);
        }
    }
}
