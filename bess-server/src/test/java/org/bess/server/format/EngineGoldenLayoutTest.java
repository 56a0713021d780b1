package org.bess.server.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.bess.client.Database;
import org.bess.client.Session;
import org.bess.format.AreaHeaderDescriptor;
import org.bess.format.GoldenFiles;
import org.bess.format.PageHeaderDescriptor;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pages the engine itself writes for a new database with 1 MiB extents and one added area, compared with golden
 * files. Fields that differ from run to run (database id, creation time, the catalog's length, which holds the
 * temporary path, and so the header checksum) are checked for plausibility, then zeroed before the comparison.
 */
class EngineGoldenLayoutTest {
    @TempDir
    Path dir;

    private Path root;
    private Path area;

    @BeforeEach
    void createDatabase() {
        root = dir.resolve("db.root");
        area = dir.resolve("a1.area");
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(1L << 20))) {
            final Database db = s.createDatabase(root, 1L << 20);
            db.addArea(area);
        }
    }

    private static byte[] page(final Path file, final int pageNo) throws IOException {
        final byte[] all = Files.readAllBytes(file);
        return Arrays.copyOfRange(all, pageNo * PAGE_LENGTH, (pageNo + 1) * PAGE_LENGTH);
    }

    /** Checks the header's checksum and variable fields, then zeroes them. */
    private static byte[] maskedAreaHeader(final byte[] header) {
        final ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        final CRC32C crc = new CRC32C();
        crc.update(header, PageHeaderDescriptor.CHECKSUMMED_FROM, PAGE_LENGTH - PageHeaderDescriptor.CHECKSUMMED_FROM);
        assertThat(b.getInt(PageHeaderDescriptor.CHECKSUM_OFFSET))
                .as("header checksum")
                .isEqualTo((int) crc.getValue());
        assertThat(b.getLong(AreaHeaderDescriptor.DATABASE_ID_OFFSET))
                .as("database id")
                .isNotZero();
        assertThat(b.getLong(AreaHeaderDescriptor.CREATED_MS_OFFSET))
                .as("created")
                .isBetween(System.currentTimeMillis() - 600_000, System.currentTimeMillis());
        b.putInt(PageHeaderDescriptor.CHECKSUM_OFFSET, 0);
        b.putLong(AreaHeaderDescriptor.DATABASE_ID_OFFSET, 0);
        b.putLong(AreaHeaderDescriptor.CREATED_MS_OFFSET, 0);
        return header;
    }

    @Test
    void shouldWriteTheGoldenRootAreaHeaderWhenCreatingADatabase() throws IOException {
        final byte[] header = maskedAreaHeader(page(root, 0));
        final ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getLong(AreaHeaderDescriptor.CATALOG_LENGTH_OFFSET))
                .as("catalog length, which holds the root path")
                .isGreaterThan(root.toString().length());
        b.putLong(AreaHeaderDescriptor.CATALOG_LENGTH_OFFSET, 0);
        GoldenFiles.assertMatches("engine-root-area-header", header);
    }

    @Test
    void shouldWriteTheGoldenAreaHeaderExtentMapAndPageInfoWhenAddingAnArea() throws IOException {
        assertThat(Files.size(area)).as("header page plus one 256-page extent").isEqualTo(257L * PAGE_LENGTH);
        assertThat(ByteBuffer.wrap(page(area, 0))
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getLong(AreaHeaderDescriptor.DATABASE_ID_OFFSET))
                .as("the area carries its database's id")
                .isEqualTo(ByteBuffer.wrap(page(root, 0))
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getLong(AreaHeaderDescriptor.DATABASE_ID_OFFSET));
        GoldenFiles.assertMatches("engine-area-header", maskedAreaHeader(page(area, 0)));
        GoldenFiles.assertMatches("engine-extent-map", page(area, 1));
        GoldenFiles.assertMatches("engine-page-info", page(area, 2));
    }
}
