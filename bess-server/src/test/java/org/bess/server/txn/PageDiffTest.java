package org.bess.server.txn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.ByteBuffer;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Page diffs: the ranges found, redo and undo images, and compensation that writes back only the bytes a diff changed,
 * so that bytes a later nested top action changed inside a merged range survive the undo of an earlier diff.
 */
class PageDiffTest {
    private static ByteBuffer diff(final byte[] before, final byte[] after) {
        final int[] ranges = new int[2 * PAGE_LENGTH / Long.BYTES];
        final UnsafeBuffer page = new UnsafeBuffer(after);
        final int count = PageDiff.ranges(before, page, ranges);
        return PageDiff.encodeDiff(1, 2, 3, before, page, ranges, count);
    }

    @Test
    void shouldMergeNearbyChangesIntoOneRangeAndRedoThem() {
        final byte[] before = new byte[PAGE_LENGTH];
        final byte[] after = before.clone();
        after[16] = 1;
        after[32] = 2;
        final ByteBuffer d = diff(before, after);
        assertThat(d.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(PageDiff.PAGE_ID_LENGTH))
                .as("two changes 16 bytes apart are one range")
                .isEqualTo(1);
        final UnsafeBuffer target = new UnsafeBuffer(new byte[PAGE_LENGTH]);
        PageDiff.applyDiff(d, target, true);
        assertThat(target.byteArray()).isEqualTo(after);
    }

    @Test
    void shouldCompensateOnlyTheBytesTheDiffChanged() {
        final byte[] before = new byte[PAGE_LENGTH];
        final byte[] after = before.clone();
        after[16] = 1;
        after[32] = 2;
        final ByteBuffer d = diff(before, after);
        // later, a nested top action of the same transaction changes a byte inside the merged range (a segment link)
        final byte[] later = after.clone();
        later[28] = 7;
        final UnsafeBuffer page = new UnsafeBuffer(later);
        PageDiff.applyClr(PageDiff.encodeClr(d, 99), page);
        assertThat(page.getByte(16)).isZero();
        assertThat(page.getByte(32)).isZero();
        assertThat(page.getByte(28))
                .as("the later change inside the range stays")
                .isEqualTo((byte) 7);
        assertThat(PageDiff.undoNext(PageDiff.encodeClr(d, 99))).isEqualTo(99);
    }

    @Test
    void shouldUndoRandomDiffsExactly() {
        final Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            final byte[] before = new byte[PAGE_LENGTH];
            random.nextBytes(before);
            final byte[] after = before.clone();
            for (int i = random.nextInt(64); i > 0; i--) {
                after[random.nextInt(PAGE_LENGTH)] = (byte) random.nextInt();
            }
            final ByteBuffer d = diff(before, after);
            final UnsafeBuffer page = new UnsafeBuffer(after.clone());
            PageDiff.applyClr(PageDiff.encodeClr(d, 0), page);
            assertThat(page.byteArray()).isEqualTo(before);
            final UnsafeBuffer redo = new UnsafeBuffer(before.clone());
            PageDiff.applyDiff(d, redo, true);
            assertThat(redo.byteArray()).isEqualTo(after);
        }
    }
}
