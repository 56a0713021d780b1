package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.LogRecordDescriptor;
import org.bess.server.txn.PageDiff;

/**
 * The byte-copying half of restart's redo: writes the images of page records into cache frames, either at once on the
 * caller's thread ({@link #inline()}) or on a second thread fed through a ring ({@link #threaded()}), so that on a
 * machine with two cores reading the log, finding pages and bringing them in ({@link RedoPages}, the producer) runs
 * beside the writes into the pages (this consumer).
 *
 * <p>An entry names a record's payload (in the log's mapping, or the scanner's read buffer) and the frame the page is
 * in. Records of one page are applied in the order they were added (one consumer, a FIFO ring), which is all redo
 * needs: records of different pages are independent. The producer must {@link #drain()} before anything can change
 * the bytes an entry points to: the scanner's window moving on (its mapping released or its buffer read again), a
 * frame replaced or written back (a pin that is not a miss into a free frame), a pin that zeroes a cached frame, and
 * before anyone reads the pages (the end of redo).
 *
 * <p>A failure on the thread (a corrupt record) is kept and thrown by the producer's next {@link #add}, {@link #drain}
 * or {@link #close}, as a recovery failure. {@link #close()} stops the thread on every path (it does not apply what is
 * left: call {@link #drain()} first on success). Waits are bounded spins followed by parks.
 */
abstract class RedoApplier implements AutoCloseable {
    private static final int DIFF_RANGE_COUNT_OFFSET = PageDiff.PAGE_ID_LENGTH;
    private static final int CLR_RANGE_COUNT_OFFSET = PageDiff.PAGE_ID_LENGTH + Long.BYTES;
    /** Ranges up to this length are copied a long at a time. */
    private static final int SMALL_RANGE = 64;

    /** Applies at once, on the caller's thread. */
    static RedoApplier inline() {
        return new Inline();
    }

    /** Applies on a second thread, named {@code bess-redo-apply}. */
    static RedoApplier threaded() {
        return new Threaded();
    }

    /**
     * Adds a page record to apply.
     *
     * @param payload the address of the record's payload (the page id first).
     * @param payloadLength its length.
     * @param type {@code FULL_PAGE}, {@code PAGE_DIFF} or {@code CLR}.
     * @param frame the address of the frame holding the page.
     */
    abstract void add(long payload, int payloadLength, short type, long frame);

    /** Returns once every record added has been applied; throws the applier's failure, if any. */
    abstract void drain();

    @Override
    public abstract void close();

    /** Writes one record's images into its page (whose frame is wrapped by {@code page}). */
    static void apply(final UnsafeBuffer record, final UnsafeBuffer page, final short type) {
        switch (type) {
            case LogRecordDescriptor.TYPE_FULL_PAGE -> page.putBytes(0, record, PageDiff.PAGE_ID_LENGTH, PAGE_LENGTH);
            case LogRecordDescriptor.TYPE_CLR -> applyRanges(record, page, CLR_RANGE_COUNT_OFFSET, false);
            default -> applyRanges(record, page, DIFF_RANGE_COUNT_OFFSET, true);
        }
    }

    /** Ranges: offset (2), length (2), then for a diff its before and after images, for a CLR the image to apply. */
    private static void applyRanges(
            final UnsafeBuffer b, final UnsafeBuffer page, final int countAt, final boolean diff) {
        final int count = b.getInt(countAt);
        if (count < 0 || count > PAGE_LENGTH / Long.BYTES) {
            throw new BessException(ErrorCode.BAD_FORMAT, "corrupt page diff: range count " + count);
        }
        int at = countAt + Integer.BYTES;
        for (int i = 0; i < count; i++) {
            final int off = b.getShort(at) & 0xFFFF;
            final int len = b.getShort(at + Short.BYTES) & 0xFFFF;
            if (off + len > PAGE_LENGTH) {
                throw new BessException(ErrorCode.BAD_FORMAT, "corrupt page diff: range " + off + "+" + len);
            }
            at += 2 * Short.BYTES;
            if (diff) {
                // skip the before image
                at += len;
            }
            if (len <= SMALL_RANGE && (len & (Long.BYTES - 1)) == 0 && (off & (Long.BYTES - 1)) == 0) {
                // diff ranges are whole longs: small ones are faster copied by hand than through copyMemory
                for (int i2 = 0; i2 < len; i2 += Long.BYTES) {
                    page.putLong(off + i2, b.getLong(at + i2));
                }
            } else {
                page.putBytes(off, b, at, len);
            }
            at += len;
        }
    }

    /** On the caller's thread. */
    private static final class Inline extends RedoApplier {
        private final UnsafeBuffer record = new UnsafeBuffer(0, 0);
        private final UnsafeBuffer page = new UnsafeBuffer(0, 0);

        @Override
        void add(final long payload, final int payloadLength, final short type, final long frame) {
            record.wrap(payload, payloadLength);
            page.wrap(frame, PAGE_LENGTH);
            apply(record, page, type);
        }

        @Override
        void drain() {
            // applied already
        }

        @Override
        public void close() {
            // nothing to stop
        }
    }

