package org.bess.server.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.bess.client.wire.ControlConnection;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node server: owns the node lock, the node catalog, the counters file, the hosted engine and the control
 * channel, and stops them in reverse order (control channel, engine with a checkpoint, counters marked stopped,
 * catalog, lock).
 *
 * <p>Thread safe: {@link #stop} may run on any thread (the shutdown hook), once.
 */
public final class Daemon {
    private final Logger log = LoggerFactory.getLogger(Daemon.class);
    private final Path nodeDir;
    private final NodeLock lock;
    private final NodeCatalog catalog;
    private final CountersFile countersFile;
    private final EngineHost engine;
    private final ControlServer control;
    private final Path shmDir;
    private boolean stopped;

    private Daemon(final Path nodeDir, final NodeConfig config, final NodeLock lock) {
        this.nodeDir = nodeDir;
        this.lock = lock;
        final Properties previous = lock.previousHolder();
        if (previous != null) {
            final String pid = previous.getProperty("pid", "?");
            log.warn(
                    "taking over the node directory from a server that did not stop cleanly: pid={} ({}), started={}",
                    pid,
                    alive(pid) ? "a process with that pid exists but does not hold the lock" : "gone",
                    previous.getProperty("started", "?"));
        }
        NodeCatalog cat = null;
        CountersFile counters = null;
        EngineHost host = null;
        try {
            cat = NodeCatalog.open(nodeDir);
            final AllowList allow = new AllowList(config);
            cat.putAllowList(allow.describe());
            final String node = config.nodeName() != null ? config.nodeName() : String.format("%016x", cat.nodeId());
            this.shmDir = config.cacheDir() != null ? config.cacheDir() : defaultShmDir(nodeDir, node);
            createPrivateDir(shmDir, allow);
            counters = CountersFile.create(
                    shmDir.resolve("counters"), NodeCounters.CAPACITY, allow.groupsAllowed(), cat.nodeId());
            final NodeCounters nodeCounters = new NodeCounters(counters);
            final Path socket = ControlConnection.socketPath(nodeDir);
            final Properties details = new Properties();
            details.setProperty("nodeId", String.format("%016x", cat.nodeId()));
            details.setProperty("shm", shmDir.toString());
            details.setProperty("counters", counters.path().toString());
            details.setProperty("socket", socket.toString());
            lock.publish(details);
            final Context context = new Context()
                    .nodeDir(nodeDir)
                    .cacheDir(shmDir)
                    .cacheSizeBytes(config.cacheSizeBytes())
                    .lockContext(new org.bess.server.lock.LockContext().maxLocksPerTransaction(config.maxLocks()));
            host = new EngineHost(context, cat);
            // one id space for control and session clients: bess-admin clients lists both, kill-client takes either
            final AtomicInteger clientIds = new AtomicInteger(1);
            this.control = new ControlServer(
                    config, allow, socket, nodeCounters, host, cat.nodeId(), clientIds::getAndIncrement);
            // the session socket sits beside the control socket, in the directory only allowed users can search
            final Path sessions = socket.resolveSibling(org.bess.client.Bess.SESSION_SOCKET);
            host.startSessions(sessions, allow::allows, sessionSettings(config, nodeCounters, clientIds));
            setSocketMode(sessions, allow);
            control.start();
        } catch (final RuntimeException e) {
            if (host != null) {
                host.close();
            }
            if (counters != null) {
                counters.close();
            }
            if (cat != null) {
                cat.close();
            }
            throw e;
        }
        this.catalog = cat;
        this.countersFile = counters;
        this.engine = host;
        log.info(
                "node server ready: nodeDir={}, nodeId={}, socket={}, shm={}, allowed={}, config={}",
                nodeDir,
                String.format("%016x", catalog.nodeId()),
                control.socketPath(),
                shmDir,
                catalog.allowList(),
                config.source());
    }

    private static org.bess.server.remote.SessionSettings sessionSettings(
            final NodeConfig config, final NodeCounters counters, final AtomicInteger ids) {
        // session modes are 0 shared memory, 1 copy-on-access; the counters' are the control protocol's 1 and 2
        return new org.bess.server.remote.SessionSettings()
                .heartbeat(config.clientHeartbeatMs(), config.clientTimeoutMs())
                .maxFrameBytes(config.maxSessionFrameBytes())
                .maxTransactionsPerProcess(config.maxTransactions())
                .maxWrittenPages(config.maxRecoveryBufferPages())
                .ids(() -> ids.getAndIncrement())
                .clientListener(mode -> counters.clients(mode + 1).increment(), mode -> counters.clients(mode + 1)
                        .decrement());
    }

    private static void setSocketMode(final Path socket, final AllowList allow) {
        try {
            Files.setPosixFilePermissions(
                    socket,
                    PosixFilePermissions.fromString(
                            allow.othersAllowed() ? "rw-rw-rw-" : allow.groupsAllowed() ? "rw-rw----" : "rw-------"));
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot set the session socket's mode: " + socket + ": " + e, e);
        }
    }

    private static boolean alive(final String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid))
                    .map(ProcessHandle::isAlive)
                    .orElse(false);
        } catch (final NumberFormatException e) {
            return false;
        }
    }

    /**
     * Starts a node server on a locked node directory.
     *
     * @param nodeDir the node directory.
     * @param config the configuration.
     * @param lock the node lock, held.
     * @return the running server.
     */
    public static Daemon start(final Path nodeDir, final NodeConfig config, final NodeLock lock) {
        return new Daemon(nodeDir, config, lock);
    }

    /** {@code /dev/shm/bess-<node>}, or {@code <node dir>/shm} where there is no {@code /dev/shm}. */
    static Path defaultShmDir(final Path nodeDir, final String node) {
        final Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) ? shm.resolve("bess-" + node) : nodeDir.resolve("shm");
    }

    private static void createPrivateDir(final Path dir, final AllowList allow) {
        try {
            Files.createDirectories(dir);
            if (allow.groupsAllowed()) {
                Files.getFileAttributeView(dir, PosixFileAttributeView.class).setGroup(allow.firstGroup());
            }
            Files.setPosixFilePermissions(
                    dir, PosixFilePermissions.fromString(allow.groupsAllowed() ? "rwxr-x---" : "rwx------"));
        } catch (final IOException e) {
            throw new BessException(
                    ErrorCode.IO, "cannot create the shared-memory directory: dir=" + dir + ": " + e, e);
        }
    }

    /** The node directory. */
    public Path nodeDir() {
        return nodeDir;
    }

    /** The shared-memory directory (cache, control and counters files). */
    public Path shmDir() {
        return shmDir;
    }

    /** Stops everything, once: the control channel, the engine (checkpoint, close), the counters, catalog, lock. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        log.info("node server stopping");
        try {
            control.close();
            engine.close();
            countersFile.markStopped();
            countersFile.close();
            catalog.close();
            log.info("node server stopped cleanly");
        } catch (final RuntimeException e) {
            log.error("node server did not stop cleanly: {}", e.toString(), e);
            throw e;
        } finally {
            lock.close();
        }
    }
}
