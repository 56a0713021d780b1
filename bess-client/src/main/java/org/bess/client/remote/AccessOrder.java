package org.bess.client.remote;

import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongArrayList;

/**
 * The order in which a transaction first reached pages (or segments), kept as the next transaction's prediction: a
 * client that fetches one asks in the same request for those the previous transaction reached after it. Used by the
 * copy-on-access re-locks ({@code FETCH_PAGES}) and the batched slot fetches ({@code SEGMENT_SLOTS_MANY}).
 */
final class AccessOrder {
    private final int maxOrder;
    /** What this transaction reached, in order (with repeats), at most {@link #maxOrder}. */
    private final LongArrayList order = new LongArrayList();
    /** The previous transaction's pages in order, each once. */
    private long[] previous = new long[0];

    private int previousCount;
    /** Each previous page's first position in {@link #previous}. */
    private final Long2LongHashMap previousIndex = new Long2LongHashMap(-1);

    /** @param maxOrder the most pages remembered per transaction. */
    AccessOrder(final int maxOrder) {
        this.maxOrder = maxOrder;
    }

    /** Notes that this transaction reached {@code page}. */
    void record(final long page) {
        if (order.size() < maxOrder) {
            order.addLong(page);
        }
    }

    /**
     * At the end of a transaction: what it reached becomes the prediction. A transaction that reached nothing keeps the
     * previous prediction.
     */
    void rotate() {
        if (order.isEmpty()) {
            return;
        }
        if (previous.length < order.size()) {
            previous = new long[order.size()];
        }
        previousIndex.clear();
        previousCount = 0;
        for (int i = 0; i < order.size(); i++) {
            final long p = order.getLong(i);
            if (previousIndex.get(p) < 0) {
                previousIndex.put(p, previousCount);
                previous[previousCount++] = p;
            }
        }
        order.clear();
    }

    /** What this transaction reached last; -1 when nothing yet. */
    long last() {
        return order.isEmpty() ? -1 : order.getLong(order.size() - 1);
    }

    /** Where the previous transaction first reached {@code page}; -1 when it did not. */
    int positionOf(final long page) {
        return (int) previousIndex.get(page);
    }

    /** How many distinct pages the previous transaction reached. */
    int previousCount() {
        return previousCount;
    }

    /** The {@code i}-th distinct page the previous transaction reached. */
    long previous(final int i) {
        return previous[i];
    }
}
