package org.bess.server.area;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.format.ExtentMapDescriptor;
import org.bess.format.PageHeaderDescriptor;

/**
 * Random allocate / free / shrink / tryGrow sequences on a formatted extent map against a model: a list of the blocks
 * handed out plus a page-ownership array. After every step the map checks clean, its free-page count and allocated
 * blocks agree with the model, and blocks never overlap; freeing everything gives back a freshly formatted map.
 */
class BuddyAllocatorProperties {
    /** One step: what to do and two random operands, interpreted against the model. */
    record Step(int op, int a, int b) {}

    /** The model: blocks handed out (the metadata block excluded) and which pages they cover. */
    private static final class Model {
        final int extentPages;
        final int maxOrder;
        final int metaPages;
        final List<int[]> blocks = new ArrayList<>();
        final boolean[] used;

        Model(final int extentPages) {
            this.extentPages = extentPages;
            this.maxOrder = Integer.numberOfTrailingZeros(extentPages);
            this.metaPages = ExtentMapDescriptor.metaPages(extentPages);
            this.used = new boolean[extentPages];
            mark(0, metaPages, true);
        }

        void mark(final int page, final int pages, final boolean on) {
            for (int p = page; p < page + pages; p++) {
                assertThat(used[p])
                        .as("model page %d already %s", p, on ? "used" : "free")
                        .isNotEqualTo(on);
                used[p] = on;
            }
        }

        boolean rangeFree(final int page, final int pages) {
            for (int p = page; p < page + pages; p++) {
                if (used[p]) {
                    return false;
                }
            }
            return true;
        }

        /** In a buddy system with merged free blocks, an aligned all-free range is always one free block or inside one. */
        boolean hasFreeBlock(final int order) {
            final int pages = 1 << order;
            for (int page = 0; page < extentPages; page += pages) {
                if (rangeFree(page, pages)) {
                    return true;
                }
            }
            return false;
        }

        int freePages() {
            int free = 0;
            for (final boolean u : used) {
                free += u ? 0 : 1;
            }
            return free;
        }
    }

    @Provide
    Arbitrary<Step> steps() {
        return Combinators.combine(
                        Arbitraries.integers().between(0, 9),
                        Arbitraries.integers().between(0, 1 << 20),
                        Arbitraries.integers().between(0, 12))
                .as(Step::new);
    }

    @Property(tries = 300)
    void shouldMatchTheModelAfterEveryStepWhenRandomlyAllocatingFreeingShrinkingAndGrowing(
            @ForAll @IntRange(min = 8, max = 12) final int maxOrder,
            @ForAll @Size(max = 300) final List<@From("steps") Step> steps) {
        final int extentPages = 1 << maxOrder;
        final UnsafeBuffer map = new UnsafeBuffer(new byte[PageHeaderDescriptor.PAGE_LENGTH]);
        BuddyAllocator.format(map, 7, extentPages);
        final Model model = new Model(extentPages);
        checkAgainstModel(map, model);

        for (final Step step : steps) {
            apply(map, model, step);
            checkAgainstModel(map, model);
        }

        for (final int[] block : new ArrayList<>(model.blocks)) {
            BuddyAllocator.free(map, block[0], block[1]);
            model.blocks.remove(block);
            model.mark(block[0], 1 << block[1], false);
            checkAgainstModel(map, model);
        }
        final UnsafeBuffer fresh = new UnsafeBuffer(new byte[PageHeaderDescriptor.PAGE_LENGTH]);
        BuddyAllocator.format(fresh, 7, extentPages);
        assertThat(map.byteArray())
                .as("a map with everything freed is a freshly formatted map")
                .isEqualTo(fresh.byteArray());
        assertThat(BuddyAllocator.largestFreeOrder(map))
                .as("the largest free block is one max-order half of the extent")
                .isEqualTo(maxOrder - 1);
        assertThat(BuddyAllocator.freePages(map)).isEqualTo(extentPages - model.metaPages);
    }

    private static void apply(final UnsafeBuffer map, final Model model, final Step step) {
        final int op = step.op();
        if (op < 4 || model.blocks.isEmpty()) {
            final int order = step.b() % (model.maxOrder + 1);
            final boolean expectBlock = model.hasFreeBlock(order);
            final int page = BuddyAllocator.allocate(map, order);
            if (!expectBlock) {
                assertThat(page)
                        .as("no free block of order %d in the model", order)
                        .isEqualTo(-1);
                return;
            }
            assertThat(page).as("allocate(order=%d)", order).isNotNegative();
            assertThat(page % (1 << order)).as("block alignment").isZero();
            assertThat(model.rangeFree(page, 1 << order))
                    .as("allocated block page=%d order=%d was free in the model", page, order)
                    .isTrue();
            model.mark(page, 1 << order, true);
            model.blocks.add(new int[] {page, order});
            return;
        }
        final int index = step.a() % model.blocks.size();
        final int[] block = model.blocks.get(index);
        if (op < 7) {
            BuddyAllocator.free(map, block[0], block[1]);
            model.blocks.remove(index);
            model.mark(block[0], 1 << block[1], false);
        } else if (op < 8) {
            if (block[1] == 0) {
                return;
            }
            final int newOrder = step.b() % block[1];
            BuddyAllocator.shrink(map, block[0], block[1], newOrder);
            model.mark(block[0] + (1 << newOrder), (1 << block[1]) - (1 << newOrder), false);
            block[1] = newOrder;
        } else {
            final int order = block[1];
            final boolean canGrow = order < model.maxOrder
                    && (block[0] & (1 << order)) == 0
                    && model.rangeFree(block[0] + (1 << order), 1 << order);
            assertThat(BuddyAllocator.tryGrow(map, block[0], order))
                    .as("tryGrow(page=%d, order=%d)", block[0], order)
                    .isEqualTo(canGrow);
            if (canGrow) {
                model.mark(block[0] + (1 << order), 1 << order, true);
                block[1] = order + 1;
            }
        }
    }

    private static void checkAgainstModel(final UnsafeBuffer map, final Model model) {
        assertThat(BuddyAllocator.check(map)).as("check").isEmpty();
        assertThat(BuddyAllocator.freePages(map)).as("free pages").isEqualTo(model.freePages());
        final List<int[]> expected = new ArrayList<>(model.blocks);
        expected.add(new int[] {0, Integer.numberOfTrailingZeros(model.metaPages)});
        final Comparator<int[]> byPage = Comparator.comparingInt(b -> b[0]);
        expected.sort(byPage);
        final List<int[]> actual = new ArrayList<>(BuddyAllocator.allocatedBlocks(map));
        actual.sort(byPage);
        assertThat(actual)
                .as("allocated blocks")
                .usingElementComparator(BuddyAllocatorProperties::compareBlocks)
                .containsExactlyElementsOf(expected);
        for (int i = 1; i < actual.size(); i++) {
            final int[] prev = actual.get(i - 1);
            assertThat(prev[0] + (1 << prev[1]))
                    .as("block at %d overlaps the one at %d", prev[0], actual.get(i)[0])
                    .isLessThanOrEqualTo(actual.get(i)[0]);
        }
        for (final int[] b : model.blocks) {
            assertThat(BuddyAllocator.isAllocated(map, b[0], b[1])).isTrue();
        }
    }

    private static int compareBlocks(final int[] x, final int[] y) {
        return x[0] != y[0] ? Integer.compare(x[0], y[0]) : Integer.compare(x[1], y[1]);
    }
}
