package org.bess.server.txn;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * Page diffs: the payload of {@code PAGE_DIFF} and {@code CLR} records, and of {@code FULL_PAGE} records.
 *
 * <pre>
 *  page id:   database id (8) | area id (4) | page number (4)
 *  PAGE_DIFF: page id | range count (4) | ranges: offset (2), length (2), before image, after image
 *  CLR:       page id | undo-next LSN (8) | range count (4) | ranges: offset (2), length (2), image to apply
 *  FULL_PAGE: page id | 4096 bytes
 * </pre>
 *
 * Ranges are found by comparing the page with its before-image 8 bytes at a time; ranges closer than {@link
 * #MERGE_GAP} bytes are merged (one header instead of two). Applying a diff's after images (redo) or before images
 * (undo) is idempotent.
 */
public final class PageDiff {
    /** Ranges closer than this are merged. */
    public static final int MERGE_GAP = 16;
    /** Bytes of the page id. */
    public static final int PAGE_ID_LENGTH = 16;

    private PageDiff() {}

    /**
     * The changed ranges of a page: pairs (offset, length) in {@code ranges}, 8-byte granular.
     *
     * @return the number of ranges.
     */
    public static int ranges(final byte[] before, final DirectBuffer page, final int[] ranges) {
        return ranges(new org.agrona.concurrent.UnsafeBuffer(before), page, ranges);
    }

    /**
     * The changed ranges of a page against a before-image in any buffer (a recovery-buffer slot): pairs (offset,
     * length) in {@code ranges}, 8-byte granular.
     *
     * @return the number of ranges.
     */
    public static int ranges(final DirectBuffer before, final DirectBuffer page, final int[] ranges) {
        int count = 0;
        int start = -1;
        int end = -1;
        for (int i = 0; i < PAGE_LENGTH; i += Long.BYTES) {
            if (page.getLong(i) != before.getLong(i)) {
                if (start >= 0 && i - end < MERGE_GAP) {
                    end = i + Long.BYTES;
                } else {
                    if (start >= 0) {
                        ranges[2 * count] = start;
                        ranges[2 * count + 1] = end - start;
                        count++;
                    }
                    start = i;
                    end = i + Long.BYTES;
                }
            }
        }
        if (start >= 0) {
            ranges[2 * count] = start;
            ranges[2 * count + 1] = end - start;
            count++;
        }
        return count;
    }

    /** Encodes a PAGE_DIFF payload. */
    public static ByteBuffer encodeDiff(
            final long dbId,
            final int areaId,
            final long pageNo,
            final byte[] before,
            final DirectBuffer page,
            final int[] ranges,
            final int count) {
        return encodeDiff(dbId, areaId, pageNo, new org.agrona.concurrent.UnsafeBuffer(before), page, ranges, count);
    }

    /** Encodes a PAGE_DIFF payload against a before-image in any buffer (a recovery-buffer slot). */
    public static ByteBuffer encodeDiff(
            final long dbId,
            final int areaId,
            final long pageNo,
            final DirectBuffer before,
            final DirectBuffer page,
            final int[] ranges,
            final int count) {
        int length = PAGE_ID_LENGTH + Integer.BYTES;
        for (int r = 0; r < count; r++) {
            length += 4 + 2 * ranges[2 * r + 1];
        }
        final ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(dbId).putInt(areaId).putInt((int) pageNo).putInt(count);
        for (int r = 0; r < count; r++) {
            final int off = ranges[2 * r];
            final int len = ranges[2 * r + 1];
            b.putShort((short) off).putShort((short) len);
            before.getBytes(off, b, b.position(), len);
            b.position(b.position() + len);
            page.getBytes(off, b, b.position(), len);
            b.position(b.position() + len);
        }
        return b.flip();
    }

    /**
     * Encodes a CLR payload that writes the undone record's before images, byte for byte only where they differ from
     * its after images: a diff's ranges are 8-byte granular and merged across gaps, so they carry unchanged bytes
     * too, and writing those back would undo a change made later to the same bytes by a nested top action of the same
     * transaction (the next-segment link of a slotted segment, beside the counters an allocation changes).
     */
    public static ByteBuffer encodeClr(final ByteBuffer undoneDiff, final long undoNextLsn) {
        final ByteBuffer d = undoneDiff.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        final long dbId = d.getLong();
        final int areaId = d.getInt();
        final int pageNo = d.getInt();
        final int count = checkCount(d.getInt());
        // worst case, every other byte differs: a 4-byte range header per changed byte
        final ByteBuffer out =
                ByteBuffer.allocate(3 * d.capacity() + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(dbId).putInt(areaId).putInt(pageNo).putLong(undoNextLsn);
        final int countAt = out.position();
        out.putInt(0);
        int runs = 0;
        for (int r = 0; r < count; r++) {
            final int off = d.getShort() & 0xFFFF;
            final int len = checkRange(off, d.getShort() & 0xFFFF);
            final int before = d.position();
            final int after = before + len;
            int i = 0;
            while (i < len) {
                if (d.get(before + i) == d.get(after + i)) {
                    i++;
                    continue;
                }
                final int start = i;
                while (i < len && d.get(before + i) != d.get(after + i)) {
                    i++;
                }
                out.putShort((short) (off + start)).putShort((short) (i - start));
                out.put(out.position(), d, before + start, i - start);
                out.position(out.position() + i - start);
                runs++;
            }
            d.position(after + len);
        }
        out.putInt(countAt, runs);
        return out.flip();
    }

    /** Encodes a CLR that changes no page: it ends the undo of a nested top action (page id 0, no ranges). */
    public static ByteBuffer encodeEmptyClr(final long undoNextLsn) {
        final ByteBuffer out =
                ByteBuffer.allocate(PAGE_ID_LENGTH + Long.BYTES + Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(0).putInt(0).putInt(0).putLong(undoNextLsn).putInt(0);
        return out.flip();
    }

    /** Encodes a FULL_PAGE payload. */
    public static ByteBuffer encodeFullPage(final long dbId, final int areaId, final long pageNo, final byte[] image) {
        return encodeFullPage(dbId, areaId, pageNo, new org.agrona.concurrent.UnsafeBuffer(image));
    }

    /** Encodes a FULL_PAGE payload from an image in any buffer. */
    public static ByteBuffer encodeFullPage(
            final long dbId, final int areaId, final long pageNo, final DirectBuffer image) {
        final ByteBuffer b = ByteBuffer.allocate(PAGE_ID_LENGTH + PAGE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(dbId).putInt(areaId).putInt((int) pageNo);
        image.getBytes(0, b, PAGE_ID_LENGTH, PAGE_LENGTH);
        return b.position(PAGE_ID_LENGTH + PAGE_LENGTH).flip();
    }

    /** The page id of a PAGE_DIFF, CLR or FULL_PAGE payload: {database id, area id, page number}. */
    public static long[] pageId(final ByteBuffer payload) {
        final ByteBuffer d = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return new long[] {d.getLong(0), d.getInt(8), d.getInt(12) & 0xFFFF_FFFFL};
    }

    /** The undo-next LSN of a CLR payload. */
    public static long undoNext(final ByteBuffer clr) {
        return clr.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(PAGE_ID_LENGTH);
    }

    /** Applies a PAGE_DIFF's after images ({@code redo}) or before images (undo) to a page. */
    public static void applyDiff(final ByteBuffer diff, final MutableDirectBuffer page, final boolean redo) {
        final ByteBuffer d = diff.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        d.position(PAGE_ID_LENGTH);
        final int count = checkCount(d.getInt());
        for (int r = 0; r < count; r++) {
            final int off = d.getShort() & 0xFFFF;
            final int len = checkRange(off, d.getShort() & 0xFFFF);
            if (redo) {
                d.position(d.position() + len);
            }
            page.putBytes(off, d, d.position(), len);
            d.position(d.position() + (redo ? len : 2 * len));
        }
    }

    /** Applies a CLR's images to a page. */
    public static void applyClr(final ByteBuffer clr, final MutableDirectBuffer page) {
        final ByteBuffer d = clr.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        d.position(PAGE_ID_LENGTH + Long.BYTES);
        final int count = checkCount(d.getInt());
        for (int r = 0; r < count; r++) {
            final int off = d.getShort() & 0xFFFF;
            final int len = checkRange(off, d.getShort() & 0xFFFF);
            page.putBytes(off, d, d.position(), len);
            d.position(d.position() + len);
        }
    }

    /** Applies a FULL_PAGE image. */
    public static void applyFullPage(final ByteBuffer full, final MutableDirectBuffer page) {
        final ByteBuffer d = full.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        page.putBytes(0, d, PAGE_ID_LENGTH, PAGE_LENGTH);
    }

    /** Bytes that a diff's images cover (the bytes actually changed, 8-byte granular). */
    public static int changedBytes(final ByteBuffer diff) {
        final ByteBuffer d = diff.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        d.position(PAGE_ID_LENGTH);
        final int count = d.getInt();
        int total = 0;
        for (int r = 0; r < count; r++) {
            d.getShort();
            final int len = d.getShort() & 0xFFFF;
            total += len;
            d.position(d.position() + 2 * len);
        }
        return total;
    }

    private static int checkCount(final int count) {
        if (count < 0 || count > PAGE_LENGTH / Long.BYTES) {
            throw new BessException(ErrorCode.BAD_FORMAT, "corrupt page diff: range count " + count);
        }
        return count;
    }

    private static int checkRange(final int off, final int len) {
        if (off + len > PAGE_LENGTH) {
            throw new BessException(ErrorCode.BAD_FORMAT, "corrupt page diff: range " + off + "+" + len);
        }
        return len;
    }
}
