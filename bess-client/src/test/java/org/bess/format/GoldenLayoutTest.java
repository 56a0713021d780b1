package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Each on-disk and shared-memory layout built by hand from its descriptor's constants with fixed, distinct field values,
 * compared byte for byte with its golden hex file in {@code src/test/resources/format/}. A moved or resized field changes
 * the bytes; the golden file changes only in the commit that changes the format (and its version).
 */
class GoldenLayoutTest {
    private static UnsafeBuffer page() {
        return new UnsafeBuffer(new byte[PAGE_LENGTH]);
    }

    private static void header(final UnsafeBuffer p, final short type, final int pageNo, final int areaId) {
        p.putShort(PageHeaderDescriptor.PAGE_TYPE_OFFSET, type);
        p.putShort(PageHeaderDescriptor.FORMAT_VERSION_OFFSET, PageHeaderDescriptor.FORMAT_VERSION);
        p.putInt(PageHeaderDescriptor.PAGE_NO_OFFSET, pageNo);
        p.putShort(PageHeaderDescriptor.AREA_ID_OFFSET, (short) areaId);
        p.putLong(PageHeaderDescriptor.PAGE_LSN_OFFSET, 0x0102_0304_0506_0708L);
    }

    /** Stamps the CRC32C of bytes [4, 4096) at offset 0, as a page is stamped before it is written. */
    private static byte[] stamp(final UnsafeBuffer p) {
        final CRC32C crc = new CRC32C();
        crc.update(
                p.byteArray(),
                PageHeaderDescriptor.CHECKSUMMED_FROM,
                PAGE_LENGTH - PageHeaderDescriptor.CHECKSUMMED_FROM);
        p.putInt(PageHeaderDescriptor.CHECKSUM_OFFSET, (int) crc.getValue());
        return p.byteArray();
    }

    @Test
    void shouldMatchTheGoldenPageHeader() {
        final UnsafeBuffer p = page();
        header(p, PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT, 0x0A0B_0C0D, 0x0E0F);
        GoldenFiles.assertMatches("page-header", stamp(p));
    }

    @Test
    void shouldMatchTheGoldenAreaHeader() {
        final UnsafeBuffer p = page();
        header(p, PageHeaderDescriptor.TYPE_AREA_HEADER, 0, 2);
        p.putLong(AreaHeaderDescriptor.MAGIC_OFFSET, AreaHeaderDescriptor.MAGIC);
        p.putInt(AreaHeaderDescriptor.AREA_FORMAT_VERSION_OFFSET, AreaHeaderDescriptor.AREA_FORMAT_VERSION);
        p.putInt(AreaHeaderDescriptor.PAGE_LENGTH_OFFSET, PAGE_LENGTH);
        p.putLong(AreaHeaderDescriptor.DATABASE_ID_OFFSET, 0x1122_3344_5566_7788L);
        p.putInt(AreaHeaderDescriptor.AREA_ID_OFFSET, 2);
        p.putInt(AreaHeaderDescriptor.FLAGS_OFFSET, AreaHeaderDescriptor.FLAG_ROOT | AreaHeaderDescriptor.FLAG_DEVICE);
        p.putInt(AreaHeaderDescriptor.EXTENT_PAGES_OFFSET, 1024);
        p.putInt(AreaHeaderDescriptor.EXTENT_COUNT_OFFSET, 3);
        p.putInt(AreaHeaderDescriptor.MAX_EXTENT_COUNT_OFFSET, 0x99);
        p.putInt(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET, 0x55);
        p.putInt(AreaHeaderDescriptor.CATALOG_PAGE_COUNT_OFFSET, 4);
        p.putLong(AreaHeaderDescriptor.CATALOG_LENGTH_OFFSET, 0x3344);
        p.putLong(AreaHeaderDescriptor.CREATED_MS_OFFSET, 1_700_000_000_000L);
        GoldenFiles.assertMatches("area-header", stamp(p));
    }

    @Test
    void shouldMatchTheGoldenExtentMapOfAFresh256PageExtent() {
        final UnsafeBuffer p = page();
        header(p, PageHeaderDescriptor.TYPE_EXTENT_MAP, 257, 1);
        final int m = 8;
        p.putInt(ExtentMapDescriptor.EXTENT_NO_OFFSET, 1);
        p.putInt(ExtentMapDescriptor.MAX_ORDER_OFFSET, m);
        p.putInt(ExtentMapDescriptor.META_PAGES_OFFSET, 2);
        p.putInt(ExtentMapDescriptor.FREE_PAGES_OFFSET, 254);
        // the metadata block (pages 0-1, order 1) is allocated; its buddies up the tree are free: pages 2 (order 1),
        // 4 (order 2), 8 (order 3) ... 128 (order 7)
        p.putLong(ExtentMapDescriptor.allocBitmapOffset(m, 1), 1L);
        for (int k = 1; k < m; k++) {
            setBit(p, ExtentMapDescriptor.freeBitmapOffset(m, k), 1);
        }
        GoldenFiles.assertMatches("extent-map", stamp(p));
    }

