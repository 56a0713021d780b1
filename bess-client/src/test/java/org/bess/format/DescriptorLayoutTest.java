package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bess.format.PageHeaderDescriptor.HEADER_LENGTH;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Offsets, alignment and lengths of every {@code *Descriptor}: the numbers the diagrams in their Javadoc (and
 * {@code docs/format/}) promise, so that a reordered or resized field fails here before it reaches a disk.
 */
class DescriptorLayoutTest {
    private static long ascii(final String eight) {
        return ByteBuffer.wrap(eight.getBytes(StandardCharsets.US_ASCII))
                .order(ByteOrder.LITTLE_ENDIAN)
                .getLong();
    }

    private static void assertAligned(final String what, final int offset, final int alignment) {
        assertThat(offset % alignment)
                .as("%s at %d is %d-byte aligned", what, offset, alignment)
                .isZero();
    }

    @Test
    void shouldLayOutThePageHeaderIn32BytesWithNaturallyAlignedFields() {
        assertThat(PAGE_LENGTH).isEqualTo(4096).isEqualTo(1 << PageHeaderDescriptor.PAGE_SHIFT);
        assertThat(PageHeaderDescriptor.CHECKSUM_OFFSET).isZero();
        assertThat(PageHeaderDescriptor.CHECKSUMMED_FROM).isEqualTo(4);
        assertThat(PageHeaderDescriptor.PAGE_TYPE_OFFSET).isEqualTo(4);
        assertThat(PageHeaderDescriptor.FORMAT_VERSION_OFFSET).isEqualTo(6);
        assertThat(PageHeaderDescriptor.PAGE_NO_OFFSET).isEqualTo(8);
        assertThat(PageHeaderDescriptor.AREA_ID_OFFSET).isEqualTo(12);
        assertThat(PageHeaderDescriptor.PAGE_LSN_OFFSET).isEqualTo(16);
        assertThat(HEADER_LENGTH).isEqualTo(32);
        assertAligned("page LSN", PageHeaderDescriptor.PAGE_LSN_OFFSET, Long.BYTES);
        assertAligned("page number", PageHeaderDescriptor.PAGE_NO_OFFSET, Integer.BYTES);
        assertAligned("end of header", HEADER_LENGTH, Long.BYTES);
        final Set<Short> types = new HashSet<>(List.of(
                PageHeaderDescriptor.TYPE_AREA_HEADER,
                PageHeaderDescriptor.TYPE_EXTENT_MAP,
                PageHeaderDescriptor.TYPE_PAGE_INFO,
                PageHeaderDescriptor.TYPE_SLOTTED_SEGMENT,
                PageHeaderDescriptor.TYPE_CATALOG));
        assertThat(types)
                .as("page types are distinct and never zero")
                .hasSize(5)
                .doesNotContain((short) 0);
    }

