package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.RefDescriptor;
import org.bess.format.SlottedSegmentDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sizes, offsets and references out of range are refused with a typed error whose message names the value and the
 * bound; nothing is read or written outside an object.
 */
class OutOfRangeTest {
    private static final int MAX = SlottedSegmentDescriptor.MAX_DATA_LENGTH;

    @TempDir
    Path dir;

    private Session session;
    private Database db;
    private TypeId type;
    private Transaction tx;
    private BessFile file;

    @BeforeEach
    void open() {
        session = BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(4L << 20));
        db = session.createDatabase(dir.resolve("db.root"), 1L << 20);
        type = db.defineType("T", 16, new int[] {8});
        tx = session.begin();
        file = tx.createFile(db, "f");
    }

    @AfterEach
    void close() {
        if (tx.isActive()) {
            tx.commit();
        }
        session.close();
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(
            final ThrowingCallable call, final ErrorCode code) {
        return assertThatThrownBy(call).isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                .isEqualTo(code));
    }

    @Test
    void shouldRefuseANegativeObjectSize() {
        assertRefused(() -> tx.allocate(file, type, -1), ErrorCode.BAD_ARGUMENT)
                .hasMessageContaining("negative object size")
                .hasMessageContaining("size=-1");
    }

    @Test
    void shouldRefuseAnObjectLargerThanADataSegmentAsALargeObjectNotBuiltYet() {
        assertRefused(() -> tx.allocate(file, type, MAX + 1), ErrorCode.NOT_BUILT_YET)
                .hasMessageContaining("size=" + (MAX + 1))
                .hasMessageContaining("file=f");
        assertRefused(() -> tx.allocate(file, type, Integer.MAX_VALUE), ErrorCode.NOT_BUILT_YET);
    }

    @Test
    void shouldAllocateAndUseBothEndsOfAnObjectOfExactlyOneDataSegment() {
        final ObjectRef o = tx.allocate(file, type, MAX);
        o.putLong(MAX - 8, 0x0123_4567_89AB_CDEFL);
        o.putByte(0, (byte) 7);
        o.putLong(4092, 42L);

        assertThat(o.getLong(MAX - 8)).isEqualTo(0x0123_4567_89AB_CDEFL);
        assertThat(o.getByte(0)).isEqualTo((byte) 7);
        assertThat(o.getLong(4092)).as("a long across a page boundary").isEqualTo(42L);
        assertRefused(() -> o.getByte(MAX), ErrorCode.BAD_ARGUMENT);
    }

    @Test
    void shouldRefuseResizesOutOfRange() {
        final ObjectRef o = tx.allocate(file, type);

        assertRefused(() -> tx.resize(o, -5), ErrorCode.BAD_ARGUMENT).hasMessageContaining("size=-5");
        assertRefused(() -> tx.resize(o, MAX + 1), ErrorCode.NOT_BUILT_YET).hasMessageContaining("size=" + (MAX + 1));
        assertThat(o.size()).as("a refused resize changes nothing").isEqualTo(16);
    }

    @Test
    void shouldRefuseAccessesOutsideTheObject() {
        final ObjectRef o = tx.allocate(file, type, 20);
        final byte[] buffer = new byte[64];

        assertRefused(() -> o.getByte(-1), ErrorCode.BAD_ARGUMENT)
                .hasMessageContaining("access outside the object")
                .hasMessageContaining("offset=-1")
                .hasMessageContaining("objectSize=20");
        assertRefused(() -> o.getByte(20), ErrorCode.BAD_ARGUMENT).hasMessageContaining("offset=20");
        assertRefused(() -> o.getInt(17), ErrorCode.BAD_ARGUMENT).hasMessageContaining("length=4");
        assertRefused(() -> o.getLong(13), ErrorCode.BAD_ARGUMENT).hasMessageContaining("length=8");
        assertRefused(() -> o.putLong(13, 1L), ErrorCode.BAD_ARGUMENT);
        assertRefused(() -> o.putDouble(Integer.MAX_VALUE, 1.0), ErrorCode.BAD_ARGUMENT);
        assertRefused(() -> o.getBytes(10, buffer, 0, 11), ErrorCode.BAD_ARGUMENT)
                .hasMessageContaining("length=11");
        assertRefused(() -> o.putBytes(0, buffer, 0, -1), ErrorCode.BAD_ARGUMENT);
        assertRefused(() -> o.putBytes(Integer.MIN_VALUE, buffer, 0, 1), ErrorCode.BAD_ARGUMENT);
        assertRefused(() -> o.getRef(13), ErrorCode.BAD_ARGUMENT);
        assertRefused(() -> o.putRef(16, o.ref()), ErrorCode.BAD_ARGUMENT);
        assertThat(o.getLong(12)).as("the last long inside").isZero();
    }

    @Test
    void shouldRefuseEveryAccessToAnEmptyObject() {
        final ObjectRef o = tx.allocate(file, type, 0);

        assertRefused(() -> o.getByte(0), ErrorCode.BAD_ARGUMENT).hasMessageContaining("objectSize=0");
        o.getBytes(0, new byte[0], 0, 0);
        assertThat(o.size()).isZero();
    }

    @Test
    void shouldRefuseTypesWithBadSizesOrReferenceOffsets() {
        assertRefused(() -> db.defineType("Neg", -1, new int[0]), ErrorCode.BAD_ARGUMENT)
                .hasMessageContaining("size=-1");
        assertRefused(() -> db.defineType("Huge", MAX + 1, new int[0]), ErrorCode.BAD_ARGUMENT)
                .hasMessageContaining("size=" + (MAX + 1));
        assertRefused(() -> db.defineType("Out", 16, new int[] {9}), ErrorCode.BAD_ARGUMENT)
                .hasMessageContaining("offset=9")
                .hasMessageContaining("size=16");
        assertRefused(() -> db.defineType("Before", 16, new int[] {-8}), ErrorCode.BAD_ARGUMENT)
                .hasMessageContaining("offset=-8");
    }

    @Test
    void shouldRefuseTheNullReference() {
        assertRefused(() -> tx.open(null), ErrorCode.INVALID_REFERENCE).hasMessageContaining("null");
        assertRefused(() -> tx.open(new Ref(db, RefDescriptor.NULL_REF)), ErrorCode.INVALID_REFERENCE)
                .hasMessageContaining("null reference");
    }

    @Test
    void shouldRefuseAReferenceToAPageBeyondTheRootArea() {
        final long word = RefDescriptor.pack(0xFFFF_FF00L, 0, 0);

        assertRefused(() -> tx.open(new Ref(db, word)), ErrorCode.INVALID_REFERENCE)
                .hasMessageContaining("no such page")
                .hasMessageContaining("ref=" + RefDescriptor.toString(word))
                .hasMessageContaining("database=" + db.path());
    }

    @Test
    void shouldRefuseAReferenceToAControlPageThatIsNoSlottedSegment() {
        // page 1 is the first extent map of the root area
        assertRefused(() -> tx.open(new Ref(db, RefDescriptor.pack(1, 0, 0))), ErrorCode.INVALID_REFERENCE)
                .hasMessageContaining("not a slotted segment");
    }

    @Test
    void shouldRefuseAReferenceToASlotNeverHandedOutOrBeyondTheSlotArray() {
        final ObjectRef o = tx.allocate(file, type);
        final long seg = RefDescriptor.segmentPage(o.ref().word());

        assertRefused(() -> tx.open(new Ref(db, RefDescriptor.pack(seg, 5, 0))), ErrorCode.INVALID_REFERENCE)
                .hasMessageContaining("no such slot");
        assertRefused(() -> tx.open(new Ref(db, RefDescriptor.pack(seg, 0xFFFF, 0))), ErrorCode.INVALID_REFERENCE)
                .hasMessageContaining("no such slot");
    }

    @Test
    void shouldRefuseAReferenceWithAnotherGenerationThanItsLiveSlot() {
        final long word = tx.allocate(file, type).ref().word();
        final long forged = RefDescriptor.pack(
                RefDescriptor.segmentPage(word), RefDescriptor.slotIndex(word), RefDescriptor.generation(word) + 1);

        assertRefused(() -> tx.open(new Ref(db, forged)), ErrorCode.INVALID_REFERENCE)
                .hasMessageContaining("reused");
    }

    @Test
    void shouldRefuseAReferenceToADataPageAsInvalidNotCorruptWhenThePageIsCached() {
        final ObjectRef o = tx.allocate(file, type, 100);
        o.putInt(4, 0x0001_0004); // page type "slotted segment", version 1, if read as a header
        final long dataPage = dataPageOf(o);

        assertRefused(() -> tx.open(new Ref(db, RefDescriptor.pack(dataPage, 0, 0))), ErrorCode.INVALID_REFERENCE)
                .hasMessageContaining("not a slotted segment");
    }

    @Test
    void shouldRefuseAReferenceToADataPageAsInvalidNotCorruptWhenThePageIsReadFromDisk() {
        final ObjectRef o = tx.allocate(file, type, 100);
        o.putLong(0, 99L);
        final long dataPage = dataPageOf(o);
        tx.commit();
        session.close();

        session = BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(4L << 20));
        db = session.openDatabase(dir.resolve("db.root"));
        tx = session.begin();
        assertRefused(() -> tx.open(new Ref(db, RefDescriptor.pack(dataPage, 0, 0))), ErrorCode.INVALID_REFERENCE)
                .hasMessageContaining("not a slotted segment");
    }

    @Test
    void shouldRefuseAReferenceToAFreePageOfTheRootAreaAsInvalid() {
        final EngineDatabase engine = (EngineDatabase) db;
        final long lastPage = engine.root().pageCount() - 1;

        assertRefused(() -> tx.open(new Ref(db, RefDescriptor.pack(lastPage, 0, 0))), ErrorCode.INVALID_REFERENCE)
                .hasMessageContaining("not a slotted segment");
    }

    private long dataPageOf(final ObjectRef o) {
        final ObjectStore.Slot slot = new ObjectStore.Slot();
        ((EngineDatabase) db).objects().resolve(o.ref().word(), slot);
        assertThat(slot.area).as("data in the root area").isZero();
        return slot.dataPage;
    }
}
