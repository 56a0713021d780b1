package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.exceptions.CorruptPageException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.AreaHeaderDescriptor;
import org.bess.format.PageInfoDescriptor;
import org.bess.format.RefDescriptor;
import org.bess.format.SlotDescriptor;
import org.bess.format.SlottedSegmentDescriptor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flipped byte in a page at rest surfaces as {@link CorruptPageException} naming the database, the area, the page and
 * both checksums when the page is read, never as wrong data.
 */
class CorruptPageTest {
    @TempDir
    Path dir;

    private SampleDatabase sample;

    @BeforeEach
    void create() {
        sample = SampleDatabase.create(dir);
    }

    private static void assertCorrupt(
            final ThrowingCallable call, final Path database, final Path area, final long page) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(CorruptPageException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(ErrorCode.CORRUPT_PAGE))
                .hasMessageContaining("page checksum mismatch")
                .hasMessageContaining("database=" + database)
                .hasMessageContaining("area=" + area)
                .hasMessageContaining("page=" + page + ",")
                .hasMessageMatching(".*expected=0x[0-9a-f]+, actual=0x[0-9a-f]+.*");
    }

    /** Opens the object of {@code word} in a new session and reads all its bytes. */
    private void read(final long word, final int index) {
        try (Session s = SampleDatabase.session(dir)) {
            final Database db = s.openDatabase(sample.root);
            try (Transaction tx = s.begin()) {
                final ObjectRef o = tx.open(new Ref(db, word));
                final byte[] bytes = new byte[SampleDatabase.SIZE];
                o.getBytes(0, bytes, 0, bytes.length);
                assertThat(bytes)
                        .as("a read that succeeds returns the right bytes")
                        .isEqualTo(SampleDatabase.expected(index));
            }
        }
    }

    private void openOnly() {
        try (Session s = SampleDatabase.session(dir)) {
            s.openDatabase(sample.root);
        }
    }

    @Test
    void shouldReportAFlippedByteInAnObjectOfADataPageOfAnotherArea() {
        final long word = sample.inArea.get(10);
        final long[] at = AreaFiles.dataLocation(sample.root, word);
        assertThat(at[0]).as("data area id").isEqualTo(1);
        AreaFiles.flip(sample.area, at[1] * PAGE_LENGTH + at[2] + 5, 0x10);

        assertCorrupt(() -> read(word, SampleDatabase.OBJECTS + 10), sample.root, sample.area, at[1]);
    }

    @Test
    void shouldReportAFlippedByteInAnObjectOfADataPageOfTheRootArea() {
        final long word = sample.inRoot.get(3);
        final long[] at = AreaFiles.dataLocation(sample.root, word);
        assertThat(at[0]).as("data area id").isZero();
        AreaFiles.flip(sample.root, at[1] * PAGE_LENGTH + at[2], 0x01);

        assertCorrupt(() -> read(word, 3), sample.root, sample.root, at[1]);
    }

    @Test
    void shouldReportAFlippedByteOutsideAnyObjectWhenAnObjectOnThatPageIsRead() {
        final long word = sample.inArea.get(0);
        final long[] at = AreaFiles.dataLocation(sample.root, word);
        AreaFiles.flip(sample.area, at[1] * PAGE_LENGTH + PAGE_LENGTH - 1, 0x80);

        assertCorrupt(() -> read(word, SampleDatabase.OBJECTS), sample.root, sample.area, at[1]);
    }

    @Test
    void shouldReportAFlippedByteInASlotOfASlottedSegment() {
        final long word = sample.inArea.get(42);
        final long segPage = RefDescriptor.segmentPage(word);
        final int slot = SlottedSegmentDescriptor.slotOffset(RefDescriptor.slotIndex(word));
        AreaFiles.flip(sample.root, segPage * PAGE_LENGTH + slot + SlotDescriptor.SIZE_OFFSET, 0x04);

        assertCorrupt(() -> read(word, SampleDatabase.OBJECTS + 42), sample.root, sample.root, segPage);
    }

    @Test
    void shouldReportAFlippedByteInTheStoredChecksumOfASlottedSegment() {
        final long word = sample.inRoot.get(0);
        final long segPage = RefDescriptor.segmentPage(word);
        AreaFiles.flip(sample.root, segPage * PAGE_LENGTH + 2, 0xFF);

        assertCorrupt(() -> read(word, 0), sample.root, sample.root, segPage);
    }

    @Test
    void shouldReportAFlippedByteInAPageInfoPageWhenADataPageItCoversIsRead() {
        final long word = sample.inArea.get(1);
        final long[] at = AreaFiles.dataLocation(sample.root, word);
        final int extentPages = AreaFiles.readPage(sample.area, 0).getInt(AreaHeaderDescriptor.EXTENT_PAGES_OFFSET);
        final int extent = (int) ((at[1] - 1) / extentPages);
        final long first = AreaHeaderDescriptor.extentFirstPage(extent, extentPages);
        final int rel = (int) (at[1] - first);
        final long infoPage = first + PageInfoDescriptor.infoPage(rel);
        AreaFiles.flip(sample.area, infoPage * PAGE_LENGTH + PageInfoDescriptor.entryOffset(rel), 0x02);

        assertCorrupt(() -> read(word, SampleDatabase.OBJECTS + 1), sample.root, sample.area, infoPage);
    }

    @Test
    void shouldReportAFlippedByteInAnExtentMapWhenTheDatabaseIsOpened() {
        AreaFiles.flip(sample.area, PAGE_LENGTH + 100, 0x01);

        assertCorrupt(this::openOnly, sample.root, sample.area, 1);
    }

    @Test
    void shouldReportAFlippedByteInTheCatalogWhenTheDatabaseIsOpened() {
        final ByteBuffer header = AreaFiles.readPage(sample.root, 0);
        final long catalogPage = header.getInt(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET) & 0xFFFF_FFFFL;
        AreaFiles.flip(sample.root, catalogPage * PAGE_LENGTH + 60, 0x20);

        assertCorrupt(this::openOnly, sample.root, sample.root, catalogPage);
    }

    @Test
    void shouldReportAFlippedByteInTheHeaderOfANonRootAreaWhenTheDatabaseIsOpened() {
        AreaFiles.flip(sample.area, AreaHeaderDescriptor.EXTENT_COUNT_OFFSET, 0x01);

        assertCorrupt(this::openOnly, sample.root, sample.area, 0);
    }
}
