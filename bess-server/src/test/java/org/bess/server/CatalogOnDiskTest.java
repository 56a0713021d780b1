package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.bess.client.Session;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.AreaHeaderDescriptor;
import org.bess.format.CatalogPageDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A catalog whose pages and header carry valid checksums but whose content is garbage (as a bug in a writer, or a
 * misdirected but well-formed page, would leave it): opening the database fails with {@code BAD_FORMAT} or
 * {@code CORRUPT_PAGE} naming the database, never with another exception.
 */
class CatalogOnDiskTest {
    @TempDir
    Path dir;

    private SampleDatabase sample;
    private long catalogPage;

    @BeforeEach
    void create() {
        sample = SampleDatabase.create(dir);
        catalogPage = AreaFiles.readPage(sample.root, 0).getInt(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET)
                & 0xFFFF_FFFFL;
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertOpenRefused(final ErrorCode code) {
        try (Session s = SampleDatabase.session(dir)) {
            return assertThatThrownBy(() -> s.openDatabase(sample.root))
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(code))
                    .hasMessageContaining("database=" + sample.root);
        }
    }

    private void patchCatalogPage(final java.util.function.Consumer<ByteBuffer> change) {
        final ByteBuffer page = AreaFiles.readPage(sample.root, catalogPage);
        change.accept(page);
        AreaFiles.restamp(page);
        AreaFiles.writePage(sample.root, catalogPage, page);
    }

    private void patchHeader(final java.util.function.Consumer<ByteBuffer> change) {
        final ByteBuffer header = AreaFiles.readPage(sample.root, 0);
        change.accept(header);
        AreaFiles.restamp(header);
        AreaFiles.writePage(sample.root, 0, header);
    }

    @Test
    void shouldRefuseACatalogPageOfRandomPayload() {
        final byte[] garbage = new byte[CatalogPageDescriptor.PAYLOAD_CAPACITY];
        new Random(7).nextBytes(garbage);
        patchCatalogPage(p -> p.put(CatalogPageDescriptor.PAYLOAD_OFFSET, garbage));

        assertOpenRefused(ErrorCode.BAD_FORMAT).hasMessageContaining("corrupt catalog");
    }

    @Test
    void shouldRefuseACatalogWhoseEntryCountsAreGarbage() {
        // the area count, right after magic, version, database id and the three next-id counters
        patchCatalogPage(p -> p.putInt(CatalogPageDescriptor.PAYLOAD_OFFSET + 32, 0x7FFF_FFF0));

        assertOpenRefused(ErrorCode.BAD_FORMAT).hasMessageContaining("bad entry count");
    }

    @Test
    void shouldRefuseACatalogPageClaimingMorePayloadThanAPageHolds() {
        patchCatalogPage(p -> p.putInt(CatalogPageDescriptor.PAYLOAD_LENGTH_OFFSET, 1 << 20));

        assertOpenRefused(ErrorCode.BAD_FORMAT)
                .hasMessageContaining("bad catalog page")
                .hasMessageContaining("page=" + catalogPage);
    }

    @Test
    void shouldRefuseAHeaderClaimingAHugeCatalogBeforeAllocatingIt() {
        patchHeader(h -> h.putLong(AreaHeaderDescriptor.CATALOG_LENGTH_OFFSET, 1L << 40));

        assertOpenRefused(ErrorCode.BAD_FORMAT).hasMessageContaining("bad catalog length");
    }

    @Test
    void shouldRefuseAHeaderClaimingAHugeCatalogOverAHugePageCount() {
        // the length check alone let 2^40 bytes over 2^31 pages through, and (int) 2^40 sized a zero-length array
        patchHeader(h -> {
            h.putInt(AreaHeaderDescriptor.CATALOG_PAGE_COUNT_OFFSET, Integer.MAX_VALUE);
            h.putLong(AreaHeaderDescriptor.CATALOG_LENGTH_OFFSET, 1L << 40);
        });

        assertOpenRefused(ErrorCode.BAD_FORMAT)
                .hasMessageContaining("catalog outside the root area")
                .hasMessageContaining("pages=" + Integer.MAX_VALUE);
    }

    @Test
    void shouldRefuseAHeaderClaimingANegativeCatalogPageCount() {
        patchHeader(h -> h.putInt(AreaHeaderDescriptor.CATALOG_PAGE_COUNT_OFFSET, -1));

        assertOpenRefused(ErrorCode.BAD_FORMAT)
                .hasMessageContaining("catalog outside the root area")
                .hasMessageContaining("pages=-1");
    }

    @Test
    void shouldRefuseACatalogPageLinkingOutsideTheArea() {
        patchHeader(h -> h.putInt(AreaHeaderDescriptor.CATALOG_PAGE_COUNT_OFFSET, 2));
        patchCatalogPage(p -> {
            p.putInt(CatalogPageDescriptor.NEXT_PAGE_OFFSET, 0x7FFF_0000);
            p.putInt(CatalogPageDescriptor.PAYLOAD_LENGTH_OFFSET, 8);
        });

        assertOpenRefused(ErrorCode.BAD_FORMAT)
                .hasMessageContaining("catalog page link outside the root area")
                .hasMessageContaining("page=" + 0x7FFF_0000);
    }

    @Test
    void shouldRefuseAHeaderWithoutACatalog() {
        patchHeader(h -> h.putInt(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET, 0));

        assertOpenRefused(ErrorCode.BAD_FORMAT).hasMessageContaining("no catalog");
    }

    @Test
    void shouldRefuseAHeaderPointingTheCatalogAtAnotherControlPage() {
        // page 1 is the root area's first extent map: a valid page of the wrong type
        patchHeader(h -> h.putInt(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET, 1));

        assertOpenRefused(ErrorCode.CORRUPT_PAGE)
                .hasMessageContaining("wrong type")
                .hasMessageContaining("page=1")
                .hasMessageContaining("expected=" + PageHeaderDescriptor.TYPE_CATALOG);
    }

    @Test
    void shouldRefuseAHeaderPointingTheCatalogBeyondTheArea() {
        patchHeader(h -> h.putInt(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET, 0x7FFF_0000));

        assertOpenRefused(ErrorCode.BAD_FORMAT)
                .hasMessageContaining("catalog outside the root area")
                .hasMessageContaining("firstPage=" + 0x7FFF_0000);
    }
}
