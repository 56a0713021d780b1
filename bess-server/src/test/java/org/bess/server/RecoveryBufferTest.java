package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.agrona.concurrent.UnsafeBuffer;
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
import org.bess.format.RecoveryBufferDescriptor;
import org.bess.server.remote.SessionEndpoint;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Recovery buffers off the heap, the three ways a session reaches the engine: before-images live in the session's
 * mapped area (a file in the node's shared memory for a client, mapped read-only by it), abort restores from there,
 * early logging keeps the area within its slots, a damaged image is refused rather than restored, and a client's
 * file goes when it disconnects.
 */
@Timeout(180)
class RecoveryBufferTest {
    private static final int OBJECTS = 60;

    @TempDir
    Path dir;

    private Context context(final int bufferPages) {
        return new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(4L << 20)
                .recoveryBufferPages(bufferPages);
    }

    /** Objects of 3,000 bytes (most on pages of their own), holding their index; committed. */
    private static List<Ref> load(final Session s, final Path root, final int count) {
        final Database db = s.createDatabase(root, 1L << 20);
        final TypeId t = db.defineType("Rec", 3000, new int[0]);
        final List<Ref> refs = new ArrayList<>();
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "recs");
            for (int i = 0; i < count; i++) {
                final ObjectRef o = tx.allocate(f, t);
                o.putLong(0, i);
                refs.add(o.ref());
            }
            tx.commit();
        }
        return refs;
    }

    /** The same objects in a database opened again (a reference names its database object). */
    private static List<Ref> reopened(final Database db, final List<Ref> refs) {
        final List<Ref> again = new ArrayList<>();
        for (final Ref r : refs) {
            again.add(new Ref(db, r.word()));
        }
        return again;
    }

    private static void assertValues(final Session s, final List<Ref> refs, final long offset) {
        try (Transaction tx = s.begin()) {
            for (int i = 0; i < refs.size(); i++) {
                assertThat(tx.open(refs.get(i)).getLong(0)).as("object %d", i).isEqualTo(i + offset);
            }
            tx.commit();
        }
    }

    /** The area as mapped by whoever owns it: the embedded session's own, or the client's file (server side). */
    private static UnsafeBuffer area(final Session s) throws Exception {
        final RemoteSession client = TestSessions.clientOf(s);
        if (client == null) {
            return SessionAccess.recoveryBuffer(s).mapping();
        }
        return mapFile(client.recoveryBuffer().file());
    }

    private static UnsafeBuffer mapFile(final Path file) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw");
                FileChannel ch = f.getChannel()) {
            final MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
            return new UnsafeBuffer(m);
        }
    }

    private static int slots(final UnsafeBuffer area) {
        return area.getInt(RecoveryBufferDescriptor.SLOT_COUNT_OFFSET);
    }

    private static int clientSlots(final UnsafeBuffer area) {
        return area.getInt(RecoveryBufferDescriptor.CLIENT_SLOT_COUNT_OFFSET);
    }

    private static List<Integer> imageSlots(final UnsafeBuffer area) {
        final List<Integer> held = new ArrayList<>();
        for (int s = 0; s < slots(area); s++) {
            final int state =
                    area.getIntVolatile((int) RecoveryBufferDescriptor.entryOffset(slots(area), clientSlots(area), s)
                            + RecoveryBufferDescriptor.ENTRY_STATE_OFFSET);
            if (state == RecoveryBufferDescriptor.STATE_IMAGE) {
                held.add(s);
            }
        }
        return held;
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldKeepBeforeImagesInTheSessionsMappedAreaAndRestoreThemOnAbort(final TestSessions.Way way)
            throws Exception {
        try (Session s = TestSessions.open(way, context(256))) {
            final List<Ref> refs = load(s, dir.resolve("a.root"), OBJECTS);
            final RemoteSession client = TestSessions.clientOf(s);
            if (client == null) {
                assertThat(SessionAccess.recoveryBuffer(s).file())
                        .as("an embedded session's area")
                        .isNull();
            } else {
                assertThat(client.recoveryBuffer().file().getParent())
                        .as("a client's area is a file beside the cache file")
                        .isEqualTo(SessionAccess.cacheFile(TestSessions.serverOf(s))
                                .getParent());
            }
            final UnsafeBuffer area = area(s);
            assertThat(slots(area) - clientSlots(area))
                    .as("the server's slots (a shared-memory client's own follow)")
                    .isEqualTo(256 + 16);
            assertThat(imageSlots(area)).isEmpty();
            try (Transaction tx = s.begin()) {
                for (final Ref r : refs) {
                    final ObjectRef o = tx.open(r);
                    o.putLong(0, o.getLong(0) + 1000);
                }
                final int held = imageSlots(area).size();
                assertThat(held).as("before-images of the pages written").isGreaterThanOrEqualTo(OBJECTS / 2);
                if (client != null) {
                    assertThat(client.recoveryBuffer().imagesHeld())
                            .as("what the client sees in its mapping")
                            .isEqualTo(held);
                }
                tx.abort();
            }
            assertThat(imageSlots(area)).as("slots after the abort").isEmpty();
            assertValues(s, refs, 0);
            try (Transaction tx = s.begin()) {
                for (final Ref r : refs) {
                    final ObjectRef o = tx.open(r);
                    o.putLong(0, o.getLong(0) + 1000);
                }
                tx.commit();
            }
            assertThat(imageSlots(area)).as("slots after the commit").isEmpty();
            assertValues(s, refs, 1000);
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldLogEarlyWhenTheAreaIsFullAndStayWithinItsSlots(final TestSessions.Way way) throws Exception {
        final List<Ref> refs;
        try (Session s = TestSessions.open(way, context(8))) {
            refs = load(s, dir.resolve("e.root"), 3 * OBJECTS);
            final UnsafeBuffer area = area(s);
            assertThat(slots(area) - clientSlots(area)).isEqualTo(8 + 16);
            try (Transaction tx = s.begin()) {
                for (final Ref r : refs) {
                    final ObjectRef o = tx.open(r);
                    o.putLong(0, o.getLong(0) + 1000);
                }
                final List<Integer> held = imageSlots(area);
                assertThat(held).isNotEmpty();
                assertThat(held.stream().filter(slot -> slot < slots(area) - clientSlots(area)))
                        .as("the server's own slots in use")
                        .hasSizeLessThanOrEqualTo(8);
                tx.abort();
            }
            assertThat(imageSlots(area)).isEmpty();
            assertValues(s, refs, 0);
            try (Transaction tx = s.begin()) {
                for (final Ref r : refs) {
                    final ObjectRef o = tx.open(r);
                    o.putLong(0, o.getLong(0) + 2000);
                }
                tx.commit();
            }
        }
        try (Session s = BessServer.embedded(context(8))) {
            assertValues(s, reopened(s.openDatabase(dir.resolve("e.root")), refs), 2000);
        }
    }

    @ParameterizedTest
    @EnumSource(TestSessions.Way.class)
    void shouldRefuseADamagedBeforeImageAndLeaveTheRollbackToRestartRecovery(final TestSessions.Way way)
            throws Exception {
        final List<Ref> refs;
        final Session s = TestSessions.open(way, context(64));
        try {
            refs = load(s, dir.resolve("d.root"), 4);
            final UnsafeBuffer area = area(s);
            final Transaction tx = s.begin();
            final ObjectRef o = tx.open(refs.get(0));
            o.putLong(0, 777);
            final List<Integer> held = imageSlots(area);
            assertThat(held).hasSize(1);
            final int image = (int) RecoveryBufferDescriptor.imageOffset(slots(area), clientSlots(area), held.get(0));
            area.putByte(image + 2000, (byte) (area.getByte(image + 2000) ^ 0x10));
            assertThatThrownBy(tx::abort)
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CORRUPT_PAGE))
                    // a server-made image, or (shared memory: a first write without a request) the client's own
                    .hasMessageFindingMatch("recovery buffer is damaged|client-made before-image is garbage")
                    .hasMessageContaining("image checksum");
            assertThatThrownBy(s::begin)
                    .as("the log stopped: the page in memory was not restored")
                    .isInstanceOf(BessException.class);
        } finally {
            try {
                s.close();
            } catch (final BessException e) {
                // closing after a stopped log may report it again
            }
        }
        try (Session again = BessServer.embedded(context(64))) {
            assertValues(again, reopened(again.openDatabase(dir.resolve("d.root")), refs), 0);
        }
    }

    private static long recoveryFiles(final BessServer server) throws Exception {
        try (Stream<Path> files = Files.list(SessionAccess.cacheFile(server).getParent())) {
            return files.filter(f -> f.getFileName().toString().startsWith(SessionAccess.RECOVERY_BUFFER_FILE_PREFIX))
                    .count();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = TestSessions.Way.class,
            names = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldRemoveTheClientsFileWhenItDisconnects(final TestSessions.Way way) throws Exception {
        final Context c = context(32);
        final BessServer server = BessServer.start(c);
        try (SessionEndpoint endpoint =
                SessionEndpoint.start(server, c.nodeDir().resolve(SessionEndpoint.SOCKET_NAME))) {
            final List<Ref> refs;
            try (Session s = server.openSession()) {
                refs = load(s, dir.resolve("f.root"), 4);
            }
            final Path file;
            try (Session s = Bess.connect(c.nodeDir(), Bess.Mode.valueOf(way.name()))) {
                file = ((RemoteSession) s).recoveryBuffer().file();
                assertThat(file).exists();
                assertThat(recoveryFiles(server)).isEqualTo(1);
                final Transaction tx = s.begin();
                tx.open(refs.get(1)).putLong(0, 99);
                assertThat(((RemoteSession) s).recoveryBuffer().imagesHeld()).isEqualTo(1);
                // closed with the transaction open: the server rolls it back from the file, then deletes it
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long sleepMs = 1;
            while (endpoint.connectionCount() > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(sleepMs);
                sleepMs = Math.min(50, 2 * sleepMs);
            }
            assertThat(endpoint.connectionCount()).isZero();
            assertThat(file).doesNotExist();
            assertThat(recoveryFiles(server)).isZero();
            try (Session s = server.openSession()) {
                assertValues(s, reopened(s.openDatabase(dir.resolve("f.root")), refs), 0);
            }
        } finally {
            server.close();
        }
    }
}
