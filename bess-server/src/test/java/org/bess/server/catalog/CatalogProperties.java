package org.bess.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CatalogPageDescriptor;

/**
 * The serialized catalog: random catalogs round-trip, and random, mutated or truncated bytes give a catalog or a
 * {@code BAD_FORMAT} naming the database, never another exception (no out-of-memory, index or null-pointer failure).
 */
class CatalogProperties {
    private static final String WHERE = "/db/test.root";

    @Provide
    Arbitrary<Catalog> catalogs() {
        final Arbitrary<String> names = Arbitraries.strings().ofMinLength(1).ofMaxLength(40);
        final Arbitrary<List<String>> areas = names.list().ofMaxSize(5);
        final Arbitrary<List<String>> types = names.list().ofMaxSize(6).uniqueElements();
        final Arbitrary<List<String>> files = names.list().ofMaxSize(6).uniqueElements();
        final Arbitrary<List<String>> roots = names.list().ofMaxSize(6).uniqueElements();
        return Combinators.combine(Arbitraries.longs(), areas, types, files, roots, Arbitraries.longs())
                .as((id, a, t, f, r, salt) -> {
                    final Catalog c = new Catalog(id);
                    a.forEach(c::addArea);
                    for (int i = 0; i < t.size(); i++) {
                        c.addType(t.get(i), i * 8 + 8, i % 2 == 0 ? new int[0] : new int[] {0, i * 8});
                    }
                    for (int i = 0; i < f.size(); i++) {
                        final Catalog.FileEntry e = c.addFile(f.get(i), i % Math.max(1, a.size()));
                        e.firstSegment = salt + i;
                        e.lastSegment = salt ^ i;
                    }
                    for (int i = 0; i < r.size(); i++) {
                        c.roots().put(r.get(i), salt * 31 + i);
                    }
                    c.foreignIndex("/other/" + salt + ".root", salt | 1);
                    return c;
                });
    }

    @Property(tries = 200)
    void shouldRoundTripARandomCatalog(@ForAll("catalogs") final Catalog catalog) {
        final byte[] bytes = catalog.serialize();

        final Catalog back = Catalog.deserialize(bytes, WHERE);

        assertThat(back.serialize()).isEqualTo(bytes);
        assertThat(back.databaseId()).isEqualTo(catalog.databaseId());
        assertThat(back.files()).hasSameSizeAs(catalog.files());
        assertThat(back.roots()).isEqualTo(catalog.roots());
    }

    @Property(tries = 300)
    void shouldGiveACatalogOrBadFormatWhenBytesOfARealCatalogAreMutated(
            @ForAll("catalogs") final Catalog catalog,
            @ForAll @Size(min = 1, max = 8) final List<@IntRange(min = 0, max = 1 << 20) Integer> positions,
            @ForAll @Size(min = 8, max = 8) final List<@IntRange(min = 1, max = 255) Integer> masks) {
        final byte[] bytes = catalog.serialize();
        for (int i = 0; i < positions.size(); i++) {
            final int at = positions.get(i) % bytes.length;
            bytes[at] = (byte) (bytes[at] ^ masks.get(i));
        }

        assertCatalogOrBadFormat(bytes);
    }

    @Property(tries = 200)
    void shouldGiveBadFormatWhenARealCatalogIsTruncated(
            @ForAll("catalogs") final Catalog catalog, @ForAll @IntRange(min = 0, max = 1 << 20) final int cut) {
        final byte[] bytes = catalog.serialize();
        final byte[] truncated = Arrays.copyOf(bytes, cut % bytes.length);

        assertThatThrownBy(() -> Catalog.deserialize(truncated, WHERE))
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_FORMAT))
                .hasMessageContaining("database=" + WHERE);
    }

    @Property(tries = 300)
    void shouldGiveBadFormatForRandomBytes(@ForAll @Size(max = 4096) final byte[] bytes) {
        assertThatThrownBy(() -> Catalog.deserialize(bytes, WHERE))
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_FORMAT))
                .hasMessageContaining("corrupt catalog")
                .hasMessageContaining("database=" + WHERE);
    }

    @Property(tries = 500)
    void shouldGiveACatalogOrBadFormatForRandomBytesAfterAValidMagicAndVersion(
            @ForAll @Size(max = 4096) final byte[] tail, @ForAll @IntRange(min = 0, max = 64) final int countBias) {
        final ByteBuffer b = ByteBuffer.allocate(12 + tail.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(CatalogPageDescriptor.CATALOG_MAGIC)
                .putInt(CatalogPageDescriptor.CATALOG_VERSION)
                .put(tail);
        // small counts reach deeper into the format than random ones
        if (tail.length >= 24) {
            b.putInt(12 + 20, countBias % 4);
        }

        assertCatalogOrBadFormat(b.array());
    }

    @Property(tries = 100)
    void shouldRefuseHugeCountsAndLengthsBeforeAllocating(
            @ForAll @IntRange(min = 0, max = 4) final int field, @ForAll final int value) {
        final Catalog c = new Catalog(7);
        c.addArea("/a");
        c.addType("T", 8, new int[] {0});
        c.addFile("f", 0);
        c.roots().put("r", 1L);
        final ByteBuffer b = ByteBuffer.wrap(c.serialize()).order(ByteOrder.LITTLE_ENDIAN);
        // offsets of: area count, area path length, type count, type name length, type ref-offset count
        final int[] offsets = {32, 40, 46, 58, 63};
        b.putInt(offsets[field], value == 0 ? Integer.MAX_VALUE : value | 0x4000_0000);

        assertCatalogOrBadFormat(b.array());
    }

    private static void assertCatalogOrBadFormat(final byte[] bytes) {
        try {
            assertThat(Catalog.deserialize(bytes, WHERE)).isNotNull();
        } catch (final BessException e) {
            assertThat(e.errorCode()).as("%s", e).isEqualTo(ErrorCode.BAD_FORMAT);
            assertThat(e.getMessage()).contains("database=" + WHERE);
        }
    }
}
