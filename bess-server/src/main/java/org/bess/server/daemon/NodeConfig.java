package org.bess.server.daemon;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.bess.client.wire.ControlProtocol;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.server.Context;

/**
 * The node server's configuration: a properties file ({@code <node dir>/bess.conf} unless {@code --config} names
 * another), every key optional, unknown keys refused (a typo must not silently fall back to a default). Keys and
 * defaults are listed in {@code docs/ARCHITECTURE.md} ("Daemon").
 *
 * <p>Immutable once parsed; thread safe.
 */
public final class NodeConfig {
    /** The default config file's name inside the node directory. */
    public static final String FILE_NAME = "bess.conf";

    private static final Set<String> KEYS = Set.of(
            "node.name",
            "cache.dir",
            "cache.size",
            "allow.uids",
            "allow.gids",
            "quota.connections",
            "quota.connections.per.uid",
            "quota.frame.bytes",
            "quota.outstanding.requests",
            "quota.locks",
            "quota.transactions",
            "quota.recovery.buffer.pages",
            "quota.session.frame.bytes",
            "client.heartbeat.ms",
            "client.timeout.ms",
            "frame.timeout.ms",
            "heartbeat.ms",
            "log.level");

    private final Path source;
    private final String nodeName;
    private final Path cacheDir;
    private final long cacheSizeBytes;
    private final List<String> allowUids;
    private final List<String> allowGids;
    private final int maxConnections;
    private final int maxConnectionsPerUid;
    private final int maxFrameBytes;
    private final int maxOutstandingRequests;
    private final int maxLocks;
    private final int maxTransactions;
    private final int maxRecoveryBufferPages;
    private final int maxSessionFrameBytes;
    private final int clientHeartbeatMs;
    private final int clientTimeoutMs;
    private final long frameTimeoutMs;
    private final long heartbeatMs;
    private final String logLevel;

    private NodeConfig(final Path source, final Properties p) {
        this.source = source;
        final Set<String> unknown = new TreeSet<>(p.stringPropertyNames());
        unknown.removeAll(KEYS);
        if (!unknown.isEmpty()) {
            throw bad("unknown setting(s) " + unknown + "; known: " + new TreeSet<>(KEYS));
        }
        this.nodeName = text(p, "node.name", null);
        if (nodeName != null && !nodeName.matches("[A-Za-z0-9._-]{1,64}")) {
            throw bad("node.name must be 1 to 64 of [A-Za-z0-9._-]: '" + nodeName + "'");
        }
        final String dir = text(p, "cache.dir", null);
        this.cacheDir = dir == null ? null : Path.of(dir);
        this.cacheSizeBytes = size(p, "cache.size", Context.CACHE_SIZE_DEFAULT, 256L << 10, 64L << 30);
        this.allowUids = list(p, "allow.uids");
        this.allowGids = list(p, "allow.gids");
        this.maxConnections = (int) number(p, "quota.connections", 256, 1, 65_536);
        this.maxConnectionsPerUid = (int) number(p, "quota.connections.per.uid", 64, 1, 65_536);
        this.maxFrameBytes = (int) size(
                p,
                "quota.frame.bytes",
                ControlProtocol.DEFAULT_MAX_REQUEST_LENGTH,
                256,
                ControlProtocol.MAX_FRAME_LENGTH);
        this.maxOutstandingRequests = (int) number(p, "quota.outstanding.requests", 16, 1, 4096);
        this.maxLocks = (int) number(p, "quota.locks", 100_000, 1, Integer.MAX_VALUE);
        this.maxTransactions = (int) number(p, "quota.transactions", 16, 1, 65_536);
        this.maxRecoveryBufferPages = (int) number(p, "quota.recovery.buffer.pages", 65_536, 1, 1 << 24);
        this.maxSessionFrameBytes =
                (int) size(p, "quota.session.frame.bytes", org.bess.client.remote.Wire.MAX_FRAME, 64L << 10, 32L << 20);
        this.clientHeartbeatMs = (int) number(p, "client.heartbeat.ms", 1000, 10, 60_000);
        this.clientTimeoutMs = (int) number(p, "client.timeout.ms", 10_000, 30, 3_600_000);
        if (clientTimeoutMs < 3L * clientHeartbeatMs) {
            throw bad("client.timeout.ms must be at least 3 x client.heartbeat.ms: client.timeout.ms=" + clientTimeoutMs
                    + ", client.heartbeat.ms=" + clientHeartbeatMs);
        }
        this.frameTimeoutMs = number(p, "frame.timeout.ms", 10_000, 10, 3_600_000);
        this.heartbeatMs = number(p, "heartbeat.ms", 1000, 10, 60_000);
        this.logLevel = text(p, "log.level", "info").toLowerCase(Locale.ROOT);
        if (!Set.of("trace", "debug", "info", "warn", "error").contains(logLevel)) {
            throw bad("log.level must be one of trace, debug, info, warn, error: '" + logLevel + "'");
        }
    }