    /** On a thread of its own, fed through a single-producer single-consumer ring. */
    private static final class Threaded extends RedoApplier implements Runnable {
        /**
         * Entries in the ring (a power of two): about 16,384 records behind the producer at most, some 3 ms of the
         * producer's work, longer than the thread's timed park, so that the thread mostly wakes by itself rather than
         * by the producer's unpark (a system call on the producer's side, which is the slower one).
         */
        private static final int CAPACITY = 16_384;
        /** Longs per entry: payload address, frame address, payload length and type. */
        private static final int STRIDE = 3;
        /** Entries the producer adds before it publishes them (and wakes the thread if it sleeps). */
        private static final int BATCH = 64;
        /** Spins (each a {@link Thread#onSpinWait()}) before the producer's wait parks. */
        private static final int SPINS = 2_000;
        /**
         * Spins before the thread parks when it has caught up: short, because the producer (which also reads and
         * checks the log) is the slower side and the thread would otherwise spin for most of its time, taking a core
         * from the producer or the frame population on a machine with two.
         */
        private static final int CONSUMER_SPINS = 64;
        /**
         * Entries waiting before the producer wakes a parked thread (a wake is a system call: once per this many
         * entries, not per batch); a full ring or a drain wakes it at once.
         */
        private static final int WAKE = CAPACITY / 2;
        /** The longest park of a wait (the other side unparks it earlier). */
        private static final long PARK_NANOS = 1_000_000;

        private final long[] ring = new long[CAPACITY * STRIDE];
        /** Entries published by the producer (a release: the ring slots below it are written). */
        private final AtomicLong published = new AtomicLong();
        /** Entries applied by the thread. */
        private final AtomicLong applied = new AtomicLong();

        private volatile boolean stop;
        private volatile boolean consumerParked;
        private volatile boolean producerParked;
        private volatile Throwable failure;
        private final Thread producer = Thread.currentThread();
        private final Thread thread;
        /** Entries added (producer only). */
        private long added;

        Threaded() {
            thread = new Thread(this, "bess-redo-apply");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        void add(final long payload, final int payloadLength, final short type, final long frame) {
            if (added - applied.get() >= CAPACITY) {
                publish(true);
                waitFor(added - CAPACITY + 1);
            }
            final int at = (int) (added & (CAPACITY - 1)) * STRIDE;
            ring[at] = payload;
            ring[at + 1] = frame;
            ring[at + 2] = ((long) payloadLength << 16) | (type & 0xFFFF);
            added++;
            if ((added & (BATCH - 1)) == 0) {
                publish(false);
            }
        }

        /** Publishes the entries added; wakes a parked thread when {@code now} or when enough entries wait. */
        private void publish(final boolean now) {
            // a full fence (not lazySet): the check of consumerParked below must not pass the store
            published.set(added);
            if (consumerParked && (now || added - applied.get() >= WAKE)) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        void drain() {
            publish(true);
            waitFor(added);
            checkFailure();
        }

        /** Waits until the thread has applied {@code count} entries (or failed). */
        private void waitFor(final long count) {
            int spins = 0;
            while (applied.get() < count) {
                checkFailure();
                if (!thread.isAlive()) {
                    // its failure, if it failed between the check above and its end
                    checkFailure();
                    throw new BessException(ErrorCode.ILLEGAL_STATE, "recovery: the redo apply thread stopped");
                }
                if (spins < SPINS) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    producerParked = true;
                    if (applied.get() < count && failure == null) {
                        LockSupport.parkNanos(this, PARK_NANOS);
                    }
                    producerParked = false;
                }
            }
        }

        private void checkFailure() {
            final Throwable t = failure;
            if (t != null) {
                throw new BessException(
                        t instanceof BessException b ? b.errorCode() : ErrorCode.ILLEGAL_STATE,
                        "recovery: redo failed applying a page record: " + t.getMessage(),
                        t);
            }
        }

        @Override
        public void run() {
            final UnsafeBuffer record = new UnsafeBuffer(0, 0);
            final UnsafeBuffer page = new UnsafeBuffer(0, 0);
            long next = 0;
            try {
                while (!stop) {
                    final long available = published.get();
                    if (next == available) {
                        waitForWork(next);
                        continue;
                    }
                    while (next < available) {
                        final int at = (int) (next & (CAPACITY - 1)) * STRIDE;
                        final long lengthAndType = ring[at + 2];
                        record.wrap(ring[at], (int) (lengthAndType >>> 16));
                        page.wrap(ring[at + 1], PAGE_LENGTH);
                        apply(record, page, (short) lengthAndType);
                        next++;
                        if ((next & (BATCH - 1)) == 0) {
                            applied.lazySet(next);
                        }
                    }
                    applied.set(next);
                    if (producerParked) {
                        LockSupport.unpark(producer);
                    }
                }
            } catch (final Throwable t) {
                failure = t;
                LockSupport.unpark(producer);
            }
        }

        private void waitForWork(final long next) {
            for (int spins = 0; spins < CONSUMER_SPINS; spins++) {
                if (published.get() != next || stop) {
                    return;
                }
                Thread.onSpinWait();
            }
            consumerParked = true;
            if (published.get() == next && !stop) {
                LockSupport.parkNanos(this, PARK_NANOS);
            }
            consumerParked = false;
        }

        @Override
        public void close() {
            stop = true;
            FramePrefault.joinUninterruptibly(thread);
        }
    }
}