    @Test
    void shouldLayOutTheAreaHeaderAfterThePageHeaderWithinOnePage() {
        assertThat(AreaHeaderDescriptor.MAGIC).isEqualTo(ascii("BESSAREA"));
        assertThat(AreaHeaderDescriptor.MAGIC_OFFSET).isEqualTo(HEADER_LENGTH).isEqualTo(32);
        assertThat(AreaHeaderDescriptor.AREA_FORMAT_VERSION_OFFSET).isEqualTo(40);
        assertThat(AreaHeaderDescriptor.PAGE_LENGTH_OFFSET).isEqualTo(44);
        assertThat(AreaHeaderDescriptor.DATABASE_ID_OFFSET).isEqualTo(48);
        assertThat(AreaHeaderDescriptor.AREA_ID_OFFSET).isEqualTo(56);
        assertThat(AreaHeaderDescriptor.FLAGS_OFFSET).isEqualTo(60);
        assertThat(AreaHeaderDescriptor.EXTENT_PAGES_OFFSET).isEqualTo(64);
        assertThat(AreaHeaderDescriptor.EXTENT_COUNT_OFFSET).isEqualTo(68);
        assertThat(AreaHeaderDescriptor.MAX_EXTENT_COUNT_OFFSET).isEqualTo(72);
        assertThat(AreaHeaderDescriptor.OPEN_BY_NODE_OFFSET).isEqualTo(76);
        assertThat(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET).isEqualTo(80);
        assertThat(AreaHeaderDescriptor.CATALOG_PAGE_COUNT_OFFSET).isEqualTo(84);
        assertThat(AreaHeaderDescriptor.CATALOG_LENGTH_OFFSET).isEqualTo(88);
        assertThat(AreaHeaderDescriptor.CREATED_MS_OFFSET).isEqualTo(96);
        assertThat(AreaHeaderDescriptor.PENDING_CATALOG_FIRST_PAGE_OFFSET).isEqualTo(104);
        assertThat(AreaHeaderDescriptor.PENDING_CATALOG_PAGE_COUNT_OFFSET).isEqualTo(108);
        assertThat(AreaHeaderDescriptor.END_OFFSET).isEqualTo(112).isLessThanOrEqualTo(PAGE_LENGTH);
        for (final int longField : new int[] {
            AreaHeaderDescriptor.MAGIC_OFFSET,
            AreaHeaderDescriptor.DATABASE_ID_OFFSET,
            AreaHeaderDescriptor.CATALOG_LENGTH_OFFSET,
            AreaHeaderDescriptor.CREATED_MS_OFFSET
        }) {
            assertAligned("8-byte area header field", longField, Long.BYTES);
        }
        assertThat(AreaHeaderDescriptor.FLAG_ROOT & AreaHeaderDescriptor.FLAG_DEVICE)
                .isZero();
        assertThat(AreaHeaderDescriptor.extentFirstPage(0, 256)).isEqualTo(1);
        assertThat(AreaHeaderDescriptor.extentFirstPage(3, 4096)).isEqualTo(1 + 3 * 4096);
        assertThat(AreaHeaderDescriptor.extentFirstPage(Integer.MAX_VALUE, 4096))
                .as("no int overflow")
                .isEqualTo(1 + (long) Integer.MAX_VALUE * 4096);
    }

    @Test
    void shouldFitTheExtentMapBitmapsInOnePageForEveryExtentFrom256To4096Pages() {
        assertThat(ExtentMapDescriptor.EXTENT_NO_OFFSET).isEqualTo(32);
        assertThat(ExtentMapDescriptor.MAX_ORDER_OFFSET).isEqualTo(36);
        assertThat(ExtentMapDescriptor.META_PAGES_OFFSET).isEqualTo(40);
        assertThat(ExtentMapDescriptor.FREE_PAGES_OFFSET).isEqualTo(44);
        assertThat(ExtentMapDescriptor.BITMAPS_OFFSET).isEqualTo(48);
        for (int pages = ExtentMapDescriptor.MIN_EXTENT_PAGES;
                pages <= ExtentMapDescriptor.MAX_EXTENT_PAGES;
                pages *= 2) {
            final int m = Integer.numberOfTrailingZeros(pages);
            assertThat(ExtentMapDescriptor.fits(pages))
                    .as("maps of %d pages fit", pages)
                    .isTrue();
            int expectedOffset = ExtentMapDescriptor.BITMAPS_OFFSET;
            for (int k = 0; k <= m; k++) {
                final int bits = 1 << (m - k);
                assertThat(ExtentMapDescriptor.bitmapLongs(m, k) * 64L)
                        .as("order %d of %d pages has room for its %d blocks", k, pages, bits)
                        .isGreaterThanOrEqualTo(bits);
                assertThat(ExtentMapDescriptor.freeBitmapOffset(m, k)).isEqualTo(expectedOffset);
                assertAligned("free bitmap", ExtentMapDescriptor.freeBitmapOffset(m, k), Long.BYTES);
                assertAligned("allocated bitmap", ExtentMapDescriptor.allocBitmapOffset(m, k), Long.BYTES);
                expectedOffset += ExtentMapDescriptor.bitmapLongs(m, k) * Long.BYTES;
            }
            final int mapsLength = expectedOffset - ExtentMapDescriptor.BITMAPS_OFFSET;
            assertThat(ExtentMapDescriptor.allocBitmapOffset(m, 0))
                    .as("allocated maps follow the free maps")
                    .isEqualTo(expectedOffset);
            assertThat(ExtentMapDescriptor.allocBitmapOffset(m, m + 1))
                    .as("end of the maps of %d pages", pages)
                    .isEqualTo(ExtentMapDescriptor.BITMAPS_OFFSET + 2 * mapsLength)
                    .isLessThanOrEqualTo(PAGE_LENGTH);
            final int meta = ExtentMapDescriptor.metaPages(pages);
            assertThat(Integer.bitCount(meta))
                    .as("metadata block is a buddy block")
                    .isEqualTo(1);
            assertThat(meta)
                    .as("metadata block holds the map page and the page-info pages")
                    .isGreaterThanOrEqualTo(1 + ExtentMapDescriptor.pageInfoPages(pages))
                    .isLessThan(2 * (1 + ExtentMapDescriptor.pageInfoPages(pages)));
            assertThat(ExtentMapDescriptor.pageInfoPages(pages) * (long) PageInfoDescriptor.ENTRIES_PER_PAGE)
                    .as("page-info entries for every page of the extent")
                    .isGreaterThanOrEqualTo(pages);
        }
        assertThat(ExtentMapDescriptor.metaPages(256)).isEqualTo(2);
        assertThat(ExtentMapDescriptor.metaPages(1024)).isEqualTo(4);
        assertThat(ExtentMapDescriptor.metaPages(4096)).isEqualTo(8);
        assertThat(ExtentMapDescriptor.fits(8192))
                .as("the next size up does not fit")
                .isFalse();
    }

