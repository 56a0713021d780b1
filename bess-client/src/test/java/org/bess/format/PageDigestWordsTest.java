package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link PageDigest#ofWords}, by which a copy-on-access client's kept slot array is found current: the same bytes give
 * the same digest, any one changed byte or another length gives another, and a length that is not whole words is
 * refused.
 */
class PageDigestWordsTest {
    @Test
    void shouldTellChangedBytesAndLengthsApart() {
        final Random random = new Random(8);
        final byte[] slots = new byte[24 * 170];
        random.nextBytes(slots);
        final long digest = PageDigest.ofWords(slots);
        assertThat(PageDigest.ofWords(slots.clone())).isEqualTo(digest);
        final Set<Long> seen = new HashSet<>();
        seen.add(digest);
        for (int i = 0; i < slots.length; i += 7) {
            final byte[] changed = slots.clone();
            changed[i] ^= (byte) (1 << (i % 8));
            assertThat(seen.add(PageDigest.ofWords(changed)))
                    .as("byte %d changed", i)
                    .isTrue();
        }
        final byte[] shorter = java.util.Arrays.copyOf(slots, slots.length - 24);
        assertThat(PageDigest.ofWords(shorter)).isNotEqualTo(digest);
        assertThat(PageDigest.ofWords(new byte[0])).isNotEqualTo(PageDigest.ofWords(new byte[24]));
    }

    @Test
    void shouldDigestWordsAtAnAddressAsTheSameBytesInAnArray() {
        final Random random = new Random(11);
        final java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(4096);
        final long address = new org.agrona.concurrent.UnsafeBuffer(direct).addressOffset();
        for (int length = 0; length <= 4096; length += 8 * (1 + random.nextInt(40))) {
            final byte[] words = new byte[length];
            random.nextBytes(words);
            direct.clear();
            direct.put(words);
            assertThat(PageDigest.ofWords(address, length))
                    .as("length %d", length)
                    .isEqualTo(PageDigest.ofWords(words));
        }
        assertThatThrownBy(() -> PageDigest.ofWords(address, 12)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRefuseALengthThatIsNotWholeWords() {
        assertThatThrownBy(() -> PageDigest.ofWords(new byte[23]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bytes=23");
    }
}
