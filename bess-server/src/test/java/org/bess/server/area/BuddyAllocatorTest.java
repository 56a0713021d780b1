package org.bess.server.area;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.agrona.concurrent.UnsafeBuffer;
import org.bess.format.ExtentMapDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BuddyAllocatorTest {
    private static final int EXTENT_PAGES = 256;

    private final UnsafeBuffer map = new UnsafeBuffer(new byte[PageHeaderDescriptor.PAGE_LENGTH]);
    private byte[] before;

    @BeforeEach
    void format() {
        BuddyAllocator.format(map, 0, EXTENT_PAGES);
    }

    private void snapshot() {
        before = map.byteArray().clone();
    }

    private void assertUnchanged() {
        assertThat(map.byteArray()).as("a refused call changes nothing").isEqualTo(before);
        assertThat(BuddyAllocator.check(map)).isEmpty();
    }

    @Test
    void shouldReserveTheMetadataBlockWhenFormatting() {
        final int meta = ExtentMapDescriptor.metaPages(EXTENT_PAGES);
        assertThat(BuddyAllocator.allocatedBlocks(map)).singleElement().satisfies(b -> assertThat(b)
                .containsExactly(0, Integer.numberOfTrailingZeros(meta)));
        assertThat(BuddyAllocator.freePages(map)).isEqualTo(EXTENT_PAGES - meta);
        assertThat(BuddyAllocator.check(map)).isEmpty();
    }

    @Test
    void shouldRefuseADoubleFree() {
        final int page = BuddyAllocator.allocate(map, 2);
        BuddyAllocator.free(map, page, 2);
        snapshot();

        assertThatThrownBy(() -> BuddyAllocator.free(map, page, 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("double free")
                .hasMessageContaining("page=" + page)
                .hasMessageContaining("order=2");
        assertUnchanged();
    }

    @Test
    void shouldRefuseFreeingWithTheWrongOrder() {
        final int page = BuddyAllocator.allocate(map, 3);
        snapshot();

        assertThatThrownBy(() -> BuddyAllocator.free(map, page, 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("page=" + page)
                .hasMessageContaining("order=2");
        assertThatThrownBy(() -> BuddyAllocator.free(map, page, 4))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("order=4");
        assertUnchanged();
    }

    @Test
    void shouldRefuseFreeingAPageInsideABlock() {
        final int page = BuddyAllocator.allocate(map, 3);
        snapshot();

        assertThatThrownBy(() -> BuddyAllocator.free(map, page + 1, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("page=" + (page + 1));
        assertUnchanged();
    }

    @Test
    void shouldRefuseFreeingTheMetadataBlockWithAnotherOrderOrAPageOutsideTheExtent() {
        snapshot();

        assertThatThrownBy(() -> BuddyAllocator.free(map, 0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> BuddyAllocator.free(map, EXTENT_PAGES, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> BuddyAllocator.free(map, -4, 2)).isInstanceOf(IllegalStateException.class);
        assertUnchanged();
    }

    @Test
    void shouldRefuseShrinkingToALargerOrNegativeOrder() {
        final int page = BuddyAllocator.allocate(map, 2);
        snapshot();

        assertThatThrownBy(() -> BuddyAllocator.shrink(map, page, 2, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("newOrder=3");
        assertThatThrownBy(() -> BuddyAllocator.shrink(map, page, 2, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("newOrder=-1");
        assertUnchanged();
    }

    @Test
    void shouldRefuseShrinkingOrGrowingABlockThatIsNotAllocated() {
        final int page = BuddyAllocator.allocate(map, 2);
        BuddyAllocator.free(map, page, 2);
        snapshot();

        assertThatThrownBy(() -> BuddyAllocator.shrink(map, page, 2, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> BuddyAllocator.tryGrow(map, page, 2)).isInstanceOf(IllegalStateException.class);
        assertUnchanged();
    }

    @Test
    void shouldRefuseAnOrderOutOfRangeWhenAllocating() {
        snapshot();

        assertThatThrownBy(() -> BuddyAllocator.allocate(map, 9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("order=9");
        assertThatThrownBy(() -> BuddyAllocator.allocate(map, -1)).isInstanceOf(IllegalArgumentException.class);
        assertUnchanged();
    }

    @Test
    void shouldReturnMinusOneWhenTheExtentIsFull() {
        int count = 0;
        while (BuddyAllocator.allocate(map, 0) >= 0) {
            count++;
        }

        assertThat(count).isEqualTo(EXTENT_PAGES - ExtentMapDescriptor.metaPages(EXTENT_PAGES));
        assertThat(BuddyAllocator.freePages(map)).isZero();
        assertThat(BuddyAllocator.largestFreeOrder(map)).isEqualTo(-1);
        assertThat(BuddyAllocator.check(map)).isEmpty();
    }

    @Test
    void shouldNotGrowAnUpperHalfOrIntoAnAllocatedBuddy() {
        BuddyAllocator.allocate(map, 3); // page 8, the upper half of [0, 16): the lower half holds the metadata
        final int lower = BuddyAllocator.allocate(map, 3);
        final int upper = BuddyAllocator.allocate(map, 3);
        assertThat(lower % 16).isZero();
        assertThat(upper).as("the buddy of %d", lower).isEqualTo(lower + 8);

        assertThat(BuddyAllocator.tryGrow(map, upper, 3))
                .as("an upper half never grows in place")
                .isFalse();
        assertThat(BuddyAllocator.tryGrow(map, lower, 3))
                .as("its buddy is allocated")
                .isFalse();
        BuddyAllocator.free(map, upper, 3);
        assertThat(BuddyAllocator.tryGrow(map, lower, 3)).isTrue();
        assertThat(BuddyAllocator.isAllocated(map, lower, 4)).isTrue();
        assertThat(BuddyAllocator.check(map)).isEmpty();
    }

    @Test
    void shouldReportACorruptedBitmapWhenChecking() {
        final int page = BuddyAllocator.allocate(map, 0);
        final int maxOrder = BuddyAllocator.maxOrder(map);
        final int offset = ExtentMapDescriptor.freeBitmapOffset(maxOrder, 0);
        map.putLong(offset, map.getLong(offset) | (1L << page));

        assertThat(BuddyAllocator.check(map)).anySatisfy(p -> assertThat(p).contains("both free and allocated"));
    }
}
