package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteOrder;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;

/** The layout of the shared lock table file and its lock logs, and garbage fed to their checks. */
class LockTableDescriptorTest {
    @Test
    void shouldLayOutHeaderEntriesAndLogsOnCacheLines() {
        assertThat(LockTableDescriptor.HEADER_LENGTH).isEqualTo(64);
        assertThat(LockTableDescriptor.entryOffset(64, 0)).isEqualTo(64);
        assertThat(LockTableDescriptor.entryOffset(64, 1)).isEqualTo(128);
        assertThat(LockTableDescriptor.logOffset(64, 8, 0)).isEqualTo(64 + 64 * 64);
        assertThat(LockTableDescriptor.logSlotLength(8)).isEqualTo(64 + 8 * 16);
        assertThat(LockTableDescriptor.logEntryOffset(64, 8, 1, 2)).isEqualTo(64 + 64 * 64 + 192 + 64 + 32);
        assertThat(LockTableDescriptor.fileLength(64, 4, 8)).isEqualTo(64 + 64 * 64 + 4 * 192);
        assertThat(LockTableDescriptor.logOffset(64, 8, 0) % 64).isZero();
        assertThat(LockTableDescriptor.MAGIC)
                .isEqualTo(new UnsafeBuffer("BESSLOCK".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                        .getLong(0, ByteOrder.LITTLE_ENDIAN));
        for (long key = 1; key < 10_000; key += 7) {
            assertThat(LockTableDescriptor.home(key, 1 << 14)).isBetween(0, (1 << 14) - 1);
        }
    }

    @Test
    void shouldRoundTripLogStatesAndAcceptOnlyKnownOnes() {
        for (int state = LockTableDescriptor.ACQUIRING; state <= LockTableDescriptor.TRANSFERRED; state++) {
            for (int mode = LockWordDescriptor.MODE_IS; mode <= LockWordDescriptor.MAX_MODE; mode++) {
                final long w = LockTableDescriptor.logState(state, mode);
                assertThat(LockTableDescriptor.stateOf(w)).isEqualTo(state);
                assertThat(LockTableDescriptor.modeOf(w)).isEqualTo(mode);
                LockTableDescriptor.checkLogState(w, 0, 0);
            }
        }
        LockTableDescriptor.checkLogState(0, 0, 0);
        assertThatThrownBy(() -> LockTableDescriptor.checkLogState(
                        LockTableDescriptor.logState(LockTableDescriptor.HELD, 0), 3, 4))
                .isInstanceOf(BessException.class)
                .hasMessage("lock log entry is garbage: slot=3, entry=4, state word=0x2 (state 0-3, mode 1-5, no other"
                        + " bits)");
        final Random random = new Random(11);
        int refused = 0;
        for (int i = 0; i < 100_000; i++) {
            final long w = random.nextInt(4) == 0 ? random.nextInt(0x800) : random.nextLong();
            try {
                LockTableDescriptor.checkLogState(w, 1, 2);
                final int state = LockTableDescriptor.stateOf(w);
                assertThat(state).isBetween(0, 3);
                assertThat(w & ~0xFFFFL).isZero();
            } catch (final BessException e) {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_FORMAT);
                assertThat(e.getMessage()).startsWith("lock log entry is garbage: slot=1, entry=2, state word=0x");
                refused++;
            }
        }
        assertThat(refused).isGreaterThan(90_000);
    }
}
