package org.bess.server.log;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Verifies the log's records ahead of a long scan, on a thread of its own ({@code bess-log-check}): it walks the same
 * records from the same LSN with every check a scan makes (lengths at both ends, LSN field, CRC32C, payload length),
 * through a mapping of its own of each segment, and publishes how far every record matched ({@link #verified()}). The
 * scan it runs ahead of still checks each record's lengths and LSN field itself and computes the checksum only of the
 * records past that point, so the scan stops at the first invalid record as before: this thread only saves it the
 * checksums of records already verified. It reads only mapped segments (a device that does not map gives it nothing
 * to check: it stops at once and the scan checks everything), and any failure of its own (an I/O error on a mapped
 * page) just stops it: it is advisory.
 *
 * <p>Both read the same bytes: the log below its end is not written while a scan runs (restart's open scan runs
 * before the log is open), and two mappings of one file see the same page cache.
 */
final class LogCheckAhead implements Runnable, AutoCloseable {
    /** Records verified between two publications (a store the scanning thread may read). */
    private static final int PUBLISH_EVERY = 16;

    private final LogScanner scanner;
    /** Every record that ends at or before this LSN passed every check (a release by this thread). */
    private final AtomicLong verified;

    private volatile boolean stop;
    private final Thread thread;

    /** Starts verifying the records from {@code fromLsn} on (the LSN the scan starts at). */
    LogCheckAhead(final LogDevice device, final long segmentLength, final long fromLsn) {
        this.scanner = LogScanner.mappedOnly(device, segmentLength, fromLsn);
        this.verified = new AtomicLong(fromLsn);
        this.thread = new Thread(this, "bess-log-check");
        thread.setDaemon(true);
        thread.start();
    }

    /** Every record that ends at or before this LSN passed every check of a scan. */
    long verified() {
        return verified.get();
    }

    /** Why this thread's own walk stopped ("not started" while it runs; for tests). */
    String stopReason() {
        return scanner.stopReason();
    }

    /** Waits for the thread to end its walk (tests: everything it will verify is verified). */
    void awaitEnd() {
        joinUninterruptibly();
    }

    @Override
    public void run() {
        try (LogScanner s = scanner) {
            int n = 0;
            while (!stop && s.advance()) {
                if (++n == PUBLISH_EVERY) {
                    n = 0;
                    verified.lazySet(s.position());
                }
            }
            verified.lazySet(s.position());
        } catch (final RuntimeException | InternalError e) {
            // advisory: the scan checks the records past the last published position itself
        }
    }

    /** Stops the thread and waits for it (its mapping released). */
    @Override
    public void close() {
        stop = true;
        joinUninterruptibly();
    }

    private void joinUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (final InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
