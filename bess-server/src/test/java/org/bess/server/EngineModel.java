package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bess.client.AreaInfo;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.FileInfo;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;
import org.bess.format.SlottedSegmentDescriptor;
import org.bess.server.remote.SessionEndpoint;

/**
 * One run of the engine against an in-memory model: the bytes of every live object by reference word, per file, the
 * areas, and the words of freed objects. {@link #apply} performs one operation on both and checks what can be checked at
 * once; {@link #verifyAfterReopen} closes the session, reopens the database and compares everything.
 *
 * <p>Used by {@link EngineModelProperties} and by the regression tests kept from its shrunk failures.
 */
final class EngineModel implements AutoCloseable {
    /** The kinds of operation, with their weights out of 100 in {@link #kindOf}. */
    enum Kind {
        ALLOCATE,
        ALLOCATE_NEAR,
        WRITE,
        WRITE_REF,
        READ,
        FREE,
        RESIZE,
        MOVE_FILE,
        COMPACT,
        ADD_AREA,
        REMOVE_AREA,
        COMMIT
    }

    /**
     * One operation: a kind and random operands, interpreted against the model state when applied.
     *
     * @param kind selects the {@link Kind} (see {@link #kindOf}).
     * @param a picks an object, a file or an area.
     * @param b picks a second object, an area, or a size class.
     * @param c picks a size, an offset or a length.
     * @param seed the random bytes written.
     */
    record Op(int kind, int a, int b, int c, long seed) {
        @Override
        public String toString() {
            return "new Op(" + kind + ", " + a + ", " + b + ", " + c + ", " + seed + "L) /* " + kindOf(kind) + " */";
        }
    }

    /** The largest object the runs allocate. */
    static final int MAX_SIZE = 20 * 1024;

    private static final String[] FILES = {"f0", "f1", "f2"};

    private final Path dir;
    private final Way way;
    private BessServer server;
    private SessionEndpoint endpoint;
    private final Path rootPath;
    private final List<Path> areas = new ArrayList<>();
    private final Map<String, Path> fileArea = new LinkedHashMap<>();
    private final Map<String, Map<Long, byte[]>> files = new LinkedHashMap<>();
    private final Map<Long, String> fileOf = new HashMap<>();
    private final Map<Long, Integer> typeOf = new HashMap<>();
    private final List<Long> live = new ArrayList<>();
    private final List<Long> dead = new ArrayList<>();
    private final Map<Long, ObjectRef> handles = new HashMap<>();
    private final List<String> events = new ArrayList<>();
    private int nextArea = 1;
    private Session session;
    private Database db;
    private Transaction tx;
    private TypeId blob;
    private TypeId node;

    EngineModel(final Path dir) {
        this(dir, Way.EMBEDDED);
    }

    EngineModel(final Path dir, final Way way) {
        this.dir = dir;
        this.way = way;
        this.rootPath = dir.resolve("db.root");
    }

    static Kind kindOf(final int kind) {
        final int k = Math.floorMod(kind, 100);
        if (k < 26) {
            return Kind.ALLOCATE;
        } else if (k < 33) {
            return Kind.ALLOCATE_NEAR;
        } else if (k < 45) {
            return Kind.WRITE;
        } else if (k < 48) {
            return Kind.WRITE_REF;
        } else if (k < 54) {
            return Kind.READ;
        } else if (k < 66) {
            return Kind.FREE;
        } else if (k < 76) {
            return Kind.RESIZE;
        } else if (k < 80) {
            return Kind.MOVE_FILE;
        } else if (k < 84) {
            return Kind.COMPACT;
        } else if (k < 86) {
            return Kind.ADD_AREA;
        } else if (k < 89) {
            return Kind.REMOVE_AREA;
        }
        return Kind.COMMIT;
    }

    /** How the model's session reaches the engine. */
    enum Way {
        /** {@code BessServer.embedded}. */
        EMBEDDED,
        /** A shared-memory client session through a {@link SessionEndpoint} in this JVM. */
        SHARED_MEMORY,
        /** A copy-on-access client session through a {@link SessionEndpoint} in this JVM. */
        COPY_ON_ACCESS
    }

    private Session openSession() {
        final Context context = new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(4L << 20);
        if (way == Way.EMBEDDED) {
            return BessServer.embedded(context);
        }
        server = BessServer.start(context);
        endpoint = SessionEndpoint.start(server, dir.resolve("node").resolve(SessionEndpoint.SOCKET_NAME));
        return Bess.connect(dir.resolve("node"), Bess.Mode.valueOf(way.name()));
    }

