package org.bess.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Golden hex files under {@code src/test/resources/format/} of the module whose test runs (bess-client's, and through
 * its test-jar bess-server's): the bytes a layout must produce, as a hex dump. A mismatch
 * fails with a line diff and leaves the actual dump in {@code target/golden-actual/}; nothing is ever rewritten by a
 * test. Updating a golden file is a deliberate edit in the same commit as the format change (STYLE.md).
 */
public final class GoldenFiles {
    private static final int MAX_DIFF_LINES = 40;

    private GoldenFiles() {}

    /**
     * A hex dump: 16 bytes a line with offset and ASCII; a line equal to the one above is shown as {@code *} (like
     * {@code hexdump -C}), and the last line is the length.
     */
    public static String dump(final byte[] bytes) {
        final StringBuilder sb = new StringBuilder();
        String previous = null;
        boolean starred = false;
        for (int off = 0; off < bytes.length; off += 16) {
            final StringBuilder hex = new StringBuilder();
            final StringBuilder ascii = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                if (i == 8) {
                    hex.append(' ');
                }
                if (off + i < bytes.length) {
                    final int b = bytes[off + i] & 0xFF;
                    hex.append(String.format(" %02x", b));
                    ascii.append(b >= 0x20 && b < 0x7F ? (char) b : '.');
                } else {
                    hex.append("   ");
                }
            }
            final String body = hex + "  |" + ascii + "|";
            if (body.equals(previous)) {
                if (!starred) {
                    sb.append("*\n");
                    starred = true;
                }
                continue;
            }
            starred = false;
            previous = body;
            sb.append(String.format("%08x", off)).append(' ').append(body).append('\n');
        }
        sb.append(String.format("%08x", bytes.length)).append('\n');
        return sb.toString();
    }

    /** Fails unless {@code actual} dumps to exactly the golden file {@code format/<name>.hex}. */
    public static void assertMatches(final String name, final byte[] actual) {
        final String actualDump = dump(actual);
        final String resource = "/format/" + name + ".hex";
        final String expectedDump;
        try (InputStream in = GoldenFiles.class.getResourceAsStream(resource)) {
            if (in == null) {
                final Path written = writeActual(name, actualDump);
                throw new AssertionError("no golden file " + resource + " (src/test/resources" + resource
                        + "); the actual dump is in " + written + ":\n" + actualDump);
            }
            expectedDump = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!expectedDump.equals(actualDump)) {
            final Path written = writeActual(name, actualDump);
            throw new AssertionError("bytes differ from golden file " + resource
                    + " (- golden, + actual; actual dump in " + written + "):\n" + diff(expectedDump, actualDump));
        }
    }

    /** A line diff good enough for dumps of equal layout: aligned by offset where both sides have the line. */
    static String diff(final String expected, final String actual) {
        final List<String> e = expected.lines().toList();
        final List<String> a = actual.lines().toList();
        final List<String> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while ((i < e.size() || j < a.size()) && out.size() < MAX_DIFF_LINES) {
            final String x = i < e.size() ? e.get(i) : null;
            final String y = j < a.size() ? a.get(j) : null;
            if (x != null && x.equals(y)) {
                i++;
                j++;
                continue;
            }
            final int cmp = compareOffsets(x, y);
            if (cmp <= 0 && x != null) {
                out.add("- " + x);
                i++;
            }
            if (cmp >= 0 && y != null) {
                out.add("+ " + y);
                j++;
            }
        }
        if (out.size() >= MAX_DIFF_LINES) {
            out.add("... (more differences)");
        }
        return String.join("\n", out);
    }

    private static int compareOffsets(final String x, final String y) {
        if (x == null) {
            return 1;
        }
        if (y == null) {
            return -1;
        }
        return Long.compare(offsetOf(x), offsetOf(y));
    }

    private static long offsetOf(final String line) {
        if (line.startsWith("*")) {
            return -1;
        }
        try {
            return Long.parseLong(line.substring(0, Math.min(8, line.length())).trim(), 16);
        } catch (final NumberFormatException e) {
            return -1;
        }
    }

    private static Path writeActual(final String name, final String dump) {
        final Path dir = Path.of("target", "golden-actual");
        try {
            Files.createDirectories(dir);
            final Path file = dir.resolve(name + ".hex");
            Files.writeString(file, dump, StandardCharsets.US_ASCII);
            return file.toAbsolutePath();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
