package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.bess.client.Database;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.AreaHeaderDescriptor;
import org.bess.format.PageHeaderDescriptor;
import org.bess.format.RefDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening files that are not (or no longer) valid storage areas of the database: each is refused with a typed error
 * whose message names the file and what is wrong with it, and leaves the session usable.
 */
class BadAreaFileTest {
    @TempDir
    Path dir;

    private AbstractThrowableAssert<?, ? extends Throwable> assertOpenRefused(final Path root, final ErrorCode code) {
        try (Session s = SampleDatabase.session(dir)) {
            return assertThatThrownBy(() -> s.openDatabase(root))
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(code));
        }
    }

    @Test
    void shouldRefuseAFileOfRandomBytesWhenOpenedAsADatabase() throws IOException {
        final Path file = dir.resolve("random.root");
        final byte[] bytes = new byte[3 * PAGE_LENGTH];
        new Random(42).nextBytes(bytes);
        Files.write(file, bytes);

        assertOpenRefused(file, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("not a bess storage area")
                .hasMessageContaining("bad magic")
                .hasMessageContaining("path=" + file);
    }

    @Test
    void shouldRefuseAnEmptyFileWhenOpenedAsADatabase() throws IOException {
        final Path file = Files.createFile(dir.resolve("empty.root"));

        assertOpenRefused(file, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("not a bess storage area")
                .hasMessageContaining("path=" + file)
                .hasMessageContaining("bytes=0");
    }

    @Test
    void shouldRefuseATextFileShorterThanAPageWhenOpenedAsADatabase() throws IOException {
        final Path file = dir.resolve("notes.txt");
        Files.writeString(file, "these are not the pages you are looking for\n", StandardCharsets.UTF_8);

        assertOpenRefused(file, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("not a bess storage area")
                .hasMessageContaining("shorter than one page")
                .hasMessageContaining("bytes=44")
                .hasMessageContaining("path=" + file);
    }

    @Test
    void shouldRefuseAPageLongTextFileWhenOpenedAsADatabase() throws IOException {
        final Path file = dir.resolve("long.txt");
        Files.writeString(file, "lorem ipsum ".repeat(1000), StandardCharsets.UTF_8);

        assertOpenRefused(file, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("bad magic")
                .hasMessageContaining("path=" + file);
    }

    @Test
    void shouldRefuseADirectoryWhenOpenedAsADatabase() throws IOException {
        final Path sub = Files.createDirectory(dir.resolve("adir"));

        assertOpenRefused(sub, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("not a bess storage area")
                .hasMessageContaining("path=" + sub);
    }

    @Test
    void shouldRefuseAMissingRootArea() {
        final Path missing = dir.resolve("nothing.root");

        assertOpenRefused(missing, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("storage area is missing")
                .hasMessageContaining("path=" + missing);
    }

    @Test
    void shouldRefuseAnAreaWithANewerFormatVersionWhenItsChecksumIsValid() {
        final SampleDatabase sample = SampleDatabase.create(dir);
        final ByteBuffer header = AreaFiles.readPage(sample.root, 0);
        header.putInt(AreaHeaderDescriptor.AREA_FORMAT_VERSION_OFFSET, AreaHeaderDescriptor.AREA_FORMAT_VERSION + 1);
        AreaFiles.restamp(header);
        AreaFiles.writePage(sample.root, 0, header);

        assertOpenRefused(sample.root, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("newer format")
                .hasMessageContaining("path=" + sample.root)
                .hasMessageContaining("version=" + (AreaHeaderDescriptor.AREA_FORMAT_VERSION + 1))
                .hasMessageContaining("supported=" + AreaHeaderDescriptor.AREA_FORMAT_VERSION);
    }

    @Test
    void shouldRefuseANonRootAreaWithANewerFormatVersion() {
        final SampleDatabase sample = SampleDatabase.create(dir);
        final ByteBuffer header = AreaFiles.readPage(sample.area, 0);
        header.putInt(AreaHeaderDescriptor.AREA_FORMAT_VERSION_OFFSET, 7);
        AreaFiles.restamp(header);
        AreaFiles.writePage(sample.area, 0, header);

        assertOpenRefused(sample.root, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("newer format")
                .hasMessageContaining("path=" + sample.area)
                .hasMessageContaining("version=7");
    }

    @Test
    void shouldRefuseAControlPageWithANewerLayoutVersionWhenItIsRead() {
        final SampleDatabase sample = SampleDatabase.create(dir);
        final long segPage = RefDescriptor.segmentPage(sample.inRoot.get(0));
        final ByteBuffer seg = AreaFiles.readPage(sample.root, segPage);
        seg.putShort(PageHeaderDescriptor.FORMAT_VERSION_OFFSET, (short) (PageHeaderDescriptor.FORMAT_VERSION + 1));
        AreaFiles.restamp(seg);
        AreaFiles.writePage(sample.root, segPage, seg);

        try (Session s = SampleDatabase.session(dir)) {
            final Database db = s.openDatabase(sample.root);
            try (Transaction tx = s.begin()) {
                assertThatThrownBy(() -> tx.open(new Ref(db, sample.inRoot.get(0))))
                        .isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                                .isEqualTo(ErrorCode.BAD_FORMAT))
                        .hasMessageContaining("newer layout version")
                        .hasMessageContaining("area=" + sample.root)
                        .hasMessageContaining("page=" + segPage)
                        .hasMessageContaining("version=" + (PageHeaderDescriptor.FORMAT_VERSION + 1));
            }
        }
    }

    @Test
    void shouldRefuseARootAreaWithANewerPageLayoutVersionInItsHeader() {
        final SampleDatabase sample = SampleDatabase.create(dir);
        final ByteBuffer header = AreaFiles.readPage(sample.root, 0);
        header.putShort(PageHeaderDescriptor.FORMAT_VERSION_OFFSET, (short) 2);
        AreaFiles.restamp(header);
        AreaFiles.writePage(sample.root, 0, header);

        assertOpenRefused(sample.root, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("newer layout version")
                .hasMessageContaining("area=" + sample.root)
                .hasMessageContaining("page=0");
    }

    @Test
    void shouldRefuseATruncatedRootArea() throws IOException {
        final SampleDatabase sample = SampleDatabase.create(dir);
        final long pages = Files.size(sample.root) / PAGE_LENGTH;
        truncate(sample.root, 100L * PAGE_LENGTH);

        assertOpenRefused(sample.root, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("truncated")
                .hasMessageContaining("path=" + sample.root)
                .hasMessageContaining("pages=100")
                .hasMessageContaining("expected=" + pages);
    }

    @Test
    void shouldRefuseANonRootAreaCutInTheMiddleOfAPage() throws IOException {
        final SampleDatabase sample = SampleDatabase.create(dir);
        truncate(sample.area, 50L * PAGE_LENGTH + 1234);

        assertOpenRefused(sample.root, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("truncated")
                .hasMessageContaining("path=" + sample.area)
                .hasMessageContaining("pages=50");
    }

    @Test
    void shouldRefuseADatabaseWhoseNonRootAreaIsMissingAndOpenItOnceTheAreaIsBack() throws IOException {
        final SampleDatabase sample = SampleDatabase.create(dir);
        final Path saved = dir.resolve("saved.area");
        Files.move(sample.area, saved);

        try (Session s = SampleDatabase.session(dir)) {
            assertThatThrownBy(() -> s.openDatabase(sample.root))
                    .isInstanceOfSatisfying(
                            BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_FORMAT))
                    .hasMessageContaining("a storage area of the database is missing")
                    .hasMessageContaining("database=" + sample.root)
                    .hasMessageContaining("area=1")
                    .hasMessageContaining("path=" + sample.area);
            assertThat(s.databases()).isEmpty();

            Files.move(saved, sample.area);
            final Database db = s.openDatabase(sample.root);
            try (Transaction tx = s.begin()) {
                final byte[] bytes = new byte[SampleDatabase.SIZE];
                tx.open(new Ref(db, sample.inArea.get(7))).getBytes(0, bytes, 0, bytes.length);
                assertThat(bytes).isEqualTo(SampleDatabase.expected(SampleDatabase.OBJECTS + 7));
                tx.commit();
            }
        }
    }

    @Test
    void shouldRefuseANonRootAreaOpenedAsADatabase() {
        final SampleDatabase sample = SampleDatabase.create(dir);

        assertOpenRefused(sample.area, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("not the root area of a database")
                .hasMessageContaining("area 1")
                .hasMessageContaining("path=" + sample.area);
    }

    @Test
    void shouldRefuseAnAreaThatBelongsToAnotherDatabase() throws IOException {
        final SampleDatabase sample = SampleDatabase.create(dir);
        final SampleDatabase other = SampleDatabase.create(Files.createDirectory(dir.resolve("other")));
        Files.copy(other.area, sample.area, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertOpenRefused(sample.root, ErrorCode.BAD_FORMAT)
                .hasMessageContaining("belongs to another database")
                .hasMessageContaining("path=" + sample.area);
    }

    @Test
    void shouldRefuseASecondSessionOpeningADatabaseInUseAndAdmitItAfterTheFirstCloses() {
        final SampleDatabase sample = SampleDatabase.create(dir);
        final Path otherNode = dir.resolve("node2");
        try (Session first = SampleDatabase.session(dir)) {
            first.openDatabase(sample.root);
            try (Session second =
                    BessServer.embedded(new Context().nodeDir(otherNode).cacheSizeBytes(1L << 20))) {
                assertThatThrownBy(() -> second.openDatabase(sample.root))
                        .isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                                .isEqualTo(ErrorCode.ILLEGAL_STATE))
                        .hasMessageContaining("in use")
                        .hasMessageContaining("path=" + sample.root);
                assertThat(second.databases()).isEmpty();
            }
        }
        try (Session again =
                BessServer.embedded(new Context().nodeDir(otherNode).cacheSizeBytes(1L << 20))) {
            assertThat(again.openDatabase(sample.root).path()).isEqualTo(sample.root);
        }
    }

    private static void truncate(final Path file, final long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length);
        }
    }
}
