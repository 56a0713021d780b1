package org.bess.server;

import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The LSN of the last {@code FULL_PAGE} record of each page in the valid log, gathered by the log's open scan (restart
 * analysis) so that redo can pass over what a later image replaces: a full page image sets every byte of the page, so
 * no record of the page before it matters to the page redo leaves (records are applied in LSN order). It also says
 * which pages redo leaves whole from an image in the redone log: such a page can stay dirty after restart with that
 * image as its recovery LSN (the next redo starts there and meets the image first, so even a torn or garbled write of
 * the page is repaired), while a page redo rebuilt from diffs alone is written back by the end-of-recovery checkpoint.
 *
 * <p>Keyed by database id, then area id and page number. One entry per page the log holds an image of (a 1 GiB log of
 * 8 KiB images is 131,072 entries); records of other kinds cost nothing. Not thread safe: the open scan fills it, redo
 * reads it afterwards, on the same thread.
 */
final class PageImages {
    /** Returned for a page without an image. */
    static final long NONE = 0;

    private final Long2ObjectHashMap<Long2LongHashMap> byDatabase = new Long2ObjectHashMap<>();
    private long lastDatabase = Long.MIN_VALUE;
    private Long2LongHashMap last;
    private int count;

    /**
     * Records a {@code FULL_PAGE} record whose payload (page id first: database id, area id, page number) starts at
     * {@code payloadOffset} of {@code buffer}: later images replace earlier ones.
     */
    void onFullPage(final DirectBuffer buffer, final int payloadOffset, final long lsn) {
        final long databaseId = buffer.getLong(payloadOffset);
        final int areaId = buffer.getInt(payloadOffset + Long.BYTES);
        final long pageNo = buffer.getInt(payloadOffset + Long.BYTES + Integer.BYTES) & 0xFFFF_FFFFL;
        final Long2LongHashMap pages = pages(databaseId, true);
        if (pages.put(key(areaId, pageNo), lsn) == NONE) {
            count++;
        }
    }

    /**
     * The LSN of the page's last image, or {@link #NONE}.
     *
     * @param databaseId the page's database.
     * @param areaId the page's area.
     * @param pageNo the page.
     */
    long lastImage(final long databaseId, final int areaId, final long pageNo) {
        final Long2LongHashMap pages = pages(databaseId, false);
        return pages == null ? NONE : pages.get(key(areaId, pageNo));
    }

    /** Pages with an image. */
    int count() {
        return count;
    }

    private Long2LongHashMap pages(final long databaseId, final boolean create) {
        if (databaseId != lastDatabase || last == null) {
            Long2LongHashMap pages = byDatabase.get(databaseId);
            if (pages == null) {
                if (!create) {
                    return null;
                }
                pages = new Long2LongHashMap(NONE);
                byDatabase.put(databaseId, pages);
            }
            lastDatabase = databaseId;
            last = pages;
        }
        return last;
    }

    private static long key(final int areaId, final long pageNo) {
        return ((long) areaId << 32) | pageNo;
    }
}