    /** Closes the session, and the client modes' engine and endpoint with it (as closing an embedded session does). */
    private void closeSession() {
        try {
            session.close();
        } finally {
            session = null;
            if (endpoint != null) {
                endpoint.close();
                endpoint = null;
                server.close();
                server = null;
            }
        }
    }

    /** The engine's object for the model's database (the session's own in embedded mode). */
    private EngineDatabase engineDb() {
        if (db instanceof EngineDatabase e) {
            return e;
        }
        for (final EngineDatabase e : server.openDatabases()) {
            if (e.path()
                    .toAbsolutePath()
                    .normalize()
                    .equals(db.path().toAbsolutePath().normalize())) {
                return e;
            }
        }
        throw new IllegalStateException("database not open in the engine: " + db.path());
    }

    /** Creates the database: the root area, one more area, three files (two in the root area, one in the other). */
    EngineModel start() {
        session = openSession();
        db = session.createDatabase(rootPath, 1L << 20);
        areas.add(rootPath);
        blob = db.defineType("Blob", 8, new int[0]);
        node = db.defineType("Node", 24, new int[] {8});
        final Path a1 = newAreaPath();
        db.addArea(a1);
        areas.add(a1);
        tx = session.begin();
        for (int i = 0; i < FILES.length; i++) {
            final Path area = i == 2 ? a1 : rootPath;
            tx.createFile(db, FILES[i], area);
            fileArea.put(FILES[i], area);
            files.put(FILES[i], new LinkedHashMap<>());
        }
        commit();
        return this;
    }

    private Path newAreaPath() {
        return dir.resolve("a" + nextArea++ + ".area");
    }

    static int sizeFor(final int sizeClass, final int value) {
        final int bucket = Math.floorMod(sizeClass, 100);
        if (bucket < 50) {
            return Math.floorMod(value, 257);
        } else if (bucket < 85) {
            return Math.floorMod(value, 4097);
        }
        return Math.floorMod(value, MAX_SIZE + 1);
    }

    private static byte[] randomBytes(final long seed, final int length) {
        final byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private ObjectRef handle(final long word) {
        ObjectRef o = handles.get(word);
        if (o == null) {
            o = tx.open(new Ref(db, word));
            handles.put(word, o);
        }
        return o;
    }

    private long pick(final int a) {
        return live.get(Math.floorMod(a, live.size()));
    }

    /** Applies one operation to the engine and the model. */
    void apply(final Op op) {
        Kind kind = kindOf(op.kind());
        if (live.isEmpty() && kind.compareTo(Kind.ALLOCATE_NEAR) >= 0 && kind.compareTo(Kind.RESIZE) <= 0) {
            kind = Kind.ALLOCATE;
        }
        switch (kind) {
            case ALLOCATE -> allocate(FILES[Math.floorMod(op.a(), FILES.length)], null, op);
            case ALLOCATE_NEAR -> allocate(fileOf.get(pick(op.a())), pick(op.a()), op);
            case WRITE -> write(pick(op.a()), op);
            case WRITE_REF -> writeRef(pick(op.a()), pick(op.b()), op);
            case READ -> checkObject(handle(pick(op.a())), pick(op.a()));
            case FREE -> free(pick(op.a()), op);
            case RESIZE -> resize(pick(op.a()), sizeFor(op.b(), op.c()));
            case MOVE_FILE -> outsideTransaction(() -> moveFile(op));
            case COMPACT -> outsideTransaction(() -> compact(op));
            case ADD_AREA -> outsideTransaction(this::addArea);
            case REMOVE_AREA -> outsideTransaction(() -> removeArea(areas.get(Math.floorMod(op.a(), areas.size()))));
            case COMMIT -> commit();
            default -> throw new IllegalStateException("unknown kind " + kind);
        }
    }

    /** What happened worth counting (refusals, removals), for the property's statistics. */
    List<String> events() {
        return events;
    }

    private void allocate(final String fileName, final Long near, final Op op) {
        final int size = sizeFor(op.b(), op.c());
        final TypeId type = (op.seed() & 1) == 0 ? blob : node;
        final ObjectRef o = near == null
                ? tx.allocate(tx.file(db, fileName), type, size)
                : tx.allocateNear(handle(near), type, size);
        final long word = o.ref().word();
        assertThat(o.size()).as("size of a new object").isEqualTo(size);
        assertThat(fileOf).as("a new object has a reference no live object has").doesNotContainKey(word);
        final byte[] zeros = new byte[size];
        final byte[] actual = new byte[size];
        o.getBytes(0, actual, 0, size);
        assertThat(actual).as("a new object is zeroed").isEqualTo(zeros);
        final byte[] content = randomBytes(op.seed(), size);
        o.putBytes(0, content, 0, size);
        files.get(fileName).put(word, content);
        fileOf.put(word, fileName);
        typeOf.put(word, type.id());
        live.add(word);
        handles.put(word, o);
        dead.remove(word);
    }

    private void write(final long word, final Op op) {
        final byte[] content = files.get(fileOf.get(word)).get(word);
        final int offset = Math.floorMod(op.b(), content.length + 1);
        final int length = Math.floorMod(op.c(), content.length - offset + 1);
        final byte[] bytes = randomBytes(op.seed(), length);
        handle(word).putBytes(offset, bytes, 0, length);
        System.arraycopy(bytes, 0, content, offset, length);
    }

    private void writeRef(final long word, final long target, final Op op) {
        final byte[] content = files.get(fileOf.get(word)).get(word);
        if (content.length < Long.BYTES) {
            return;
        }
        final int offset = Math.floorMod(op.c(), content.length - Long.BYTES + 1);
        final ObjectRef o = handle(word);
        o.putRef(offset, new Ref(db, target));
        assertThat(o.getRef(offset)).isEqualTo(new Ref(db, target));
        ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, target);
    }