    private static void setBit(final UnsafeBuffer p, final int bitmapOffset, final int bit) {
        final int offset = bitmapOffset + (bit >>> 6) * Long.BYTES;
        p.putLong(offset, p.getLong(offset) | (1L << (bit & 63)));
    }

    @Test
    void shouldMatchTheGoldenPageInfoPage() {
        final UnsafeBuffer p = page();
        header(p, PageHeaderDescriptor.TYPE_PAGE_INFO, 2, 1);
        p.putInt(PageInfoDescriptor.entryOffset(0), 0xC0DE_0000);
        p.putInt(PageInfoDescriptor.entryOffset(2), 0xC0DE_0002);
        p.putInt(PageInfoDescriptor.entryOffset(PageInfoDescriptor.ENTRIES_PER_PAGE - 1), 0xC0DE_03F7);
        GoldenFiles.assertMatches("page-info", stamp(p));
    }

    @Test
    void shouldMatchTheGoldenSlottedSegmentWithALiveAFreeAndAForwardSlot() {
        final UnsafeBuffer p = page();
        header(p, PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT, 9, 0);
        p.putInt(SlottedSegmentDescriptor.FILE_ID_OFFSET, 7);
        p.putShort(SlottedSegmentDescriptor.SLOT_CAPACITY_OFFSET, (short) SlottedSegmentDescriptor.SLOT_CAPACITY);
        p.putShort(SlottedSegmentDescriptor.LIVE_COUNT_OFFSET, (short) 2);
        p.putInt(SlottedSegmentDescriptor.NEXT_SEGMENT_OFFSET, 0x21);
        p.putInt(SlottedSegmentDescriptor.PREV_SEGMENT_OFFSET, 0x12);
        p.putShort(SlottedSegmentDescriptor.DATA_AREA_OFFSET, (short) 3);
        p.putShort(SlottedSegmentDescriptor.DATA_ORDER_OFFSET, (short) 2);
        p.putInt(SlottedSegmentDescriptor.DATA_PAGE_OFFSET, 0x400);
        p.putInt(SlottedSegmentDescriptor.DATA_TOP_OFFSET, 0x58);
        p.putInt(SlottedSegmentDescriptor.LIVE_BYTES_OFFSET, 0x40);
        p.putShort(SlottedSegmentDescriptor.FREE_SLOT_HEAD_OFFSET, (short) 2);
        p.putShort(SlottedSegmentDescriptor.SLOTS_USED_OFFSET, (short) 3);
        slot(p, 0, 0x1001, SlotDescriptor.FLAG_LIVE, 5, 0x30, 0);
        slot(p, 1, 0x1002, 0, 0, 0, 0);
        slot(p, 2, 0x1003, SlotDescriptor.FLAG_LIVE | SlotDescriptor.FLAG_FORWARD, 0, 16, 0x48);
        p.putShort(SlottedSegmentDescriptor.slotOffset(1) + SlotDescriptor.NEXT_FREE_OFFSET, (short) 0);
        GoldenFiles.assertMatches("slotted-segment", stamp(p));
    }

    private static void slot(
            final UnsafeBuffer p,
            final int index,
            final int generation,
            final int flags,
            final int typeId,
            final int size,
            final int dataOffset) {
        final int off = SlottedSegmentDescriptor.slotOffset(index);
        p.putShort(off + SlotDescriptor.GENERATION_OFFSET, (short) generation);
        p.putShort(off + SlotDescriptor.FLAGS_OFFSET, (short) flags);
        p.putInt(off + SlotDescriptor.TYPE_ID_OFFSET, typeId);
        p.putInt(off + SlotDescriptor.SIZE_OFFSET, size);
        if (flags != 0) {
            p.putShort(off + SlotDescriptor.DATA_AREA_OFFSET, (short) 3);
            p.putInt(off + SlotDescriptor.DATA_PAGE_OFFSET, 0x400);
            p.putInt(off + SlotDescriptor.DATA_OFFSET_OFFSET, dataOffset);
        }
    }

    @Test
    void shouldMatchTheGoldenCatalogPage() {
        final UnsafeBuffer p = page();
        header(p, PageHeaderDescriptor.TYPE_CATALOG, 0x55, 0);
        final byte[] payload = "catalog payload bytes".getBytes(StandardCharsets.US_ASCII);
        p.putInt(CatalogPageDescriptor.NEXT_PAGE_OFFSET, 0x56);
        p.putInt(CatalogPageDescriptor.PAYLOAD_LENGTH_OFFSET, Long.BYTES + Integer.BYTES + payload.length);
        p.putLong(CatalogPageDescriptor.PAYLOAD_OFFSET, CatalogPageDescriptor.CATALOG_MAGIC);
        p.putInt(CatalogPageDescriptor.PAYLOAD_OFFSET + Long.BYTES, CatalogPageDescriptor.CATALOG_VERSION);
        p.putBytes(CatalogPageDescriptor.PAYLOAD_OFFSET + Long.BYTES + Integer.BYTES, payload);
        GoldenFiles.assertMatches("catalog-page", stamp(p));
    }

