package org.bess.server;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's I/O thread: runs asynchronous large-object operations and prefetch hints, one at a time, in submission
 * order. The engine is single threaded, so the I/O thread and the session thread never run engine code at the same
 * time: every entry point of the session thread into the engine first calls {@link #barrier()}, which waits until every
 * operation submitted so far has finished (callbacks on their futures included). Prefetch hints see the barrier
 * waiting through {@link #hintsShouldStop()} and stop early. While operations run, the session thread may still use
 * the hot path of objects it has open (a frame-state check and a memory access), which touches no engine state; the
 * I/O thread in turn never touches the virtual frames (it does not run the cache's pressure handler and does not
 * resize windows).
 *
 * <p>{@link #submit} and {@link #barrier} are called from the session thread (or from the I/O thread itself, in a
 * callback, where the barrier is a no-op).
 */
final class EngineIoThreads implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineIoThreads.class);
    private static final long CLOSE_TIMEOUT_MS = 30_000;

    private ExecutorService executor;
    private volatile Thread ioThread;
    private volatile boolean barrierWaiting;
    /** Completes when the last operation submitted has finished; written under the lock, read without it. */
    private volatile CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    private boolean closed;
    private long submitted;

    EngineIoThreads(final BessServer server) {
        // the operations take the engine latch themselves (see EngineLargeObject#submit)
    }

    /** Whether the caller runs on the I/O thread. */
    boolean onIoThread() {
        return Thread.currentThread() == ioThread;
    }

    /** Whether a running hint should stop because the session thread waits at the barrier. */
    boolean hintsShouldStop() {
        return barrierWaiting;
    }

    /** Operations submitted so far. */
    synchronized long submitted() {
        return submitted;
    }

    /**
     * Queues an operation.
     *
     * @return a future completed with its result, or failed with its exception (the session closed: {@code
     *     ILLEGAL_STATE}).
     */
    synchronized <T> CompletableFuture<T> submit(final Callable<T> operation) {
        final CompletableFuture<T> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(
                    new BessException(ErrorCode.ILLEGAL_STATE, "session is closed: no more asynchronous operations"));
            return result;
        }
        final CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            executor().execute(() -> run(operation, result, done));
        } catch (final RejectedExecutionException e) {
            result.completeExceptionally(new BessException(ErrorCode.ILLEGAL_STATE, "engine I/O thread stopped", e));
            return result;
        }
        submitted++;
        tail = done;
        return result;
    }

    private static <T> void run(
            final Callable<T> operation, final CompletableFuture<T> result, final CompletableFuture<Void> done) {
        try {
            final T value;
            try {
                value = operation.call();
            } catch (final Exception | Error e) {
                // the failure surfaces through the future; later operations still run
                result.completeExceptionally(e);
                return;
            }
            // callbacks on the future run here, still before the barrier lets the session thread in
            result.complete(value);
        } finally {
            done.complete(null);
        }
    }

    private ExecutorService executor() {
        if (executor == null) {
            executor = Executors.newSingleThreadExecutor(r -> {
                final Thread t = new Thread(r, "bess-io");
                t.setDaemon(true);
                ioThread = t;
                return t;
            });
        }
        return executor;
    }

    /** Whether everything submitted so far has finished (then {@link #barrier()} has nothing to wait for). */
    boolean idle() {
        return tail.isDone();
    }

    /** Waits until every operation submitted so far has finished; a no-op on the I/O thread. */
    void barrier() {
        // pairs with the volatile write in submit: every operation submitted before this call is behind 'last'
        final CompletableFuture<Void> last = tail;
        if (last.isDone() || onIoThread()) {
            return;
        }
        barrierWaiting = true;
        try {
            last.join();
        } finally {
            barrierWaiting = false;
        }
    }

    /** Waits for the queued operations, then stops the thread. */
    @Override
    public void close() {
        barrier();
        final ExecutorService e;
        synchronized (this) {
            closed = true;
            e = executor;
        }
        if (e == null) {
            return;
        }
        e.shutdown();
        try {
            if (!e.awaitTermination(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                LOG.warn("engine I/O thread did not stop within {} ms", CLOSE_TIMEOUT_MS);
            }
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