    private void free(final long word, final Op op) {
        final ObjectRef stale = handle(word);
        tx.free(stale);
        forget(word);
        dead.add(word);
        assertInvalid(word);
        if ((op.seed() & 2) == 0) {
            assertThatThrownBy(stale::size)
                    .as("the handle of a freed object")
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE));
        }
    }

    private void forget(final long word) {
        files.get(fileOf.remove(word)).remove(word);
        typeOf.remove(word);
        live.remove(word);
        handles.remove(word);
    }

    private void assertInvalid(final long word) {
        assertThatThrownBy(() -> tx.open(new Ref(db, word)))
                .as("opening freed object %s", RefDescriptor.toString(word))
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REFERENCE))
                .hasMessageContaining(RefDescriptor.toString(word));
    }

    /** Bytes the live objects of a word's object segment hold, as the engine counts them (8-byte aligned). */
    private long segmentLiveBytes(final long word) {
        final long segment = RefDescriptor.segmentPage(word);
        long sum = 0;
        for (final long w : live) {
            if (RefDescriptor.segmentPage(w) == segment) {
                sum += ObjectStore.align(files.get(fileOf.get(w)).get(w).length);
            }
        }
        return sum;
    }

    private void resize(final long word, final int newSize) {
        final Map<Long, byte[]> file = files.get(fileOf.get(word));
        final byte[] old = file.get(word);
        final ObjectRef o = handle(word);
        final long after = segmentLiveBytes(word) - ObjectStore.align(old.length) + ObjectStore.align(newSize);
        if (newSize > old.length && after > SlottedSegmentDescriptor.MAX_DATA_LENGTH) {
            assertThatThrownBy(() -> tx.resize(o, newSize))
                    .as(
                            "growing %s to %d bytes: its segment would hold %d",
                            RefDescriptor.toString(word), newSize, after)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.STORAGE_FULL));
            checkObject(o, word);
            events.add("resize refused: segment full");
            return;
        }
        tx.resize(o, newSize);
        events.add(newSize > old.length ? "resize grew" : "resize shrank or kept");
        file.put(word, Arrays.copyOf(old, newSize));
        assertThat(o.size()).as("size through the handle after resize").isEqualTo(newSize);
        checkObject(o, word);
    }

    private void moveFile(final Op op) {
        final String name = FILES[Math.floorMod(op.a(), FILES.length)];
        final Path to = areas.get(Math.floorMod(op.b(), areas.size()));
        db.moveFile(name, to);
        fileArea.put(name, to);
    }

    private void compact(final Op op) {
        final int i = Math.floorMod(op.a(), FILES.length + 1);
        db.compact(i == FILES.length ? null : FILES[i]);
        assertThat(StoreInvariants.check(engineDb()))
                .as("store after compaction")
                .isEmpty();
    }

    private void addArea() {
        final Path path = newAreaPath();
        final AreaInfo info = db.addArea(path);
        assertThat(info.path()).isEqualTo(path);
        areas.add(path);
    }

    private void removeArea(final Path path) {
        final List<String> users = fileArea.entrySet().stream()
                .filter(e -> e.getValue().equals(path))
                .map(Map.Entry::getKey)
                .toList();
        final boolean root = path.equals(rootPath);
        if (root || !users.isEmpty()) {
            assertThatThrownBy(() -> db.removeArea(path))
                    .as("removing area %s used by %s", path, users)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.AREA_IN_USE))
                    .satisfies(e -> assertThat(e.getMessage()).contains(path.toString()))
                    .satisfies(e -> assertThat(e.getMessage()).contains(root ? List.of("root area") : users));
            assertThat(Files.exists(path)).as("a refused area stays").isTrue();
            events.add("remove area refused");
            return;
        }
        db.removeArea(path);
        areas.remove(path);
        assertThat(Files.exists(path)).as("a removed area's file is deleted").isFalse();
        events.add("area removed");
    }

    private void outsideTransaction(final Runnable action) {
        commit();
        tx.close();
        try {
            action.run();
        } finally {
            tx = session.begin();
        }
    }

    private void commit() {
        tx.commit();
        handles.clear();
        tx = session.begin();
    }

    private void checkObject(final ObjectRef o, final long word) {
        final byte[] expected = files.get(fileOf.get(word)).get(word);
        assertThat(o.size()).as("size of %s", RefDescriptor.toString(word)).isEqualTo(expected.length);
        assertThat(o.type().id()).as("type of %s", RefDescriptor.toString(word)).isEqualTo(typeOf.get(word));
        final byte[] actual = new byte[expected.length];
        o.getBytes(0, actual, 0, actual.length);
        assertThat(actual).as("bytes of %s", RefDescriptor.toString(word)).isEqualTo(expected);
    }

    /** The words a cursor over each file returns, in order, checking each is a live object of the file, once. */
    private Map<String, List<Long>> scanAll() {
        final Map<String, List<Long>> scans = new LinkedHashMap<>();
        for (final String name : FILES) {
            final BessFile f = tx.file(db, name);
            final List<Long> words = new ArrayList<>();
            try (Cursor c = tx.scan(f)) {
                while (c.next()) {
                    final ObjectRef o = c.object();
                    words.add(o.ref().word());
                    checkObject(o, o.ref().word());
                }
            }
            final Set<Long> unique = new HashSet<>(words);
            assertThat(unique)
                    .as("cursor of %s returns every object once", name)
                    .hasSize(words.size());
            assertThat(unique)
                    .as("cursor of %s", name)
                    .isEqualTo(files.get(name).keySet());
            scans.put(name, words);
        }
        return scans;
    }

    private void checkEverything() {
        for (final long word : live) {
            checkObject(tx.open(new Ref(db, word)), word);
        }
        for (final long word : dead) {
            assertInvalid(word);
        }
        final Map<String, FileInfo> infos =
                db.files().stream().collect(Collectors.toMap(FileInfo::name, i -> i, (x, y) -> x, LinkedHashMap::new));
        assertThat(infos.keySet()).containsExactlyInAnyOrder(FILES);
        for (final String name : FILES) {
            final FileInfo info = infos.get(name);
            assertThat(info.objects())
                    .as("objects of %s", name)
                    .isEqualTo(files.get(name).size());
            assertThat(info.liveBytes())
                    .as("live bytes of %s", name)
                    .isEqualTo(files.get(name).values().stream()
                            .mapToLong(b -> ObjectStore.align(b.length))
                            .sum());
            assertThat(info.area()).as("area of %s", name).isEqualTo(fileArea.get(name));
        }
        assertThat(db.areas().stream().map(AreaInfo::path).toList())
                .as("areas")
                .containsExactlyInAnyOrderElementsOf(areas);
        assertThat(StoreInvariants.check(engineDb())).as("store invariants").isEmpty();
    }

    /** Commits, checks everything, closes the session, reopens the database and checks everything again. */
    void verifyAfterReopen() {
        commit();
        checkEverything();
        final Map<String, List<Long>> before = scanAll();
        tx.commit();
        tx = null;
        closeSession();

        session = openSession();
        db = session.openDatabase(rootPath);
        tx = session.begin();
        handles.clear();
        checkEverything();
        assertThat(scanAll()).as("cursor order is stable across reopen").isEqualTo(before);
        tx.commit();
        tx = null;
    }

    @Override
    public void close() throws IOException {
        try {
            if (session != null) {
                closeSession();
            }
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (final Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
