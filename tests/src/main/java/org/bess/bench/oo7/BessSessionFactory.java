package org.bess.bench.oo7;

import java.nio.file.Path;
import java.util.Locale;
import org.bess.client.Bess;
import org.bess.client.Session;
import org.bess.server.BessServer;
import org.bess.server.Context;

/**
 * How {@link BessOo7} gets its {@link Session}: the one hook between the benchmark and a client mode. Everything after
 * it uses the {@code Session} interface only, so the same OO7 code runs embedded and as a shared-memory or
 * copy-on-access client ({@link Bess#connect}) of an engine and session endpoint the factory starts in this JVM
 * ({@link HostedClientSession}: closing the session stops them). The benchmarks take the mode from the system property
 * {@value #MODE_PROP_NAME} ({@code embedded}, {@code shared-memory} or {@code copy-on-access}; {@code shared} and
 * {@code copy} for short).
 */
@FunctionalInterface
public interface BessSessionFactory {
    /** The system property naming the client mode of the OO7 benchmarks. */
    String MODE_PROP_NAME = "bess.oo7.session";
    /** The engine cache of the embedded mode: holds the medium module whole. */
    long CACHE_SIZE_BYTES = 256L << 20;

    /**
     * Opens a session on a node directory.
     *
     * @param nodeDir the node's directory (created by the embedded engine when missing).
     * @return the session.
     */
    Session open(Path nodeDir);

    /** An embedded engine in this process with a {@link #CACHE_SIZE_BYTES} cache. */
    static BessSessionFactory embedded() {
        return nodeDir -> BessServer.embedded(new Context().nodeDir(nodeDir).cacheSizeBytes(CACHE_SIZE_BYTES));
    }

    /**
     * A shared-memory client of an engine and endpoint started in this JVM with a {@link #CACHE_SIZE_BYTES} cache.
     */
    static BessSessionFactory sharedMemory() {
        return nodeDir -> HostedClientSession.start(nodeDir, CACHE_SIZE_BYTES, Bess.Mode.SHARED_MEMORY);
    }

    /**
     * A copy-on-access client of an engine and endpoint started in this JVM with a {@link #CACHE_SIZE_BYTES} cache.
     */
    static BessSessionFactory copyOnAccess() {
        return nodeDir -> HostedClientSession.start(nodeDir, CACHE_SIZE_BYTES, Bess.Mode.COPY_ON_ACCESS);
    }

    /**
     * The factory of a mode name.
     *
     * @param mode {@code embedded}, {@code shared-memory} ({@code shared}) or {@code copy-on-access} ({@code copy}).
     * @return the factory.
     * @throws IllegalArgumentException naming the mode when it is none of these.
     */
    static BessSessionFactory of(final String mode) {
        return switch (mode.toLowerCase(Locale.ROOT)) {
            case "embedded" -> embedded();
            case "shared-memory", "shared" -> sharedMemory();
            case "copy-on-access", "copy" -> copyOnAccess();
            default -> throw new IllegalArgumentException("unknown bess session mode: " + MODE_PROP_NAME + "=" + mode
                    + ", expected embedded, shared-memory (shared) or copy-on-access (copy)");
        };
    }

    /** The factory of the mode named by {@value #MODE_PROP_NAME} (default {@code embedded}). */
    static BessSessionFactory fromProperty() {
        return of(System.getProperty(MODE_PROP_NAME, "embedded"));
    }
}
