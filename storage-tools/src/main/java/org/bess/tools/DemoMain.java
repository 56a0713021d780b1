package org.bess.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;

/**
 * {@code ./bess demo}: the tour. First a self-check of the native shim that a person can read: in a temporary node
 * directory it
 * reserves 64 GiB of address space, maps one file page at two virtual addresses, shows that they share the page,
 * protects one read-only, and lets a child JVM prove that a stray write into a read-only page kills the writer with
 * SIGSEGV and never reaches the file (see {@link ShimSelfCheck}). Then the storage engine, embedded (see {@link
 * StorageDemo}): two databases, two areas, objects with references across both databases, a file moved and compacted,
 * a reopen, a walk of every reference and an offline check. Last the node server (see {@link NodeServerDemo}): a
 * daemon in a child JVM, a shared-memory and a copy-on-access client process running bank transfers at once, one
 * SIGKILLed mid-transaction and cleaned up by the server, the server SIGKILLed and restarted (recovery), every
 * acknowledged transfer verified, the counters printed, the server stopped with SIGTERM.
 *
 * <p>Usage: {@code DemoMain [--keep]}; {@code --keep} keeps the node directory (file, crash report) for inspection.
 * Exit codes: 0 when every step held, 1 when one failed (the last line says which), 2 for a usage error.
 *
 * <p>Not thread safe; the main thread of a short-lived process.
 */
public final class DemoMain {
    /** The last line of the report of a passing self-check. */
    public static final String OK_LINE = "demo: ok";

    /** Printed when the shim part passed. */
    public static final String SHIM_OK_LINE = "shim self-check: ok";

    /** The start of the last line of the report of a failing self-check; the reason follows in parentheses. */
    public static final String FAILED_PREFIX = "demo: FAILED";

    private static final String KEEP_OPTION = "--keep";

    private DemoMain() {}

    /**
     * Runs the self-check and exits the process with its exit code.
     *
     * @param args {@code [--keep]}.
     */
    public static void main(final String[] args) {
        if (args.length > 1 || (args.length == 1 && !KEEP_OPTION.equals(args[0]))) {
            System.err.println("usage: bess demo [--keep]   (--keep: keep the temporary node directory)");
            System.exit(2);
        }
        System.exit(run(System.out, args.length == 1));
    }

    /**
     * Runs the self-check in a new temporary node directory under {@code java.io.tmpdir} and prints the report.
     *
     * @param out where the report goes.
     * @param keepNodeDir whether to keep the node directory instead of deleting it.
     * @return the exit code: 0 when the self-check passed, 1 when it failed.
     */
    public static int run(final PrintStream out, final boolean keepNodeDir) {
        out.printf(
                Locale.ROOT,
                "bess demo: self-check of the native shim (%s %s, Java %s)%n",
                System.getProperty("os.name"),
                System.getProperty("os.arch"),
                System.getProperty("java.version"));
        if (!Object.class.getModule().isOpen("jdk.internal.misc", DemoMain.class.getModule())) {
            // Agrona's buffers need it; without it the first access to a frame would die with IllegalAccessError
            return verdict(
                    out,
                    "java.base/jdk.internal.misc is not opened: run ./bess demo, which adds the --add-opens flags");
        }
        final Path nodeDir;
        try {
            nodeDir = Files.createTempDirectory("bess-demo-");
        } catch (final IOException e) {
            return verdict(out, "cannot create a node directory in java.io.tmpdir: " + e.getMessage());
        }
        out.println("node directory: " + nodeDir);
        String failure = runCheck(nodeDir, out);
        if (keepNodeDir) {
            out.println("node directory kept: " + nodeDir);
        } else {
            try {
                deleteRecursively(nodeDir);
                out.println("node directory deleted");
            } catch (final IOException | UncheckedIOException e) {
                out.println("could not delete the node directory: " + e.getMessage());
                failure = failure == null ? "node directory not deleted: " + nodeDir : failure;
            }
        }
        return verdict(out, failure);
    }

    /** Returns null when every step passed, otherwise the reason. */
    private static String runCheck(final Path nodeDir, final PrintStream out) {
        try (ShimSelfCheck check = new ShimSelfCheck(nodeDir, out)) {
            check.run();
            out.println(SHIM_OK_LINE);
            out.println();
            out.println("storage: databases, areas, objects and references, embedded");
            final String storage = new StorageDemo(nodeDir, out).run();
            if (storage != null) {
                return storage;
            }
            out.println();
            out.println("node server: a daemon, a shared-memory and a copy-on-access client process, kills, recovery");
            return new NodeServerDemo(nodeDir.resolve("node-server"), out).run();
        } catch (final ShimSelfCheck.CheckFailedException e) {
            return e.getMessage();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (final IOException | RuntimeException | LinkageError e) {
            // a NativeException names the call, the errno and the arguments: that is the reason to show
            return e.toString();
        }
    }

    private static int verdict(final PrintStream out, final String failure) {
        if (failure == null) {
            out.println(OK_LINE);
        } else {
            out.println(FAILED_PREFIX + " (" + failure + ")");
        }
        out.flush();
        return failure == null ? 0 : 1;
    }

    private static void deleteRecursively(final Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path dir, final IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
