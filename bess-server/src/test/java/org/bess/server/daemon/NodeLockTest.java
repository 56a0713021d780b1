package org.bess.server.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Random;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node lock in one JVM (the cross-process cases, a second server and a SIGKILLed one, are in {@code DaemonIT}):
 * a held lock refuses another taker naming the holder, a released one is taken again with the last holder's details,
 * and a lock file full of garbage is taken over without failing.
 */
class NodeLockTest {
    @TempDir
    Path nodeDir;

    @Test
    void shouldRefuseASecondTakerNamingTheHolderAndHandTheLockOnAfterRelease() {
        try (NodeLock lock = NodeLock.acquire(nodeDir)) {
            assertThat(lock.previousHolder()).isNull();
            final Properties details = new Properties();
            details.setProperty("counters", "/dev/shm/x/counters");
            lock.publish(details);
            assertThatThrownBy(() -> NodeLock.acquire(nodeDir))
                    .isInstanceOf(BessException.class)
                    .satisfies(e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.NODE_IN_USE))
                    .hasMessageContaining("node directory is in use by a running server")
                    .hasMessageContaining("pid=" + ProcessHandle.current().pid());
            assertThat(NodeLock.peek(nodeDir).getProperty("counters")).isEqualTo("/dev/shm/x/counters");
        }
        try (NodeLock again = NodeLock.acquire(nodeDir)) {
            assertThat(again.previousHolder().getProperty("pid"))
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));
        }
    }

    @Test
    void shouldTakeOverALockFileFullOfGarbage() throws Exception {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        for (int i = 0; i < 50; i++) {
            final byte[] garbage = new byte[random.nextInt(5000)];
            random.nextBytes(garbage);
            Files.write(nodeDir.resolve(NodeLock.FILE_NAME), garbage);
            try (NodeLock lock = NodeLock.acquire(nodeDir)) {
                lock.publish(new Properties());
                assertThat(NodeLock.peek(nodeDir).getProperty("pid"))
                        .as("seed=%d", seed)
                        .isEqualTo(Long.toString(ProcessHandle.current().pid()));
            }
        }
    }
}
