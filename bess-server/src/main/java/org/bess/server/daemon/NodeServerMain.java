package org.bess.server.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.bess.exceptions.BessException;

/**
 * {@code ./bess server --node-dir DIR [--config FILE]}: runs a node server in the foreground until SIGTERM or SIGINT
 * (exit 0 after a clean stop), with its log in {@code <node dir>/logs/daemon.log} (the previous five kept as
 * {@code daemon.log.1} ... {@code .5}). Exit 1 when it cannot start (one line on stderr says why: another server owns
 * the directory, bad config, ...), 2 for a usage error.
 *
 * <p>This class touches no logger before the log file is chosen: the SLF4J backend (slf4j-simple) reads its
 * settings once, when the first logger is made.
 */
public final class NodeServerMain {
    /** The daemon's log directory inside the node directory. */
    public static final String LOG_DIR = "logs";
    /** The daemon's log file. */
    public static final String LOG_FILE = "daemon.log";

    private static final int KEPT_LOGS = 5;

    private NodeServerMain() {}

    /**
     * Runs the server.
     *
     * @param args {@code --node-dir DIR [--config FILE]}.
     */
    public static void main(final String[] args) {
        Path nodeDir = null;
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            if (("--node-dir".equals(a) || "--config".equals(a)) && i + 1 < args.length) {
                final Path p = Path.of(args[++i]);
                if ("--node-dir".equals(a)) {
                    nodeDir = p;
                } else {
                    configFile = p;
                }
            } else if ("-h".equals(a) || "--help".equals(a)) {
                System.out.println(usage());
                return;
            } else {
                System.err.println("bess server: unexpected argument '" + a + "'\n" + usage());
                System.exit(2);
            }
        }
        if (nodeDir == null) {
            System.err.println("bess server: --node-dir is required\n" + usage());
            System.exit(2);
        }
        try {
            final Daemon daemon = start(nodeDir.toAbsolutePath().normalize(), configFile);
            System.out.println("bess server: ready: nodeDir=" + daemon.nodeDir() + ", pid="
                    + ProcessHandle.current().pid() + ", log="
                    + daemon.nodeDir().resolve(LOG_DIR).resolve(LOG_FILE));
        } catch (final BessException e) {
            System.err.println("bess server: " + e.getMessage());
            System.exit(1);
        }
    }

    private static String usage() {
        return "usage: bess server --node-dir DIR [--config FILE]\n"
                + "  runs the node server of DIR in the foreground (config: DIR/" + NodeConfig.FILE_NAME
                + " unless --config); SIGTERM stops it cleanly";
    }

    /**
     * Takes the node directory, sets up the log and starts the daemon; installs the shutdown hook and the
     * exit-status-0 signal handlers.
     *
     * @param nodeDir an absolute node directory (created {@code 0700} if missing).
     * @param configFile the config, or null for {@code <node dir>/bess.conf}.
     * @return the running daemon.
     * @throws BessException when it cannot start.
     */
    public static Daemon start(final Path nodeDir, final Path configFile) {
        try {
            if (!Files.isDirectory(nodeDir)) {
                Files.createDirectories(
                        nodeDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (final IOException e) {
            throw new BessException(
                    org.bess.exceptions.ErrorCode.IO, "cannot create the node directory: " + nodeDir + ": " + e, e);
        }
        final NodeConfig config =
                NodeConfig.load(configFile != null ? configFile : nodeDir.resolve(NodeConfig.FILE_NAME));
        final NodeLock lock = NodeLock.acquire(nodeDir);
        final Daemon daemon;
        try {
            configureLogging(nodeDir, config);
            daemon = Daemon.start(nodeDir, config, lock);
        } catch (final RuntimeException e) {
            lock.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::stop, "bess-shutdown"));
        TerminationSignals.exitZeroOnTermination();
        return daemon;
    }

    /** Rotates the old logs (only the lock holder may) and points slf4j-simple at the node's log file. */
    private static void configureLogging(final Path nodeDir, final NodeConfig config) {
        final Path dir = nodeDir.resolve(LOG_DIR);
        final Path file = dir.resolve(LOG_FILE);
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            for (int i = KEPT_LOGS - 1; i >= 1; i--) {
                final Path older = dir.resolve(LOG_FILE + "." + i);
                if (Files.exists(older)) {
                    Files.move(older, dir.resolve(LOG_FILE + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (Files.exists(file)) {
                Files.move(file, dir.resolve(LOG_FILE + ".1"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (final IOException e) {
            throw new BessException(
                    org.bess.exceptions.ErrorCode.IO, "cannot prepare the log directory: " + dir + ": " + e, e);
        }
        setIfAbsent("org.slf4j.simpleLogger.logFile", file.toString());
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", config.logLevel());
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "true");
        setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
    }

    private static void setIfAbsent(final String key, final String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
