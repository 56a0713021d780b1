package org.bess.it.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bess.client.wire.ClientInfo;
import org.bess.client.wire.ControlConnection;
import org.bess.client.wire.ControlProtocol;
import org.bess.client.wire.CounterValue;
import org.bess.client.wire.DatabaseInfo;
import org.bess.client.wire.HelloReply;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.NodeCounter;
import org.bess.tools.BessAdmin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node server daemon as a separate JVM: HELLO/PING/STAT and databases over the control socket, the admin commands,
 * one server per node directory (and a SIGKILLed one's lock taken over), a clean SIGTERM, bad frames and quotas that
 * affect only the connection at fault.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DaemonIT {
    static final String TEST_CONFIG = "cache.size=16m\nheartbeat.ms=100\n";

    @TempDir
    Path tmp;

    @org.junit.jupiter.api.AfterEach
    void removeSharedMemory() throws java.io.IOException {
        DaemonProcess.removeShm(tmp.resolve("node"));
    }

    static long counter(final List<CounterValue> values, final NodeCounter c) {
        return values.stream()
                .filter(v -> v.typeId() == c.typeId())
                .findFirst()
                .orElseThrow(() -> new AssertionError("no counter " + c + " in " + values))
                .value();
    }

    static String admin(final int expectedExit, final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exit = BessAdmin.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertThat(exit)
                .as("bess-admin %s: out=%s err=%s", String.join(" ", args), out, err)
                .isEqualTo(expectedExit);
        return out + err.toString();
    }

    private static String mode(final Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void shouldServeControlRequestsAndAdminCommandsAndHostDatabasesAcrossACleanRestart() throws Exception {
        final Path node = tmp.resolve("node");
        final Path dbPath = tmp.resolve("a.db").toAbsolutePath();
        final long nodeId;
        try (DaemonProcess d = DaemonProcess.start(node, TEST_CONFIG);
                ControlConnection c = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
            final HelloReply hello = c.hello();
            assertThat(hello.protocolVersion()).isEqualTo(ControlProtocol.VERSION);
            assertThat(hello.serverPid()).isEqualTo(d.pid());
            assertThat(hello.nodeId()).isNotZero();
            nodeId = hello.nodeId();
            assertThat(c.ping(0x1234_5678_9ABCL)).isEqualTo(0x1234_5678_9ABCL);
            final List<CounterValue> stat = c.stat();
            assertThat(stat).extracting(CounterValue::typeId).hasSize(NodeCounter.values().length);
            assertThat(counter(stat, NodeCounter.CLIENTS_CONTROL)).isEqualTo(1);
            DaemonProcess.await(
                    () -> counter(c.stat(), NodeCounter.CACHE_FRAMES) == 4096, 10_000, "the first engine sample");

            final DatabaseInfo created = c.createDatabase(dbPath, 1 << 20);
            assertThat(created.path()).isEqualTo(dbPath.toString());
            assertThat(created.open()).isTrue();
            assertThat(created.areas()).isEqualTo(1);
            assertThat(c.openDatabase(dbPath).id()).isEqualTo(created.id());
            assertThat(c.listDatabases()).containsExactly(created);
            assertThatThrownBy(() -> c.openDatabase(tmp.resolve("missing.db")))
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("missing.db");
            assertThat(c.ping(1))
                    .as("an engine error leaves the connection usable")
                    .isEqualTo(1);

            // files and directories are private to the server's uid by default
            assertThat(mode(node.resolve("control"))).isEqualTo("rwx------");
            assertThat(mode(ControlConnection.socketPath(node))).isEqualTo("rw-------");
            assertThat(mode(node.resolve("server.lock"))).isEqualTo("rw-------");
            final Path counters =
                    Path.of(org.bess.server.daemon.NodeLock.peek(node).getProperty("counters"));
            assertThat(mode(counters)).isEqualTo("rw-------");
            assertThat(mode(counters.getParent())).isEqualTo("rwx------");

            // admin stat reads the counters file while the server runs: the create's checkpoint shows up
            DaemonProcess.await(
                    () -> admin(0, "stat", "--node-dir", node.toString()).matches("(?s).*checkpoints\\s+[1-9].*"),
                    10_000,
                    "a checkpoint in the counters");
            final String stat1 = admin(0, "stat", "--node-dir", node.toString());
            assertThat(stat1)
                    .contains("server pid " + d.pid() + "  running")
                    .containsPattern("clients control\\s+1\\b")
                    .containsPattern("cache frames\\s+4,096");
            final String watched = admin(0, "stat", "--node-dir", node.toString(), "--watch", "--count", "2");
            assertThat(watched.split("server pid", -1)).hasSize(3);

            // clients and kill-client go over the socket
            try (ControlConnection victim = ControlConnection.open(node, ControlProtocol.MODE_SHARED_MEMORY)) {
                final String clients = admin(0, "clients", "--node-dir", node.toString());
                assertThat(clients)
                        .containsPattern("\\b" + victim.hello().clientId() + "\\s+0\\s+0\\s+"
                                + ProcessHandle.current().pid() + "\\s+shared\\b");
                assertThat(c.listClients())
                        .extracting(ClientInfo::id)
                        .contains(hello.clientId(), victim.hello().clientId());
                assertThat(counter(c.stat(), NodeCounter.CLIENTS_SHARED)).isEqualTo(1);
                assertThat(admin(
                                0,
                                "kill-client",
                                "--node-dir",
                                node.toString(),
                                "" + victim.hello().clientId()))
                        .contains("client " + victim.hello().clientId() + " disconnected");
                assertThatThrownBy(() -> victim.ping(1))
                        .isInstanceOf(BessException.class)
                        .satisfies(
                                e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.SERVER_LOST));
                assertThat(admin(1, "kill-client", "--node-dir", node.toString(), "9999"))
                        .contains("no client with id 9999");
            }
            assertThat(c.ping(2)).isEqualTo(2);
            assertThat(counter(c.stat(), NodeCounter.CLIENTS_SHARED)).isZero();
            assertThat(d.terminate())
                    .as("exit status after SIGTERM; log:%n%s", d.daemonLog())
                    .isZero();
            assertThat(d.daemonLog())
                    .contains("shutdown checkpoint done")
                    .contains("engine closed")
                    .contains("node server stopped cleanly");
            assertThat(admin(0, "stat", "--node-dir", node.toString())).contains("stopped cleanly");
            assertThat(Files.exists(ControlConnection.socketPath(node))).isFalse();
        }
        // a restart finds a clean log, the same node id and the hosted database open again
        try (DaemonProcess d = DaemonProcess.start(node, null);
                ControlConnection c = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
            assertThat(d.daemonLog()).contains("recovery=none (clean shutdown before)");
            assertThat(c.hello().nodeId()).isEqualTo(nodeId);
            assertThat(c.listDatabases()).singleElement().satisfies(db -> {
                assertThat(db.path()).isEqualTo(dbPath.toString());
                assertThat(db.open()).isTrue();
            });
            assertThat(d.terminate()).isZero();
        }
    }

    @Test
    void shouldRefuseASecondServerAndTakeOverTheLockOfASigkilledOne() throws Exception {
        final Path node = tmp.resolve("node");
        try (DaemonProcess first = DaemonProcess.start(node, TEST_CONFIG)) {
            try (DaemonProcess second = DaemonProcess.launch(node, null)) {
                assertThat(second.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(second.process.exitValue()).isEqualTo(1);
                assertThat(second.output())
                        .contains("node directory is in use by a running server")
                        .contains("pid=" + first.pid());
            }
            try (ControlConnection c = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
                assertThat(c.ping(5)).as("the first server is unaffected").isEqualTo(5);
                assertThat(c.hello().serverPid()).isEqualTo(first.pid());
            }
            assertThat(first.kill()).isEqualTo(137);
            try (DaemonProcess third = DaemonProcess.start(node, null);
                    ControlConnection c = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
                assertThat(c.hello().serverPid()).isEqualTo(third.pid());
                assertThat(c.ping(6)).isEqualTo(6);
                assertThat(third.daemonLog())
                        .contains("taking over the node directory from a server that did not stop cleanly: pid="
                                + first.pid() + " (gone)");
                assertThat(third.terminate()).isZero();
            }
        }
    }

    @Test
    void shouldCloseOnlyTheConnectionThatSentAMalformedOversizedTruncatedOrStalledFrame() throws Exception {
        final Path node = tmp.resolve("node");
        try (DaemonProcess d = DaemonProcess.start(node, TEST_CONFIG + "frame.timeout.ms=300\nquota.frame.bytes=4k\n");
                ControlConnection good = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
            final Random random = new Random(42);
            int cases = 0;
            // random bytes before HELLO
            for (int i = 0; i < 5; i++) {
                try (RawClient raw = new RawClient(node)) {
                    final byte[] garbage = new byte[1 + random.nextInt(200)];
                    random.nextBytes(garbage);
                    raw.send(garbage);
                    final int code = raw.readUntilClosed(10_000);
                    assertThat(code).isIn(0, ErrorCode.PROTOCOL.code());
                    cases++;
                }
                assertThat(good.ping(i)).isEqualTo(i);
            }
            // oversized and negative lengths after a good HELLO
            for (final int length : new int[] {0x7fffffff, -1, 4097, 3}) {
                try (RawClient raw = new RawClient(node)) {
                    assertThat(raw.hello()).isNotNull();
                    raw.send(ByteBuffer.allocate(16)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putInt(0, length));
                    assertThat(raw.readUntilClosed(10_000)).isEqualTo(ErrorCode.PROTOCOL.code());
                    cases++;
                }
                assertThat(good.ping(length)).isEqualTo(length);
            }
            // malformed: a PING with a short body, a reply type, a request before HELLO
            try (RawClient raw = new RawClient(node)) {
                raw.hello();
                raw.send(raw.writer().begin(ControlProtocol.PING, 9).putInt(1).finish());
                assertThat(raw.readUntilClosed(10_000)).isEqualTo(ErrorCode.PROTOCOL.code());
                cases++;
            }
            try (RawClient raw = new RawClient(node)) {
                raw.send(raw.writer().begin(ControlProtocol.STAT, 9).finish());
                assertThat(raw.readUntilClosed(10_000)).isEqualTo(ErrorCode.PROTOCOL.code());
                cases++;
            }
            // truncated: half a frame, then the client goes
            try (RawClient raw = new RawClient(node)) {
                raw.hello();
                final ByteBuffer ping =
                        raw.writer().begin(ControlProtocol.PING, 3).putLong(3).finish();
                ping.limit(10);
                raw.send(ping);
            }
            cases++;
            // stalled: half a frame, then nothing; closed after frame.timeout.ms
            try (RawClient raw = new RawClient(node)) {
                raw.hello();
                final ByteBuffer ping =
                        raw.writer().begin(ControlProtocol.PING, 3).putLong(3).finish();
                ping.limit(20);
                raw.send(ping);
                assertThat(raw.readUntilClosed(10_000)).isEqualTo(ErrorCode.PROTOCOL.code());
                cases++;
            }
            assertThat(good.ping(77)).isEqualTo(77);
            assertThat(d.process.isAlive()).isTrue();
            final int expected = cases;
            DaemonProcess.await(
                    () -> counter(good.stat(), NodeCounter.PROTOCOL_ERRORS) >= expected,
                    10_000,
                    "protocol errors counted");
            assertThat(d.daemonLog())
                    .contains("protocol error, closing the connection: frame length out of bounds: length=2147483647")
                    .contains("truncated frame: the client closed after 10 bytes of a frame of 24")
                    .contains("frame not completed within frame.timeout.ms=300")
                    .contains("request before HELLO");
            assertThat(d.terminate()).isZero();
        }
    }

    @Test
    void shouldKeepServingOtherClientsWhenOneExhaustsItsQuotas() throws Exception {
        final Path node = tmp.resolve("node");
        try (DaemonProcess d = DaemonProcess.start(
                        node, TEST_CONFIG + "quota.outstanding.requests=2\nquota.connections.per.uid=3\n");
                ControlConnection good = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
            // outstanding requests: one connection pipelines 24 creates in one write
            try (RawClient greedy = new RawClient(node)) {
                greedy.hello();
                final int n = 24;
                final ByteBuffer all = ByteBuffer.allocate(64 << 10);
                for (int i = 0; i < n; i++) {
                    all.put(greedy.writer()
                            .begin(ControlProtocol.CREATE_DATABASE, 100 + i)
                            .putLong(1 << 20)
                            .putString(tmp.resolve("q" + i + ".db").toString())
                            .finish());
                }
                greedy.send(all.flip());
                assertThat(good.ping(1))
                        .as("another client is served meanwhile")
                        .isEqualTo(1);
                int quota = 0;
                int created = 0;
                for (int i = 0; i < n; i++) {
                    final ByteBuffer f =
                            ByteBuffer.wrap(greedy.readFrame(60_000)).order(ByteOrder.LITTLE_ENDIAN);
                    final int type = f.getShort(4) & 0xFFFF;
                    if (type == ControlProtocol.ERROR) {
                        assertThat(f.getInt(16)).isEqualTo(ErrorCode.QUOTA.code());
                        quota++;
                    } else {
                        assertThat(type).isEqualTo(ControlProtocol.replyType(ControlProtocol.CREATE_DATABASE));
                        created++;
                    }
                }
                assertThat(quota)
                        .as("refused over quota.outstanding.requests=2")
                        .isPositive();
                assertThat(created).isBetween(2, n - 1);
                assertThat(good.listDatabases()).hasSize(created);
            }
            // connections per uid: good + 2 more, the fourth refused with QUOTA; freed slots are usable again
            try (ControlConnection second = ControlConnection.open(node, ControlProtocol.MODE_CONTROL);
                    ControlConnection third = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
                assertThatThrownBy(() -> ControlConnection.open(node, ControlProtocol.MODE_CONTROL))
                        .isInstanceOf(BessException.class)
                        .satisfies(
                                e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.QUOTA))
                        .hasMessageContaining("quota.connections.per.uid=3");
                assertThat(second.ping(2) + third.ping(3) + good.ping(4)).isEqualTo(9);
            }
            DaemonProcess.await(
                    () -> {
                        try (ControlConnection again = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
                            return again.ping(5) == 5;
                        } catch (final BessException e) {
                            return false;
                        }
                    },
                    10_000,
                    "a connection slot freed");
            assertThat(counter(good.stat(), NodeCounter.CONNECTIONS_REFUSED)).isPositive();
            assertThat(d.terminate()).isZero();
        }
    }

    /** TESTING.md row 14, a connection flood: the node-wide cap refuses the connection over it, whatever its uid. */
    @Test
    void shouldRefuseAConnectionOverTheNodeWideCapAndAdmitOneWhenASlotFrees() throws Exception {
        final Path node = tmp.resolve("node");
        try (DaemonProcess d =
                        DaemonProcess.start(node, TEST_CONFIG + "quota.connections=2\nquota.connections.per.uid=64\n");
                ControlConnection good = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
            try (ControlConnection second = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
                assertThatThrownBy(() -> ControlConnection.open(node, ControlProtocol.MODE_CONTROL))
                        .isInstanceOf(BessException.class)
                        .satisfies(
                                e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.QUOTA))
                        .hasMessageContaining("total=2 (quota.connections=2)");
                assertThat(second.ping(2) + good.ping(3)).isEqualTo(5);
            }
            DaemonProcess.await(
                    () -> {
                        try (ControlConnection again = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
                            return again.ping(5) == 5;
                        } catch (final BessException e) {
                            return false;
                        }
                    },
                    10_000,
                    "a connection slot freed");
            assertThat(counter(good.stat(), NodeCounter.CONNECTIONS_REFUSED)).isPositive();
            assertThat(d.daemonLog()).contains("too many connections: total=2 (quota.connections=2)");
            assertThat(d.terminate()).isZero();
        }
    }
}
