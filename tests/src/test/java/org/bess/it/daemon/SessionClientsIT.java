package org.bess.it.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.bess.client.wire.ControlConnection;
import org.bess.client.wire.ControlProtocol;
import org.bess.format.NodeCounter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session clients ({@code Bess.connect}) of a real daemon ({@code ./bess server} in a child JVM) in client JVMs of
 * their own: a client stopped by SIGSTOP is expired by its stale heartbeat and cleaned up like a dead one (another
 * client's lock wait ends; a stopped shared-memory writer is killed; a stopped client that runs again is told its
 * session expired); {@code bess-admin clients} lists session clients with mode, transactions and locks, {@code
 * kill-client} disconnects one, the counters count them by mode; one client exhausting its lock quota gets {@code
 * QUOTA} while another works.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // processes are resources for their close() only
class SessionClientsIT {
    static final String LIVENESS_CONFIG = DaemonIT.TEST_CONFIG + "client.heartbeat.ms=100\nclient.timeout.ms=1500\n";

    @TempDir
    Path tmp;

    @AfterEach
    void removeSharedMemory() throws java.io.IOException {
        DaemonProcess.removeShm(tmp.resolve("node"));
    }

    @Test
    void shouldExpireStoppedClientsReleaseTheirLocksAndTellThemWhenTheyRunAgain() throws Exception {
        final Path node = tmp.resolve("node");
        final String root = tmp.resolve("stop.root").toAbsolutePath().toString();
        try (DaemonProcess d = DaemonProcess.start(node, LIVENESS_CONFIG);
                ClientProcess copy = ClientProcess.start(node);
                ClientProcess other = ClientProcess.start(node)) {
            copy.ok("connect copy");
            copy.ok("create " + root);
            other.ok("connect shared");
            other.ok("open " + root);

            // 1. a copy-on-access writer holding an X lock stops
            copy.ok("begin");
            copy.ok("write 5");
            other.ok("begin");
            other.send("write 7"); // waits for the X lock
            copy.signal("STOP");
            other.expect("ok", 60); // the wait ended: the stopped client expired and was rolled back
            other.ok("commit");
            assertThat(d.daemonLog()).containsPattern("client \\d+ \\(.*pid=" + copy.pid() + ".*\\) expired");
            copy.signal("CONT");
            assertThat(copy.error("read"))
                    .contains("SERVER_LOST")
                    .contains("server lost")
                    .contains("session expired");

            // 2. a shared-memory writer (cache frames mapped writable) stops: the server kills it
            try (ClientProcess writer = ClientProcess.start(node)) {
                writer.ok("connect shared");
                writer.ok("open " + root);
                writer.ok("begin");
                writer.ok("write 9");
                other.ok("begin");
                other.send("write 11");
                writer.signal("STOP");
                other.expect("ok", 60);
                other.ok("commit");
                assertThat(writer.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(writer.process.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
                assertThat(d.daemonLog()).contains("fenced: pid " + writer.pid() + " sent SIGKILL");
            }

            // 3. a shared-memory reader (shared lock only) stops, runs again and is told
            try (ClientProcess reader = ClientProcess.start(node)) {
                reader.ok("connect shared");
                reader.ok("open " + root);
                reader.ok("begin");
                assertThat(reader.ok("read")).isEqualTo("ok 11");
                other.ok("begin");
                other.send("write 13");
                reader.signal("STOP");
                other.expect("ok", 60);
                other.ok("commit");
                reader.signal("CONT");
                assertThat(reader.error("read")).contains("SERVER_LOST").contains("session expired");
            }
            assertThat(other.ok("read")).isEqualTo("ok 13");
        }
    }

    @Test
    void shouldListSessionClientsCountThemByModeAndKillOne() throws Exception {
        final Path node = tmp.resolve("node");
        final String root = tmp.resolve("list.root").toAbsolutePath().toString();
        try (DaemonProcess d = DaemonProcess.start(node, DaemonIT.TEST_CONFIG);
                ClientProcess shared = ClientProcess.start(node);
                ClientProcess copy = ClientProcess.start(node);
                ControlConnection c = ControlConnection.open(node, ControlProtocol.MODE_CONTROL)) {
            final String sharedId = shared.ok("connect shared").replaceAll(".*id=", "");
            final String copyId = copy.ok("connect copy").replaceAll(".*id=", "");
            shared.ok("create " + root);
            copy.ok("open " + root);
            shared.ok("begin");
            shared.ok("write 5");
            final String clients = DaemonIT.admin(0, "clients", "--node-dir", node.toString());
            // ID UID GID PID MODE SOCKET TXNS LOCKS PENDING
            assertThat(clients)
                    .containsPattern("(?m)^" + sharedId + "\\s+\\d+\\s+\\d+\\s+" + shared.pid()
                            + "\\s+shared\\s+session\\s+1\\s+[1-9]\\d*\\s")
                    .containsPattern("(?m)^" + copyId + "\\s+\\d+\\s+\\d+\\s+" + copy.pid()
                            + "\\s+copy\\s+session\\s+0\\s+0\\s");
            assertThat(DaemonIT.counter(c.stat(), NodeCounter.CLIENTS_SHARED)).isEqualTo(1);
            assertThat(DaemonIT.counter(c.stat(), NodeCounter.CLIENTS_COPY)).isEqualTo(1);

            assertThat(DaemonIT.admin(0, "kill-client", "--node-dir", node.toString(), sharedId))
                    .contains("client " + sharedId + " disconnected");
            copy.ok("begin");
            copy.ok("write 6"); // the killed client's X lock is gone
            copy.ok("commit");
            assertThat(shared.error("read")).contains("server lost");
            DaemonProcess.await(
                    () -> DaemonIT.counter(c.stat(), NodeCounter.CLIENTS_SHARED) == 0, 30_000, "shared count 0");
            assertThat(d.daemonLog()).contains("disconnects session client " + sharedId);
            assertThat(DaemonIT.admin(0, "clients", "--node-dir", node.toString()))
                    .doesNotContainPattern("(?m)^" + sharedId + "\\s");
        }
    }

    @Test
    void shouldGiveQuotaToTheClientOverItsLockQuotaAndLetAnotherWork() throws Exception {
        final Path node = tmp.resolve("node");
        final String root = tmp.resolve("quota.root").toAbsolutePath().toString();
        try (DaemonProcess d = DaemonProcess.start(node, DaemonIT.TEST_CONFIG);
                ClientProcess loader = ClientProcess.start(node)) {
            loader.ok("connect shared");
            loader.ok("create " + root);
            loader.ok("fill 64"); // a growing file's allocations take more locks than the quota below
            loader.send("exit");
            loader.expect("bye", 60);
            assertThat(d.terminate()).isZero();
        }
        try (DaemonProcess d = DaemonProcess.start(node, DaemonIT.TEST_CONFIG + "quota.locks=20\n");
                ClientProcess greedy = ClientProcess.start(node);
                ClientProcess modest = ClientProcess.start(node)) {
            greedy.ok("connect shared");
            greedy.ok("open " + root);
            modest.ok("connect copy");
            modest.ok("open " + root);
            greedy.ok("begin");
            assertThat(greedy.error("readall")).contains("QUOTA");
            modest.ok("begin");
            modest.ok("write 3");
            modest.ok("commit");
            greedy.ok("abort");
            greedy.ok("begin");
            assertThat(greedy.ok("read")).isEqualTo("ok 3");
            greedy.ok("commit");
        }
    }
}
