package org.bess.server.remote;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import org.bess.client.remote.Wire;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * How a {@link SessionEndpoint} treats its clients: the heartbeat interval it asks for and the silence after which it
 * expires a client, the per-client quotas it enforces (request frame size, open transactions per client process,
 * pages a transaction writes in place), where connection ids come from (the daemon shares one id space between its
 * control and session clients) and whom it tells when clients of a mode come and go (the daemon's counters).
 * The per-transaction lock quota is the engine's ({@code LockContext.maxLocksPerTransaction}).
 *
 * <p>Fluent; not thread safe while being built, read only once the endpoint started.
 */
public final class SessionSettings {
    /** Default client slots of a shared-memory client's recovery buffer (first writes without a request). */
    public static final int DEFAULT_CLIENT_IMAGE_SLOTS = 256;

    /** Default heartbeat interval. */
    public static final int DEFAULT_HEARTBEAT_MS = 1000;
    /** Default expiry: an idle connection not heard from for this long is taken for a hung client. */
    public static final int DEFAULT_EXPIRY_MS = 10_000;

    private int heartbeatMs = DEFAULT_HEARTBEAT_MS;
    private int expiryMs = DEFAULT_EXPIRY_MS;
    private int maxFrameBytes = Wire.MAX_FRAME;
    private int maxTransactionsPerProcess = Integer.MAX_VALUE;
    private int maxWrittenPages = Integer.MAX_VALUE;
    private int clientImageSlots = DEFAULT_CLIENT_IMAGE_SLOTS;
    private boolean fenceExpiredWriters = true;
    private LongSupplier ids = new AtomicLong(1)::getAndIncrement;
    private IntConsumer onHello = mode -> {};
    private IntConsumer onGone = mode -> {};

    /**
     * Sets the heartbeat interval clients are asked for and the expiry timeout.
     *
     * @param intervalMs heartbeat interval, 10 ms to 60 s.
     * @param timeoutMs silence after which an idle client is expired: at least three intervals, at most one hour.
     * @return this.
     */
    public SessionSettings heartbeat(final int intervalMs, final int timeoutMs) {
        if (intervalMs < 10 || intervalMs > 60_000) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT, "heartbeat interval out of range (10..60000 ms): " + intervalMs);
        }
        if (timeoutMs < 3 * intervalMs || timeoutMs > 3_600_000) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "heartbeat timeout must be 3 intervals to 1 hour: timeout=" + timeoutMs + " ms, interval="
                            + intervalMs + " ms");
        }
        this.heartbeatMs = intervalMs;
        this.expiryMs = timeoutMs;
        return this;
    }

    /**
     * Sets the largest request frame (after the length word) one client may send; a larger one (up to
     * {@link Wire#MAX_FRAME}) is read and dropped and answered with {@code QUOTA}.
     */
    public SessionSettings maxFrameBytes(final int bytes) {
        if (bytes < 4096 || bytes > Wire.MAX_FRAME) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT, "frame quota out of range (4096.." + Wire.MAX_FRAME + "): " + bytes);
        }
        this.maxFrameBytes = bytes;
        return this;
    }

    /** Sets how many transactions the sessions of one client process (uid and pid) may have open at once. */
    public SessionSettings maxTransactionsPerProcess(final int count) {
        this.maxTransactionsPerProcess = positive("transaction quota", count);
        return this;
    }

    /**
     * Sets how many pages one transaction of a shared-memory client may X-lock and before-image itself, without a
     * request (the client slots of its recovery buffer: 4 KiB of {@code /dev/shm} each, touched only when used); its
     * next first writes are requests. 0 turns the client's first-write fast path off.
     */
    public SessionSettings clientImageSlots(final int slots) {
        if (slots < 0 || slots > 65_536) {
            throw new org.bess.exceptions.BessException(
                    org.bess.exceptions.ErrorCode.BAD_ARGUMENT,
                    "client image slots out of range: " + slots + " (0 to 65536)");
        }
        this.clientImageSlots = slots;
        return this;
    }

    int clientImageSlots() {
        return clientImageSlots;
    }

    /**
     * Sets how many pages one client transaction may write in place (each first write takes a page into the
     * recovery buffer: its before-image); the next one is refused with {@code QUOTA}.
     */
    public SessionSettings maxWrittenPages(final int pages) {
        this.maxWrittenPages = positive("recovery-buffer page quota", pages);
        return this;
    }

    /**
     * Whether an expired shared-memory client with pages open for writing is killed (SIGKILL, when its declared pid
     * is a process of its uid): its writable mappings of the cache cannot be revoked from outside, so only killing it
     * keeps it from writing into pages that are no longer its own. Default true.
     */
    public SessionSettings fenceExpiredWriters(final boolean fence) {
        this.fenceExpiredWriters = fence;
        return this;
    }

    /** Sets where connection ids come from. */
    public SessionSettings ids(final LongSupplier source) {
        this.ids = source;
        return this;
    }

    /** Sets who hears of a client's {@code HELLO} and of its end, with its mode (0 shared memory, 1 copy). */
    public SessionSettings clientListener(final IntConsumer hello, final IntConsumer gone) {
        this.onHello = hello;
        this.onGone = gone;
        return this;
    }

    private static int positive(final String what, final int n) {
        if (n < 1) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, what + " must be positive: " + n);
        }
        return n;
    }

    int heartbeatMs() {
        return heartbeatMs;
    }

    int expiryMs() {
        return expiryMs;
    }

    int maxFrameBytes() {
        return maxFrameBytes;
    }

    int maxTransactionsPerProcess() {
        return maxTransactionsPerProcess;
    }

    int maxWrittenPages() {
        return maxWrittenPages;
    }

    boolean fenceExpiredWriters() {
        return fenceExpiredWriters;
    }

    long nextId() {
        return ids.getAsLong();
    }

    void hello(final int mode) {
        onHello.accept(mode);
    }

    void gone(final int mode) {
        onGone.accept(mode);
    }
}
