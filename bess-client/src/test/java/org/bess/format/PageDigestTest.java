package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The page digest: the same for a page in memory and in an array, changed by any one changed word (every position,
 * every lane), by words swapped between lanes and by words moved within a lane, and refusing an array shorter than a
 * page.
 */
class PageDigestTest {
    private static final int PAGE = PageHeaderDescriptor.PAGE_LENGTH;

    private static byte[] randomPage(final long seed) {
        final byte[] page = new byte[PAGE];
        new Random(seed).nextBytes(page);
        return page;
    }

    private static long atAddress(final byte[] page) {
        final UnsafeBuffer direct = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(PAGE));
        direct.putBytes(0, page);
        return PageDigest.of(direct.addressOffset());
    }

    @Test
    void shouldGiveTheSameDigestForAPageInMemoryAndInAnArray() {
        for (long seed = 0; seed < 20; seed++) {
            final byte[] page = randomPage(seed);
            assertThat(atAddress(page)).isEqualTo(PageDigest.of(page));
        }
        assertThat(atAddress(new byte[PAGE])).isEqualTo(PageDigest.of(new byte[PAGE]));
    }

    @Test
    void shouldChangeWithAnyOneChangedWord() {
        final byte[] page = randomPage(7);
        final long original = PageDigest.of(page);
        final Random random = new Random(11);
        final Set<Long> seen = new HashSet<>();
        seen.add(original);
        for (int word = 0; word < PAGE / Long.BYTES; word++) {
            final byte[] changed = page.clone();
            // one bit, then a whole random word, at this position
            changed[word * Long.BYTES + random.nextInt(Long.BYTES)] ^= (byte) (1 << random.nextInt(8));
            assertThat(PageDigest.of(changed)).as("bit flip in word %d", word).isNotEqualTo(original);
            final byte[] replaced = page.clone();
            for (int b = 0; b < Long.BYTES; b++) {
                replaced[word * Long.BYTES + b] = (byte) random.nextInt();
            }
            assertThat(seen.add(PageDigest.of(replaced)))
                    .as("word %d replaced", word)
                    .isTrue();
        }
        final byte[] zero = new byte[PAGE];
        final byte[] one = new byte[PAGE];
        one[PAGE - 1] = 1;
        assertThat(PageDigest.of(zero)).isNotEqualTo(PageDigest.of(one));
    }

    @Test
    void shouldTellWordsSwappedBetweenLanesOrMovedWithinALaneApart() {
        final byte[] page = randomPage(3);
        final long original = PageDigest.of(page);
        // words 0 and 1 are in different lanes, words 0 and 4 in the same one
        for (final int other : new int[] {1, 2, 3, 4, 8, PAGE / Long.BYTES - 4}) {
            final byte[] swapped = page.clone();
            System.arraycopy(page, 0, swapped, other * Long.BYTES, Long.BYTES);
            System.arraycopy(page, other * Long.BYTES, swapped, 0, Long.BYTES);
            assertThat(PageDigest.of(swapped))
                    .as("words 0 and %d swapped", other)
                    .isNotEqualTo(original);
        }
    }

    @Test
    void shouldRefuseAnArrayShorterThanAPage() {
        assertThatThrownBy(() -> PageDigest.of(new byte[PAGE - 1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a page");
    }
}
