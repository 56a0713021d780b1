package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.AreaHeaderDescriptor;
import org.bess.format.PageInfoDescriptor;
import org.bess.format.RefDescriptor;

/**
 * One random bit flipped in one random page that a full read of the database reads (area headers, extent maps, the
 * catalog, slotted segments, data pages and the page-info pages covering them): the full read must fail with a
 * corruption error, and every read that succeeded before it must have returned the right bytes. TESTING.md row 9:
 * single-bit flips detected 100%.
 */
class BitFlipProperties {
    private static Path template;
    private static SampleDatabase sample;
    private static List<long[]> pages;

    /** The template database and the pages a full read touches: {0 = root area / 1 = other area, page}. */
    private static synchronized void prepare() throws IOException {
        if (template != null) {
            return;
        }
        template = Files.createTempDirectory("bess-bitflip");
        sample = SampleDatabase.create(template);
        final TreeSet<Long> root = new TreeSet<>();
        final TreeSet<Long> area = new TreeSet<>();
        root.add(0L);
        area.add(0L);
        final ByteBuffer rootHeader = AreaFiles.readPage(sample.root, 0);
        root.add(rootHeader.getInt(AreaHeaderDescriptor.CATALOG_FIRST_PAGE_OFFSET) & 0xFFFF_FFFFL);
        addMaps(sample.root, root);
        addMaps(sample.area, area);
        for (final long[] object : sample.all()) {
            root.add(RefDescriptor.segmentPage(object[0]));
            final long[] at = AreaFiles.dataLocation(sample.root, object[0]);
            final Path file = at[0] == 0 ? sample.root : sample.area;
            final TreeSet<Long> set = at[0] == 0 ? root : area;
            final long last = at[1] + (at[2] + SampleDatabase.SIZE - 1) / PAGE_LENGTH;
            for (long p = at[1]; p <= last; p++) {
                set.add(p);
                set.add(infoPageOf(file, p));
            }
        }
        pages = new ArrayList<>();
        root.forEach(p -> pages.add(new long[] {0, p}));
        area.forEach(p -> pages.add(new long[] {1, p}));
    }

    private static void addMaps(final Path file, final TreeSet<Long> set) {
        final ByteBuffer header = AreaFiles.readPage(file, 0);
        final int extentPages = header.getInt(AreaHeaderDescriptor.EXTENT_PAGES_OFFSET);
        for (int e = 0; e < header.getInt(AreaHeaderDescriptor.EXTENT_COUNT_OFFSET); e++) {
            set.add(AreaHeaderDescriptor.extentFirstPage(e, extentPages));
        }
    }

    private static long infoPageOf(final Path file, final long page) {
        final int extentPages = AreaFiles.readPage(file, 0).getInt(AreaHeaderDescriptor.EXTENT_PAGES_OFFSET);
        final long first = AreaHeaderDescriptor.extentFirstPage((int) ((page - 1) / extentPages), extentPages);
        return first + PageInfoDescriptor.infoPage((int) (page - first));
    }

    @AfterContainer
    static void removeTemplate() throws IOException {
        if (template != null) {
            deleteTree(template);
        }
    }

    private static void deleteTree(final Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (final Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Property(tries = 60)
    void shouldDetectEverySingleBitFlipInAPageThatIsRead(
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE - 1) final int pagePick,
            @ForAll @IntRange(min = 0, max = PAGE_LENGTH * 8 - 1) final int bit)
            throws IOException {
        prepare();
        final long[] target = pages.get(pagePick % pages.size());
        final Path dir = Files.createTempDirectory("bess-flip");
        try {
            final Path root = dir.resolve("db.root");
            final Path area = dir.resolve("a1.area");
            Files.copy(sample.root, root);
            Files.copy(sample.area, area);
            final Path file = target[0] == 0 ? root : area;
            AreaFiles.flip(file, target[1] * PAGE_LENGTH + bit / 8, 1 << (bit % 8));

            final BessException detected = readEverything(dir, root);

            assertThat(detected)
                    .as("flip of bit %d of page %d of %s must be detected", bit, target[1], file.getFileName())
                    .isNotNull();
            if (target[1] == 0) {
                assertThat(detected.errorCode()).isIn(ErrorCode.CORRUPT_PAGE, ErrorCode.BAD_FORMAT);
                assertThat(detected.getMessage()).contains(file.toString());
            } else {
                assertThat(detected.errorCode()).as("%s", detected).isEqualTo(ErrorCode.CORRUPT_PAGE);
                assertThat(detected.getMessage()).contains("area=" + file).contains("page=" + target[1] + ",");
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** Opens the copy, reads every object and scans both files; returns the failure, or null when all read right. */
    private static BessException readEverything(final Path dir, final Path root) {
        try (Session s = SampleDatabase.session(dir)) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final byte[] bytes = new byte[SampleDatabase.SIZE];
                for (final long[] object : sample.all()) {
                    final ObjectRef o = tx.open(new Ref(db, object[0]));
                    assertThat(o.size()).isEqualTo(SampleDatabase.SIZE);
                    o.getBytes(0, bytes, 0, bytes.length);
                    assertThat(bytes).isEqualTo(SampleDatabase.expected((int) object[1]));
                }
                for (final String name : List.of("inRoot", "inArea")) {
                    int count = 0;
                    try (Cursor c = tx.scan(tx.file(db, name))) {
                        while (c.next()) {
                            count++;
                        }
                    }
                    assertThat(count).isEqualTo(SampleDatabase.OBJECTS);
                }
                assertThat(tx.root(db, "first").word()).isEqualTo(sample.inRoot.get(0));
            }
            return null;
        } catch (final BessException e) {
            return e;
        }
    }
}