    @Test
    void shouldPack1016PageInfoEntriesAfterTheHeader() {
        assertThat(PageInfoDescriptor.ENTRIES_OFFSET).isEqualTo(32);
        assertThat(PageInfoDescriptor.ENTRY_LENGTH).isEqualTo(4);
        assertThat(PageInfoDescriptor.ENTRIES_PER_PAGE).isEqualTo(1016);
        final int last = PageInfoDescriptor.ENTRIES_PER_PAGE - 1;
        assertThat(PageInfoDescriptor.infoPage(0)).isEqualTo(1);
        assertThat(PageInfoDescriptor.infoPage(last)).isEqualTo(1);
        assertThat(PageInfoDescriptor.infoPage(last + 1)).isEqualTo(2);
        assertThat(PageInfoDescriptor.entryOffset(last) + PageInfoDescriptor.ENTRY_LENGTH)
                .isEqualTo(PAGE_LENGTH);
        assertThat(PageInfoDescriptor.entryOffset(last + 1)).isEqualTo(PageInfoDescriptor.ENTRIES_OFFSET);
    }

    @Test
    void shouldLayOutA24ByteSlotWithNaturallyAlignedFields() {
        assertThat(SlotDescriptor.GENERATION_OFFSET).isZero();
        assertThat(SlotDescriptor.FLAGS_OFFSET).isEqualTo(2);
        assertThat(SlotDescriptor.TYPE_ID_OFFSET).isEqualTo(4);
        assertThat(SlotDescriptor.SIZE_OFFSET).isEqualTo(8);
        assertThat(SlotDescriptor.DATA_AREA_OFFSET).isEqualTo(12);
        assertThat(SlotDescriptor.NEXT_FREE_OFFSET).isEqualTo(14);
        assertThat(SlotDescriptor.DATA_PAGE_OFFSET).isEqualTo(16);
        assertThat(SlotDescriptor.DATA_OFFSET_OFFSET).isEqualTo(20);
        assertThat(SlotDescriptor.SLOT_LENGTH).isEqualTo(24);
        assertAligned("slot length", SlotDescriptor.SLOT_LENGTH, Long.BYTES);
        assertThat(SlotDescriptor.FLAG_LIVE & SlotDescriptor.FLAG_FORWARD).isZero();
    }

