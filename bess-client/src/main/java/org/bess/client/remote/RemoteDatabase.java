package org.bess.client.remote;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bess.client.AreaInfo;
import org.bess.client.CompactionReport;
import org.bess.client.Database;
import org.bess.client.FileInfo;
import org.bess.client.LargeObjectInfo;
import org.bess.client.TypeId;

/** A database open in a remote session; every call is a request. */
final class RemoteDatabase implements Database {
    private final RemoteSession session;
    private final int handle;
    private final Path path;
    private final long id;
    private final Map<Integer, TypeId> typesById = new HashMap<>();

    RemoteDatabase(final RemoteSession session, final int handle, final Path path, final long id) {
        this.session = session;
        this.handle = handle;
        this.path = path;
        this.id = id;
    }

    int handle() {
        return handle;
    }

    RemoteSession session() {
        return session;
    }

    /** A type by id, from the cache or the server. */
    TypeId typeById(final int typeId, final RemoteObjectRef o) {
        final TypeId t = typesById.get(typeId);
        if (t != null) {
            return t;
        }
        final int handle = o.handle();
        final TypeId fetched = RemoteSession.readType(
                session.call(session.request(Wire.OBJECT_TYPE).putInt(handle)));
        typesById.put(fetched.id(), fetched);
        return fetched;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public AreaInfo addArea(final Path areaPath, final long maxSizeBytes) {
        return readArea(session.call(session.request(Wire.ADD_AREA)
                .putInt(handle)
                .putString(areaPath.toAbsolutePath().toString())
                .putLong(maxSizeBytes)));
    }

    private static AreaInfo readArea(final ByteBuffer r) {
        return new AreaInfo(r.getInt(), Path.of(Wire.getString(r)), r.getLong(), r.getInt(), r.getLong());
    }

    @Override
    public void removeArea(final Path areaPath) {
        session.call(session.request(Wire.REMOVE_AREA)
                .putInt(handle)
                .putString(areaPath.toAbsolutePath().toString()));
    }

    @Override
    public List<AreaInfo> areas() {
        final ByteBuffer r = session.call(session.request(Wire.AREAS).putInt(handle));
        final int n = r.getInt();
        final List<AreaInfo> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(readArea(r));
        }
        return list;
    }

    @Override
    public TypeId defineType(final String name, final int size, final int[] refOffsets) {
        final Wire w =
                session.request(Wire.DEFINE_TYPE).putInt(handle).putString(name).putInt(size);
        w.putInt(refOffsets.length);
        for (final int o : refOffsets) {
            w.putInt(o);
        }
        return remember(RemoteSession.readType(session.call(w)));
    }

    private TypeId remember(final TypeId t) {
        typesById.put(t.id(), t);
        return t;
    }

    @Override
    public TypeId type(final String name) {
        return remember(RemoteSession.readType(
                session.call(session.request(Wire.TYPE).putInt(handle).putString(name))));
    }

    @Override
    public List<TypeId> types() {
        final ByteBuffer r = session.call(session.request(Wire.TYPES).putInt(handle));
        final int n = r.getInt();
        final List<TypeId> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(remember(RemoteSession.readType(r)));
        }
        return list;
    }

    @Override
    public List<FileInfo> files() {
        final ByteBuffer r = session.call(session.request(Wire.FILES).putInt(handle));
        final int n = r.getInt();
        final List<FileInfo> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new FileInfo(Wire.getString(r), Path.of(Wire.getString(r)), r.getInt(), r.getLong(), r.getLong()));
        }
        return list;
    }

    @Override
    public List<LargeObjectInfo> largeObjects(final String fileName) {
        final ByteBuffer r =
                session.call(session.request(Wire.LARGE_OBJECTS).putInt(handle).putString(fileName));
        final int n = r.getInt();
        final List<LargeObjectInfo> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(RemoteLargeObject.readInfo(session, r));
        }
        return list;
    }

    @Override
    public void moveFile(final String fileName, final Path toArea) {
        session.call(session.request(Wire.MOVE_FILE)
                .putInt(handle)
                .putString(fileName)
                .putString(toArea.toAbsolutePath().toString()));
    }

    @Override
    public CompactionReport compact(final String fileName) {
        final ByteBuffer r =
                session.call(session.request(Wire.COMPACT).putInt(handle).putString(fileName));
        return new CompactionReport(r.getInt(), r.getInt(), r.getInt(), r.getLong());
    }

    @Override
    public String toString() {
        return "database " + path + " (remote)";
    }
}
