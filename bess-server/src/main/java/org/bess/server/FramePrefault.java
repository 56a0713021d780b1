package org.bess.server;

import static org.bess.format.PageHeaderDescriptor.PAGE_LENGTH;

import java.util.concurrent.locks.LockSupport;
import org.bess.nativeshim.Native;
import org.bess.server.cache.BufferCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Populates the cache's frames ahead of restart's redo, on a second thread: the cache file is new at every start (in
 * {@code /dev/shm}), so the first write to each frame takes a page fault that allocates and zeroes its memory (about a
 * fifth of redo's time on the benchmark's log). A fresh cache hands its frames out in order (the clock hand), so
 * {@code madvise(MADV_POPULATE_WRITE)} of the frames from 0 up to a target, raised by the log's open scan (pages with a
 * full image so far) and then by redo (the frames it takes), does that work while the recovering thread reads the log.
 * Populating changes no byte of a frame, so it needs no coordination with the frames' users.
 *
 * <p>Best effort: a kernel without {@code MADV_POPULATE_WRITE} (before Linux 5.14) or any failure stops it quietly
 * (the faults then happen on the recovering thread, as before). The thread ends at {@link #close()}, or by itself
 * after a second without a new target.
 */
final class FramePrefault implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FramePrefault.class);

    /** Frames populated per {@code madvise} call (1 MiB). */
    private static final int CHUNK = 256;
    /** Frames ahead of the last one redo took. */
    static final int AHEAD = 1024;

    private static final long PARK_NANOS = 1_000_000;
    /** Parks without a new target before the thread ends by itself. */
    private static final int IDLE_PARKS = 1000;

    private final BufferCache cache;
    private final int frames;
    private final Thread thread;
    private volatile int target;
    private volatile boolean stop;
    /** Frames populated so far (written by the thread). */
    private volatile int done;

    private FramePrefault(final BufferCache cache) {
        this.cache = cache;
        this.frames = cache.frameCount();
        this.thread = new Thread(this::run, "bess-recovery-prefault");
        thread.setDaemon(true);
    }

    /** Starts populating frames of {@code cache}, none at first. */
    static FramePrefault start(final BufferCache cache) {
        final FramePrefault p = new FramePrefault(cache);
        p.thread.start();
        return p;
    }

    /** Raises the target: frames below {@code frame} are populated (at most the cache's frames). */
    void upTo(final int frame) {
        final int t = Math.min(frame, frames);
        if (t >= target + CHUNK || (t > target && t == frames)) {
            target = t;
            LockSupport.unpark(thread);
        }
    }

    /** Frames populated so far. */
    int populated() {
        return done;
    }

    /** The highest target set so far (frames below it were to be populated). */
    int target() {
        return target;
    }

    private void run() {
        int idle = 0;
        try {
            while (!stop && idle < IDLE_PARKS) {
                final int t = target;
                final int from = done;
                if (from < t) {
                    final int n = Math.min(CHUNK, t - from);
                    Native.madvise(cache.frameAddress(from), (long) n * PAGE_LENGTH, Native.MADV_POPULATE_WRITE);
                    done = from + n;
                    idle = 0;
                } else {
                    LockSupport.parkNanos(this, PARK_NANOS);
                    idle++;
                }
            }
        } catch (final RuntimeException e) {
            LOG.debug("recovery: populating cache frames ahead of redo stopped: {}", e.getMessage());
        }
    }

    /** Stops the thread and waits for it (its current call populates at most 1 MiB). */
    @Override
    public void close() {
        stop = true;
        joinUninterruptibly(thread);
    }

    /**
     * Wakes a recovery helper thread that was told to stop and waits until it ended; an interrupt of the caller during
     * the wait is kept for later (the helper must never outlive the recovery that started it).
     */
    static void joinUninterruptibly(final Thread thread) {
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (final InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
