package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CacheControlDescriptor;
import org.junit.jupiter.api.Test;

class ContextTest {
    @Test
    void shouldAcceptTheLargestCacheWhoseControlFileFitsAnIntIndexedBuffer() {
        final int frames = new Context().cacheSizeBytes(64L << 30).cacheFrames();

        assertThat(frames).isEqualTo(1 << 24);
        assertThat(CacheControlDescriptor.fileLength(frames)).isLessThanOrEqualTo(Integer.MAX_VALUE);
        assertThat((long) CacheControlDescriptor.tableOffset(frames)).isPositive();
    }

    @Test
    void shouldRefuseACacheWhoseControlFileWouldPassTwoGibibytes() {
        // 2^26 frames was accepted: frameOffset overflowed int and the control buffer was mapped with a garbage length
        assertThatThrownBy(() -> new Context().cacheSizeBytes(256L << 30).cacheFrames())
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_ARGUMENT))
                .hasMessageContaining("bess.cache.size=" + (256L << 30))
                .hasMessageContaining("64 GiB");
        assertThatThrownBy(
                        () -> new Context().cacheSizeBytes((64L << 30) + 4096).cacheFrames())
                .isInstanceOf(BessException.class);
    }

    @Test
    void shouldRefuseACacheSmallerThan64Frames() {
        assertThatThrownBy(() -> new Context().cacheSizeBytes(63 * 4096).cacheFrames())
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_ARGUMENT))
                .hasMessageContaining("256 KiB");
    }

    @Test
    void shouldBudgetHalfTheCacheFramesUpTo1MWhatTheKernelsMappingLimitIs() throws Exception {
        // the budget counts frames; the kernel's mappings are limited apart (runs of frames share one)
        assertThat(Context.mappableFrames()).isGreaterThan(8192);
        assertThat(new Context().cacheSizeBytes(64L << 20).frameBudget()).isEqualTo(8192);
        assertThat(new Context().cacheSizeBytes(64L << 30).frameBudget()).isEqualTo(1 << 20);
    }
}
