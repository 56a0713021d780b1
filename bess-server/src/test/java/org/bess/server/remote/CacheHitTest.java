package org.bess.server.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.client.remote.RemoteSession;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.ClientMapDescriptor;
import org.bess.server.SessionAccess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared-memory clients over the real socket map a page the server has cached but they have not mapped without a
 * request (the server's page table, their bit in the client-map file, S by the lock fast path), and the server never
 * replaces such a frame, writes and aborts on it still work, and a client's marks go with it.
 */
@Timeout(180)
class CacheHitTest {
    /** Offsets of the big object's three pages' markers (the object spans more than two pages). */
    private static final int[] OFFSETS = {0, 5000, 10000};

    @TempDir
    Path dir;

    private TestNode node;
    private Path root;
    private Ref ref;

    @BeforeEach
    void start() {
        node = TestNode.start(dir);
        root = dir.resolve("hits.root");
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private RemoteSession connect() {
        return (RemoteSession) Bess.connect(dir.resolve("node"), Bess.Mode.SHARED_MEMORY);
    }

    /**
     * The big object, written by a client, then read again by it in a second transaction: every page of it is cached,
     * and the server's lock table has an entry for each. The client then goes: nobody maps the pages.
     */
    private void bigObject() throws InterruptedException {
        final int open = node.endpoint().connectionCount();
        try (RemoteSession a = connect()) {
            bigObject(a);
        }
        TestNode.await("the writer to go", () -> node.endpoint().connectionCount() == open);
        assertThat(SessionAccess.mappedFrames(node.server()))
                .as("frames mapped by anyone")
                .isZero();
    }

    private void bigObject(final RemoteSession a) {
        final Database db = a.createDatabase(root, 1L << 20);
        final TypeId big = db.defineType("Big", 3 * 4096 + 100, new int[0]);
        try (Transaction tx = a.begin()) {
            final BessFile f = tx.createFile(db, "big");
            final ObjectRef o = tx.allocate(f, big);
            for (int i = 0; i < OFFSETS.length; i++) {
                o.putLong(OFFSETS[i], i + 1);
            }
            tx.setRoot(db, "big", o.ref());
            ref = o.ref();
            tx.commit();
        }
        try (Transaction tx = a.begin()) {
            final ObjectRef o = tx.open(ref);
            for (int i = 0; i < OFFSETS.length; i++) {
                assertThat(o.getLong(OFFSETS[i])).isEqualTo(i + 1);
            }
            tx.commit();
        }
    }

    /** Opens the big object in {@code b}'s transaction and reads its first page (that touch may ask the server). */
    private static ObjectRef openAndTouchFirstPage(final Transaction t, final Database bdb) {
        final ObjectRef o = t.open(t.root(bdb, "big"));
        assertThat(o.getLong(OFFSETS[0])).isEqualTo(1);
        return o;
    }

    @Test
    void shouldMapAPageTheServerCachedWithoutARequest() throws Exception {
        bigObject();
        try (RemoteSession b = connect()) {
            final Database bdb = b.openDatabase(root);
            final long marksBefore = SessionAccess.clientHitMaps(node.server());
            assertThat(marksBefore).isZero();
            try (Transaction t = b.begin()) {
                final ObjectRef o = openAndTouchFirstPage(t, bdb);
                final long requests = b.requestCount();
                final long hits = b.cacheHits();
                assertThat(o.getLong(OFFSETS[2])).as("the third page's bytes").isEqualTo(3);
                assertThat(b.requestCount())
                        .as("requests for a page cached by the server, unmapped here")
                        .isEqualTo(requests);
                assertThat(b.cacheHits()).isEqualTo(hits + 1);
                assertThat(referencedFrames(
                                SessionAccess.cacheFile(node.server()).resolveSibling("maps")))
                        .as("frames with the client's referenced bit (the level-two clock's second chance)")
                        .isPositive();
                assertThat(SessionAccess.clientHitMaps(node.server()))
                        .as("frames marked in the client-map file")
                        .isEqualTo(marksBefore + b.cacheHitFramesMapped());
                assertThat(b.cacheHitFramesMapped()).isPositive();
                assertThat(o.getLong(OFFSETS[1])).isEqualTo(2);
                t.commit();
            }
            // the second transaction re-locks the mapped frames (fast path or request) and reads the same bytes
            try (Transaction t = b.begin()) {
                final ObjectRef o = t.open(t.root(bdb, "big"));
                assertThat(o.getLong(OFFSETS[2])).isEqualTo(3);
                t.commit();
            }
        }
        TestNode.await("both clients cleaned up", () -> node.endpoint().connectionCount() == 0);
        assertThat(SessionAccess.clientHitMaps(node.server()))
                .as("marks left after the clients closed")
                .isZero();
        assertThat(SessionAccess.mappedFrames(node.server())).isZero();
        assertThat(node.server().lockCounters()[0]).isZero();
    }

    @Test
    void shouldWriteAbortAndCommitOnAFrameMappedByAHit() throws Exception {
        try (RemoteSession a = connect();
                RemoteSession b = connect()) {
            bigObject(a);
            final Database bdb = b.openDatabase(root);
            try (Transaction t = b.begin()) {
                final ObjectRef o = openAndTouchFirstPage(t, bdb);
                final long hits = b.cacheHits();
                assertThat(o.getLong(OFFSETS[2])).isEqualTo(3);
                assertThat(b.cacheHits()).as("mapped by a hit").isEqualTo(hits + 1);
                o.putLong(OFFSETS[2], 33); // the first write: X lock and before-image by request
                assertThat(o.getLong(OFFSETS[2])).isEqualTo(33);
                t.abort();
            }
            try (Transaction t = b.begin()) {
                final ObjectRef o = t.open(t.root(bdb, "big"));
                assertThat(o.getLong(OFFSETS[2]))
                        .as("rolled back in the cache frame")
                        .isEqualTo(3);
                o.putLong(OFFSETS[2], 44);
                t.commit();
            }
            try (Transaction t = a.begin()) {
                assertThat(t.open(ref).getLong(OFFSETS[2]))
                        .as("another client sees the commit")
                        .isEqualTo(44);
                t.commit();
            }
        }
        try (Session e = node.server().openSession()) {
            final Database db = e.openDatabase(root);
            try (Transaction t = e.begin()) {
                assertThat(t.open(t.root(db, "big")).getLong(OFFSETS[2])).isEqualTo(44);
            }
        }
    }

    @Test
    void shouldNeverReplaceAFrameAClientMappedByAHit() throws Exception {
        // fillers: about twice the cache's pages, each page marked with its own number
        final List<Ref> fillers = new ArrayList<>();
        bigObject();
        try (RemoteSession b = connect()) {
            try (Session e = node.server().openSession()) {
                final Database db = e.openDatabase(root);
                final TypeId filler = db.defineType("Filler", 4000, new int[0]);
                for (int batch = 0; batch < 8; batch++) {
                    try (Transaction t = e.begin()) {
                        final BessFile f = batch == 0 ? t.createFile(db, "fill") : t.file(db, "fill");
                        for (int i = 0; i < 512; i++) {
                            final ObjectRef o = t.allocate(f, filler);
                            o.putLong(0, 1000 + fillers.size());
                            fillers.add(o.ref());
                        }
                        t.commit();
                    }
                }
            }
            // the fillers pushed the big object out: a client reads it back into the cache and goes
            final int open = node.endpoint().connectionCount();
            try (RemoteSession a = connect();
                    Transaction t = a.begin()) {
                final ObjectRef o = t.open(t.root(a.openDatabase(root), "big"));
                for (int i = 0; i < OFFSETS.length; i++) {
                    assertThat(o.getLong(OFFSETS[i])).isEqualTo(i + 1);
                }
                t.commit();
            }
            TestNode.await("the reader to go", () -> node.endpoint().connectionCount() == open);
            final Database bdb = b.openDatabase(root);
            final Transaction t = b.begin();
            final ObjectRef o = openAndTouchFirstPage(t, bdb);
            final long hits = b.cacheHits();
            assertThat(o.getLong(OFFSETS[2])).isEqualTo(3);
            assertThat(b.cacheHits()).as("mapped by a hit").isEqualTo(hits + 1);
            final long evictionsBefore = node.server().cacheCounters()[2];
            final long frames = node.server().cacheCounters()[4];
            try (Session e = node.server().openSession()) {
                final Database db = e.openDatabase(root);
                for (int round = 0; round < 2; round++) {
                    try (Transaction et = e.begin()) {
                        for (int i = 0; i < fillers.size(); i++) {
                            final Ref r = new Ref(db, fillers.get(i).word());
                            assertThat(et.open(r).getLong(0)).isEqualTo(1000 + i);
                        }
                        et.commit();
                    }
                }
            }
            assertThat(node.server().cacheCounters()[2] - evictionsBefore)
                    .as("frames replaced under the pressure")
                    .isGreaterThan(frames);
            final long requests = b.requestCount();
            assertThat(o.getLong(OFFSETS[2]))
                    .as("the client's frame still holds its page")
                    .isEqualTo(3);
            assertThat(b.requestCount()).isEqualTo(requests);
            assertThat(SessionAccess.clientHitMaps(node.server())).isEqualTo(b.cacheHitFramesMapped());
            t.commit();
        }
        TestNode.await("both clients cleaned up", () -> node.endpoint().connectionCount() == 0);
        assertThat(SessionAccess.clientHitMaps(node.server())).isZero();
    }

    @Test
    @SuppressWarnings("try") // the other client only keeps a connection open
    void shouldReleaseTheMarksOfAClientThatVanishes() throws Exception {
        bigObject();
        try (RemoteSession a = connect()) {
            final RemoteSession b = connect();
            final Database bdb = b.openDatabase(root);
            final Transaction t = b.begin();
            final ObjectRef o = openAndTouchFirstPage(t, bdb);
            assertThat(o.getLong(OFFSETS[2])).isEqualTo(3);
            assertThat(b.cacheHitFramesMapped()).isPositive();
            final long marks = SessionAccess.clientHitMaps(node.server());
            assertThat(marks).isPositive();
            b.abandon(); // the socket closes as when the process dies; its marks stay in the file
            TestNode.await("the server to clean up", () -> node.endpoint().connectionCount() == 1);
            assertThat(SessionAccess.clientHitMaps(node.server()))
                    .as("marks of the vanished client")
                    .isZero();
        }
    }

    @Test
    @SuppressWarnings("try") // the other client only keeps a connection open
    void shouldDeclineAGarbageStateWordAndReportIt() throws Exception {
        final Path maps = SessionAccess.cacheFile(node.server()).resolveSibling("maps");
        bigObject();
        try (RemoteSession a = connect()) {
            final RemoteSession b = connect();
            try {
                final Database bdb = b.openDatabase(root);
                garbageStateWords(maps);
                try (Transaction t = b.begin()) {
                    final ObjectRef o = openAndTouchFirstPage(t, bdb);
                    final long requests = b.requestCount();
                    final long hits = b.cacheHits();
                    assertThat(o.getLong(OFFSETS[2]))
                            .as("the page, from the server")
                            .isEqualTo(3);
                    assertThat(b.cacheHits())
                            .as("no hit on a garbage frame record")
                            .isEqualTo(hits);
                    assertThat(b.requestCount()).isGreaterThan(requests);
                    t.commit();
                }
            } finally {
                b.close();
            }
            TestNode.await("the server to clean up", () -> node.endpoint().connectionCount() == 1);
            assertThat(SessionAccess.clientMapGarbage(node.server()))
                    .doesNotStartWith("0:")
                    .contains("client-map state word is garbage: frame=");
        }
    }

    @Test
    void shouldRefuseAClientMapFileWithAGarbageHeader() throws Exception {
        final Path maps = SessionAccess.cacheFile(node.server()).resolveSibling("maps");
        try (FileChannel ch = FileChannel.open(maps, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("NOTAMAP!".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 0);
        }
        assertThatThrownBy(this::connect)
                .isInstanceOf(BessException.class)
                .satisfies(e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.BAD_FORMAT))
                .hasMessageContaining("client-map file is damaged")
                .hasMessageContaining("magic");
        TestNode.await("the refused client cleaned up", () -> node.endpoint().connectionCount() == 0);
    }

    /** Frames whose state word has the referenced bit a client's hit sets. */
    private static int referencedFrames(final Path maps) throws IOException {
        try (FileChannel ch = FileChannel.open(maps, StandardOpenOption.READ)) {
            final ByteBuffer header = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(header, 0);
            final int frames = header.getInt(ClientMapDescriptor.FRAME_COUNT_OFFSET);
            final int slots = header.getInt(ClientMapDescriptor.SLOTS_OFFSET);
            final ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            int n = 0;
            for (int f = 0; f < frames; f++) {
                word.clear();
                ch.read(word, ClientMapDescriptor.stateOffset(slots, f));
                if ((word.getLong(0) & ClientMapDescriptor.REFERENCED) != 0) {
                    n++;
                }
            }
            return n;
        }
    }

    /** Writes a state word that is neither 0 nor evicting into every frame record of the client-map file. */
    private static void garbageStateWords(final Path maps) throws IOException {
        try (FileChannel ch = FileChannel.open(maps, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            final ByteBuffer header = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(header, 0);
            final int frames = header.getInt(ClientMapDescriptor.FRAME_COUNT_OFFSET);
            final int slots = header.getInt(ClientMapDescriptor.SLOTS_OFFSET);
            final ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            for (int f = 0; f < frames; f++) {
                word.clear();
                word.putLong(0, 0xDEAD_0000L);
                ch.write(word, ClientMapDescriptor.stateOffset(slots, f));
            }
        }
    }
}