    @Test
    void shouldFitEverySlotOfASlottedSegmentInItsPage() {
        assertThat(SlottedSegmentDescriptor.FILE_ID_OFFSET).isEqualTo(32);
        assertThat(SlottedSegmentDescriptor.SLOT_CAPACITY_OFFSET).isEqualTo(36);
        assertThat(SlottedSegmentDescriptor.LIVE_COUNT_OFFSET).isEqualTo(38);
        assertThat(SlottedSegmentDescriptor.NEXT_SEGMENT_OFFSET).isEqualTo(40);
        assertThat(SlottedSegmentDescriptor.PREV_SEGMENT_OFFSET).isEqualTo(44);
        assertThat(SlottedSegmentDescriptor.DATA_AREA_OFFSET).isEqualTo(48);
        assertThat(SlottedSegmentDescriptor.DATA_ORDER_OFFSET).isEqualTo(50);
        assertThat(SlottedSegmentDescriptor.DATA_PAGE_OFFSET).isEqualTo(52);
        assertThat(SlottedSegmentDescriptor.DATA_TOP_OFFSET).isEqualTo(56);
        assertThat(SlottedSegmentDescriptor.LIVE_BYTES_OFFSET).isEqualTo(60);
        assertThat(SlottedSegmentDescriptor.FREE_SLOT_HEAD_OFFSET).isEqualTo(64);
        assertThat(SlottedSegmentDescriptor.SLOTS_USED_OFFSET).isEqualTo(66);
        assertThat(SlottedSegmentDescriptor.SLOTS_OFFSET)
                .as("after 4 reserved bytes")
                .isEqualTo(72);
        assertAligned("slot array", SlottedSegmentDescriptor.SLOTS_OFFSET, Long.BYTES);
        final int capacity = SlottedSegmentDescriptor.SLOT_CAPACITY;
        assertThat(capacity).isEqualTo(167);
        assertThat(SlottedSegmentDescriptor.slotOffset(capacity - 1) + SlotDescriptor.SLOT_LENGTH)
                .as("last slot ends inside the page")
                .isLessThanOrEqualTo(PAGE_LENGTH);
        assertThat(SlottedSegmentDescriptor.slotOffset(capacity) + SlotDescriptor.SLOT_LENGTH)
                .as("one more slot would not fit")
                .isGreaterThan(PAGE_LENGTH);
        assertThat(capacity + 1)
                .as("slot indexes plus one fit the 2-byte free-list links")
                .isLessThanOrEqualTo(0xFFFF);
        assertThat(capacity).as("slot indexes fit the 16 bits of a reference").isLessThanOrEqualTo(1 << 16);
        assertThat(SlottedSegmentDescriptor.MAX_DATA_LENGTH).isEqualTo(64 * 1024);
        assertThat(SlottedSegmentDescriptor.MAX_DATA_LENGTH)
                .isEqualTo(PAGE_LENGTH << SlottedSegmentDescriptor.MAX_DATA_ORDER);
        assertThat(SlottedSegmentDescriptor.NO_DATA).isGreaterThan(SlottedSegmentDescriptor.MAX_DATA_ORDER);
    }

    @Test
    void shouldStartTheCatalogPayloadAfterTheChainLinkAndLength() {
        assertThat(CatalogPageDescriptor.NEXT_PAGE_OFFSET).isEqualTo(32);
        assertThat(CatalogPageDescriptor.PAYLOAD_LENGTH_OFFSET).isEqualTo(36);
        assertThat(CatalogPageDescriptor.PAYLOAD_OFFSET).isEqualTo(40);
        assertThat(CatalogPageDescriptor.PAYLOAD_CAPACITY).isEqualTo(PAGE_LENGTH - 40);
        assertThat(CatalogPageDescriptor.CATALOG_MAGIC).isEqualTo(ascii("BESSCAT1"));
    }