    @Test
    void shouldMatchTheGoldenReferenceWords() {
        final UnsafeBuffer words = new UnsafeBuffer(new byte[4 * Long.BYTES]);
        words.putLong(0, RefDescriptor.NULL_REF);
        words.putLong(8, RefDescriptor.pack(1, 0, 0));
        words.putLong(16, RefDescriptor.pack(0x89AB_CDEFL, 166, 0xFFFF));
        words.putLong(24, RefDescriptor.pack(0x0102_0304L, 0x0506, 0x0708));
        GoldenFiles.assertMatches("ref", words.byteArray());
    }

    @Test
    void shouldMatchTheGoldenCacheControlFileOfTwoFrames() {
        final int frames = 2;
        final UnsafeBuffer c = new UnsafeBuffer(new byte[(int) CacheControlDescriptor.fileLength(frames)]);
        c.putLong(CacheControlDescriptor.MAGIC_OFFSET, CacheControlDescriptor.MAGIC);
        c.putInt(CacheControlDescriptor.FORMAT_VERSION_OFFSET, CacheControlDescriptor.FORMAT_VERSION);
        c.putInt(CacheControlDescriptor.FRAME_COUNT_OFFSET, frames);
        c.putInt(CacheControlDescriptor.TABLE_CAPACITY_OFFSET, CacheControlDescriptor.tableCapacity(frames));
        final long key = CacheControlDescriptor.pageKey(1, 0x77);
        final int d = CacheControlDescriptor.frameOffset(1);
        c.putLong(d + CacheControlDescriptor.FRAME_PAGE_KEY_OFFSET, key);
        c.putInt(d + CacheControlDescriptor.FRAME_ACCESS_COUNT_OFFSET, 3);
        c.putInt(d + CacheControlDescriptor.FRAME_PIN_COUNT_OFFSET, 1);
        c.putInt(
                d + CacheControlDescriptor.FRAME_FLAGS_OFFSET,
                CacheControlDescriptor.FLAG_DIRTY | CacheControlDescriptor.FLAG_REFERENCED);
        c.putLong(d + CacheControlDescriptor.FRAME_PAGE_LSN_OFFSET, 0x1234_5678L);
        c.putLong(d + CacheControlDescriptor.FRAME_REC_LSN_OFFSET, 0x1111_2222L);
        final int e = CacheControlDescriptor.tableOffset(frames) + 5 * CacheControlDescriptor.ENTRY_LENGTH;
        c.putLong(e + CacheControlDescriptor.ENTRY_KEY_OFFSET, key);
        c.putInt(e + CacheControlDescriptor.ENTRY_FRAME_OFFSET, 1);
        GoldenFiles.assertMatches("cache-control", c.byteArray());
    }

    @Test
    void shouldFailWithADiffAndRewriteNothingWhenBytesDifferFromTheGoldenFile() {
        final UnsafeBuffer p = page();
        header(p, PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT, 0x0A0B_0C0D, 0x0E0F);
        final byte[] bytes = stamp(p).clone();
        bytes[PageHeaderDescriptor.PAGE_NO_OFFSET] = 0x42;

        assertThatThrownBy(() -> GoldenFiles.assertMatches("page-header", bytes))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("bytes differ from golden file /format/page-header.hex")
                .hasMessageContaining("- 00000000")
                .hasMessageContaining("+ 00000000  ")
                .hasMessageContaining(" 42 ");
        GoldenFiles.assertMatches("page-header", stamp(p));
    }

    @Test
    void shouldFailWhenAGoldenFileIsMissing() {
        assertThatThrownBy(() -> GoldenFiles.assertMatches("no-such-layout", new byte[16]))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("no golden file /format/no-such-layout.hex");
        assertThat(GoldenLayoutTest.class.getResource("/format/no-such-layout.hex"))
                .as("nothing is written into the test resources")
                .isNull();
    }

    @Test
    void shouldDumpBytesWithOffsetsAsciiRepeatsAndLength() {
        final byte[] bytes = new byte[64];
        bytes[0] = 'B';
        bytes[1] = 'E';

        assertThat(GoldenFiles.dump(bytes))
                .isEqualTo("00000000  42 45 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |BE..............|\n"
                        + "00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
                        + "*\n"
                        + "00000040\n");
    }
}