    /**
     * Reads a config file; a missing file means every default.
     *
     * @param file the file, or null for defaults only.
     * @throws BessException {@code BAD_ARGUMENT} naming the file, the key and the value for anything wrong.
     */
    public static NodeConfig load(final Path file) {
        final Properties p = new Properties();
        if (file != null && Files.exists(file)) {
            if (!Files.isRegularFile(file)) {
                throw new BessException(ErrorCode.BAD_ARGUMENT, "config is not a regular file: " + file);
            }
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (final IOException | IllegalArgumentException e) {
                throw new BessException(
                        ErrorCode.BAD_ARGUMENT, "cannot read config: file=" + file + ": " + e.getMessage(), e);
            }
        }
        return new NodeConfig(file, p);
    }

    /**
     * Parses config text (tests).
     *
     * @param text properties.
     */
    public static NodeConfig parse(final String text) {
        final Properties p = new Properties();
        try {
            p.load(new java.io.StringReader(text));
        } catch (final IOException | IllegalArgumentException e) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "cannot read config: " + e.getMessage(), e);
        }
        return new NodeConfig(null, p);
    }

    private BessException bad(final String what) {
        return new BessException(
                ErrorCode.BAD_ARGUMENT, "bad config" + (source == null ? "" : " (" + source + ")") + ": " + what);
    }

    private static String text(final Properties p, final String key, final String defaultValue) {
        final String v = p.getProperty(key);
        return v == null || v.isBlank() ? defaultValue : v.trim();
    }

    private List<String> list(final Properties p, final String key) {
        final String v = text(p, key, null);
        final List<String> out = new ArrayList<>();
        if (v != null) {
            for (final String part : v.split(",", -1)) {
                final String t = part.trim();
                if (t.isEmpty()) {
                    throw bad(key + " has an empty entry: '" + v + "' (comma-separated uids, gids or names)");
                }
                out.add(t);
            }
        }
        return List.copyOf(out);
    }

    private long number(final Properties p, final String key, final long def, final long min, final long max) {
        final String v = text(p, key, null);
        if (v == null) {
            return def;
        }
        final long n;
        try {
            n = Long.parseLong(v);
        } catch (final NumberFormatException e) {
            throw bad(key + " is not a number: '" + v + "'");
        }
        if (n < min || n > max) {
            throw bad(key + " out of range [" + min + ", " + max + "]: " + n);
        }
        return n;
    }

    private long size(final Properties p, final String key, final long def, final long min, final long max) {
        final String v = text(p, key, null);
        if (v == null) {
            return def;
        }
        final long n;
        try {
            n = Context.parseSize(v);
        } catch (final BessException e) {
            throw bad(key + " is not a size: '" + v + "' (e.g. 64k, 16m, 1g)");
        }
        if (n < min || n > max) {
            throw bad(key + " out of range [" + min + ", " + max + "] bytes: " + v);
        }
        return n;
    }

    /** The file this came from (null for defaults or text). */
    public Path source() {
        return source;
    }

    /** The node's name for its shared-memory directory, or null (the node id's hex). */
    public String nodeName() {
        return nodeName;
    }

    /** The cache/counters directory, or null for {@code /dev/shm/bess-<node>}. */
    public Path cacheDir() {
        return cacheDir;
    }

    /** Cache size in bytes. */
    public long cacheSizeBytes() {
        return cacheSizeBytes;
    }

    /** Allowed uids or user names besides the server's own uid (always allowed). */
    public List<String> allowUids() {
        return allowUids;
    }

    /** Allowed gids or group names. */
    public List<String> allowGids() {
        return allowGids;
    }

    /** Most connections at once. */
    public int maxConnections() {
        return maxConnections;
    }

    /** Most connections at once from one uid. */
    public int maxConnectionsPerUid() {
        return maxConnectionsPerUid;
    }

    /** Largest request frame. */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /** Most requests of one connection in progress at once. */
    public int maxOutstandingRequests() {
        return maxOutstandingRequests;
    }

    /** Most locks one client transaction holds (the engine's per-transaction lock quota). */
    public int maxLocks() {
        return maxLocks;
    }

    /** Most open transactions of one client process (uid and pid) over all its sessions. */
    public int maxTransactions() {
        return maxTransactions;
    }

    /** Most pages one client transaction writes in place (each takes a recovery-buffer page). */
    public int maxRecoveryBufferPages() {
        return maxRecoveryBufferPages;
    }

    /** Largest request frame of a session client ({@code quota.session.frame.bytes}). */
    public int maxSessionFrameBytes() {
        return maxSessionFrameBytes;
    }

    /** Heartbeat interval asked of session clients ({@code client.heartbeat.ms}). */
    public int clientHeartbeatMs() {
        return clientHeartbeatMs;
    }

    /** Silence after which an idle session client is expired ({@code client.timeout.ms}). */
    public int clientTimeoutMs() {
        return clientTimeoutMs;
    }

    /** How long a frame may stay partly received before its connection is closed. */
    public long frameTimeoutMs() {
        return frameTimeoutMs;
    }

    /** Heartbeat and counter sampling period. */
    public long heartbeatMs() {
        return heartbeatMs;
    }

    /** The daemon log's level. */
    public String logLevel() {
        return logLevel;
    }
}
