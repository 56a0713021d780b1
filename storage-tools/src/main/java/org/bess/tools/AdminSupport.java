package org.bess.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.bess.client.Session;
import org.bess.exceptions.BessException;
import org.bess.server.BessServer;
import org.bess.server.Context;

/**
 * What every admin command shares: an embedded engine on a private, temporary node directory with a small cache, and
 * the rule that a failure is one line naming the problem, never a stack trace.
 */
final class AdminSupport {
    /** Exit code of a failed command. */
    static final int FAILED = 1;
    /** Exit code of a check that found damage. */
    static final int DAMAGED = 3;

    private AdminSupport() {}

    /** A temporary node directory, deleted by {@link #deleteTree}. */
    static Path tempNodeDir() {
        try {
            return Files.createTempDirectory("bess-admin-");
        } catch (final IOException e) {
            throw new BessException(org.bess.exceptions.ErrorCode.IO, "cannot create a temporary directory: " + e);
        }
    }

    /** An embedded session for one admin command, with a 32 MiB cache. */
    static Session session(final Path nodeDir) {
        return BessServer.embedded(new Context().nodeDir(nodeDir).cacheSizeBytes(32L << 20));
    }

    /** Runs a command body: prints one line and returns {@link #FAILED} on a bess or I/O failure. */
    static int run(final PrintWriter err, final String command, final Body body) {
        final Path nodeDir = tempNodeDir();
        try (Session session = session(nodeDir)) {
            return body.run(session);
        } catch (final BessException e) {
            err.println("bess-admin " + command + ": " + e.getMessage());
            return FAILED;
        } catch (final IOException | RuntimeException e) {
            err.println("bess-admin " + command + ": " + e);
            return FAILED;
        } finally {
            deleteTree(nodeDir);
        }
    }

    /** A command body that talks to a running node server. */
    @FunctionalInterface
    interface OnlineBody {
        int run();
    }

    /** Runs a command against a running node server: prints one line and returns {@link #FAILED} on a failure. */
    static int online(final PrintWriter err, final String command, final OnlineBody body) {
        try {
            return body.run();
        } catch (final BessException e) {
            err.println("bess-admin " + command + ": " + e.getMessage());
            return FAILED;
        } catch (final RuntimeException e) {
            err.println("bess-admin " + command + ": " + e);
            return FAILED;
        }
    }

    /** Deletes a directory tree, ignoring what cannot be deleted. */
    static void deleteTree(final Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (final IOException e) {
                    // a leftover temporary file is harmless
                }
            });
        } catch (final IOException e) {
            // nothing more to do
        }
    }

    /** Human size: bytes, KiB, MiB, GiB. */
    static String size(final long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** A command body. */
    @FunctionalInterface
    interface Body {
        int run(Session session) throws IOException;
    }
}
