package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bess.format.LockWordDescriptor.MODE_IS;
import static org.bess.format.LockWordDescriptor.MODE_IX;
import static org.bess.format.LockWordDescriptor.MODE_S;
import static org.bess.format.LockWordDescriptor.MODE_SIX;
import static org.bess.format.LockWordDescriptor.MODE_X;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class LockWordDescriptorTest {
    private static final int[] MODES = {MODE_IS, MODE_IX, MODE_S, MODE_SIX, MODE_X};

    @Test
    void shouldChainFieldsWithoutOverlapUpToTheSignBit() {
        assertThat(LockWordDescriptor.IS_COUNT_SHIFT).isZero();
        assertThat(LockWordDescriptor.IX_COUNT_SHIFT).isEqualTo(16);
        assertThat(LockWordDescriptor.S_COUNT_SHIFT).isEqualTo(32);
        assertThat(LockWordDescriptor.SIX_SHIFT).isEqualTo(48);
        assertThat(LockWordDescriptor.X_SHIFT).isEqualTo(49);
        assertThat(LockWordDescriptor.GENERATION_SHIFT).isEqualTo(50);
        assertThat(LockWordDescriptor.LATCH_SHIFT).isEqualTo(62);
        assertThat(LockWordDescriptor.WAITERS_SHIFT).isEqualTo(63);
        assertThat(LockWordDescriptor.WAITERS_FLAG).isEqualTo(Long.MIN_VALUE);
        assertThat(LockWordDescriptor.HOLDERS_MASK
                        & LockWordDescriptor.GENERATION_MASK
                        & LockWordDescriptor.LATCH_FLAG
                        & LockWordDescriptor.WAITERS_FLAG)
                .isZero();
        assertThat(LockWordDescriptor.HOLDERS_MASK
                        | LockWordDescriptor.GENERATION_MASK
                        | LockWordDescriptor.LATCH_FLAG
                        | LockWordDescriptor.WAITERS_FLAG)
                .isEqualTo(-1L);
    }

    @Test
    void shouldLayOutTheSharedEntryOnOneCacheLineWithAnAlignedWord() {
        assertThat(LockWordDescriptor.ENTRY_KEY_OFFSET).isZero();
        assertThat(LockWordDescriptor.ENTRY_WORD_OFFSET).isEqualTo(8);
        assertThat(LockWordDescriptor.ENTRY_WORD_OFFSET % Long.BYTES).isZero();
        assertThat(LockWordDescriptor.ENTRY_LENGTH).isEqualTo(64);
        assertThat(LockWordDescriptor.ENTRY_ALIGNMENT % LockWordDescriptor.ENTRY_LENGTH)
                .isZero();
    }

    @Test
    void shouldEncodeTheGoldenWords() throws IOException {
        final long[] words = {
            LockWordDescriptor.FREE_WORD,
            LockWordDescriptor.add(LockWordDescriptor.add(LockWordDescriptor.add(0, MODE_IS), MODE_IS), MODE_IX),
            LockWordDescriptor.withGeneration(times(MODE_S, 3), 5) | LockWordDescriptor.WAITERS_FLAG,
            LockWordDescriptor.withGeneration(LockWordDescriptor.add(0, MODE_X), 4095) | LockWordDescriptor.LATCH_FLAG,
            LockWordDescriptor.add(LockWordDescriptor.add(0, MODE_SIX), MODE_IS),
        };
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[words.length * Long.BYTES]);
        for (int i = 0; i < words.length; i++) {
            buffer.putLong(i * Long.BYTES, words[i], ByteOrder.LITTLE_ENDIAN);
        }
        assertThat(buffer.byteArray()).isEqualTo(golden("/format/lock-word.hex"));
        assertThat(LockWordDescriptor.toString(words[2])).isEqualTo("IS=0 IX=0 S=3 SIX=0 X=0 gen=5 waiters");
        assertThat(LockWordDescriptor.generation(words[3])).isEqualTo(4095);
        assertThat(LockWordDescriptor.isLatched(words[3])).isTrue();
    }

    @Test
    void shouldFollowTheStandardCompatibilityMatrix() {
        final boolean[][] expected = {
            // IS    IX     S      SIX    X
            {true, true, true, true, false}, // IS
            {true, true, false, false, false}, // IX
            {true, false, true, false, false}, // S
            {true, false, false, false, false}, // SIX
            {false, false, false, false, false}, // X
        };
        for (int a = 0; a < MODES.length; a++) {
            for (int b = 0; b < MODES.length; b++) {
                assertThat(LockWordDescriptor.isCompatible(MODES[a], MODES[b]))
                        .as("mode %d with %d", MODES[a], MODES[b])
                        .isEqualTo(expected[a][b]);
                assertThat(LockWordDescriptor.isCompatible(LockWordDescriptor.add(0, MODES[a]), MODES[b]))
                        .as("word holding %d with %d", MODES[a], MODES[b])
                        .isEqualTo(expected[a][b]);
            }
        }
    }

    @Test
    void shouldCountHoldersAndRefuseACountThatIsFull() {
        long word = times(MODE_IS, LockWordDescriptor.MAX_COUNT);
        assertThat(LockWordDescriptor.count(word, MODE_IS)).isEqualTo(LockWordDescriptor.MAX_COUNT);
        assertThat(LockWordDescriptor.canAdd(word, MODE_IS)).isFalse();
        assertThat(LockWordDescriptor.isFastPathAcquirable(word, MODE_IS)).isFalse();
        assertThat(LockWordDescriptor.count(word, MODE_IX)).isZero();
        word = LockWordDescriptor.add(word, MODE_X);
        assertThat(LockWordDescriptor.canAdd(word, MODE_X)).isFalse();
        word = LockWordDescriptor.remove(LockWordDescriptor.remove(word, MODE_X), MODE_IS);
        assertThat(LockWordDescriptor.count(word, MODE_IS)).isEqualTo(LockWordDescriptor.MAX_COUNT - 1);
        assertThat(LockWordDescriptor.isFastPathAcquirable(word, MODE_IX)).isTrue();
        assertThat(LockWordDescriptor.isFastPathAcquirable(word | LockWordDescriptor.WAITERS_FLAG, MODE_IX))
                .isFalse();
        assertThat(LockWordDescriptor.isFastPathAcquirable(word | LockWordDescriptor.LATCH_FLAG, MODE_IX))
                .isFalse();
        assertThat(LockWordDescriptor.isHeld(LockWordDescriptor.withGeneration(0, 7)))
                .isFalse();
    }

    private static long times(final int mode, final int count) {
        long word = 0;
        for (int i = 0; i < count; i++) {
            word = LockWordDescriptor.add(word, mode);
        }
        return word;
    }

    private static byte[] golden(final String resource) throws IOException {
        final String text;
        try (InputStream in = LockWordDescriptorTest.class.getResourceAsStream(resource)) {
            assertThat(in).as("golden file %s", resource).isNotNull();
            text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (final String line : text.split("\n", -1)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            for (final String hex : line.trim().split("\\s+")) {
                bytes.write(Integer.parseInt(hex, 16));
            }
        }
        return bytes.toByteArray();
    }
}