    @Test
    void shouldPackAReferenceAsPageSlotAndGenerationBits() {
        final long ref = RefDescriptor.pack(0xFEDC_BA98L, 0x1234, 0xABCD);
        assertThat(ref).isEqualTo(0xFEDC_BA98_1234_ABCDL);
        assertThat(RefDescriptor.segmentPage(ref)).isEqualTo(0xFEDC_BA98L);
        assertThat(RefDescriptor.slotIndex(ref)).isEqualTo(0x1234);
        assertThat(RefDescriptor.generation(ref)).isEqualTo(0xABCD);
        assertThat(RefDescriptor.pack(1, 0xFFFF, 0xFFFF)).isEqualTo(0x1_FFFF_FFFFL);
        assertThat(RefDescriptor.generation(RefDescriptor.pack(1, 0, 0x1_0001)))
                .as("generation wraps in its 16 bits")
                .isEqualTo(1);
        assertThat(RefDescriptor.NULL_REF).isZero();
        assertThat(RefDescriptor.toString(RefDescriptor.pack(12, 3, 1))).isEqualTo("@12:3#1");
        assertThat(RefDescriptor.toString(RefDescriptor.NULL_REF)).isEqualTo("null");
    }

    @Test
    void shouldSizeTheCacheControlHeaderFrameDescriptorsAndTable() {
        assertThat(CacheControlDescriptor.MAGIC).isEqualTo(ascii("BESSCTL1"));
        assertThat(CacheControlDescriptor.MAGIC_OFFSET).isZero();
        assertThat(CacheControlDescriptor.FORMAT_VERSION_OFFSET).isEqualTo(8);
        assertThat(CacheControlDescriptor.FRAME_COUNT_OFFSET).isEqualTo(12);
        assertThat(CacheControlDescriptor.TABLE_CAPACITY_OFFSET).isEqualTo(16);
        assertThat(CacheControlDescriptor.HEADER_LENGTH).isEqualTo(64);
        assertThat(CacheControlDescriptor.FRAME_PAGE_KEY_OFFSET).isZero();
        assertThat(CacheControlDescriptor.FRAME_ACCESS_COUNT_OFFSET).isEqualTo(8);
        assertThat(CacheControlDescriptor.FRAME_PIN_COUNT_OFFSET).isEqualTo(12);
        assertThat(CacheControlDescriptor.FRAME_FLAGS_OFFSET).isEqualTo(16);
        assertThat(CacheControlDescriptor.FRAME_PAGE_LSN_OFFSET).isEqualTo(24);
        assertThat(CacheControlDescriptor.FRAME_REC_LSN_OFFSET).isEqualTo(32);
        assertThat(CacheControlDescriptor.FRAME_DESCRIPTOR_LENGTH).isEqualTo(40);
        assertThat(CacheControlDescriptor.ENTRY_KEY_OFFSET).isZero();
        assertThat(CacheControlDescriptor.ENTRY_FRAME_OFFSET).isEqualTo(8);
        assertThat(CacheControlDescriptor.ENTRY_LENGTH).isEqualTo(16);
        for (final int frames : new int[] {1, 2, 64, 1000, 1 << 20, 1 << 24}) {
            assertAligned("frame descriptor", CacheControlDescriptor.frameOffset(frames - 1), Long.BYTES);
            assertAligned("page LSN", CacheControlDescriptor.frameOffset(frames - 1) + 24, Long.BYTES);
            assertAligned("recovery LSN", CacheControlDescriptor.frameOffset(frames - 1) + 32, Long.BYTES);
            final int capacity = CacheControlDescriptor.tableCapacity(frames);
            assertThat(Integer.bitCount(capacity))
                    .as("table capacity for %d frames", frames)
                    .isEqualTo(1);
            assertThat(capacity).as("load factor at most 1/2").isGreaterThanOrEqualTo(2 * frames);
            assertAligned("page table", CacheControlDescriptor.tableOffset(frames), Long.BYTES);
            assertThat(CacheControlDescriptor.fileLength(frames)).isEqualTo(64L + 40L * frames + 16L * capacity);
        }
        assertThat(CacheControlDescriptor.pageKey(0, 0))
                .as("a page key is never the empty key")
                .isNotZero();
        assertThat(CacheControlDescriptor.pageKey(2, 0xFF_FFFF_FFFFL)).isEqualTo((3L << 40) | 0xFF_FFFF_FFFFL);
    }
}
