package org.bess.server.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's config: defaults, every setting, and bad input named by key and value. */
class NodeConfigTest {
    @Test
    void shouldUseDefaultsWhenTheFileIsMissing(@TempDir final Path dir) {
        final NodeConfig c = NodeConfig.load(dir.resolve("bess.conf"));
        assertThat(c.maxFrameBytes()).isEqualTo(64 << 10);
        assertThat(c.maxConnections()).isEqualTo(256);
        assertThat(c.maxConnectionsPerUid()).isEqualTo(64);
        assertThat(c.maxOutstandingRequests()).isEqualTo(16);
        assertThat(c.allowUids()).isEmpty();
        assertThat(c.cacheDir()).isNull();
        assertThat(c.logLevel()).isEqualTo("info");
    }

    @Test
    void shouldReadEverySetting(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("x.conf");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "node.name=alpha-1",
                        "cache.dir=/tmp/x",
                        "cache.size=16m",
                        "allow.uids=0, 65534",
                        "allow.gids=0",
                        "quota.connections=10",
                        "quota.connections.per.uid=3",
                        "quota.frame.bytes=4k",
                        "quota.outstanding.requests=2",
                        "quota.locks=50",
                        "quota.transactions=2",
                        "quota.recovery.buffer.pages=64",
                        "frame.timeout.ms=500",
                        "heartbeat.ms=100",
                        "log.level=DEBUG"));
        final NodeConfig c = NodeConfig.load(file);
        assertThat(c.nodeName()).isEqualTo("alpha-1");
        assertThat(c.cacheDir()).isEqualTo(Path.of("/tmp/x"));
        assertThat(c.cacheSizeBytes()).isEqualTo(16L << 20);
        assertThat(c.allowUids()).containsExactly("0", "65534");
        assertThat(c.allowGids()).containsExactly("0");
        assertThat(c.maxConnections()).isEqualTo(10);
        assertThat(c.maxConnectionsPerUid()).isEqualTo(3);
        assertThat(c.maxFrameBytes()).isEqualTo(4096);
        assertThat(c.maxOutstandingRequests()).isEqualTo(2);
        assertThat(c.maxLocks()).isEqualTo(50);
        assertThat(c.maxTransactions()).isEqualTo(2);
        assertThat(c.maxRecoveryBufferPages()).isEqualTo(64);
        assertThat(c.frameTimeoutMs()).isEqualTo(500);
        assertThat(c.heartbeatMs()).isEqualTo(100);
        assertThat(c.logLevel()).isEqualTo("debug");
    }

    private static void assertBad(final String text, final String message) {
        assertThatThrownBy(() -> NodeConfig.parse(text))
                .isInstanceOf(BessException.class)
                .satisfies(e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.BAD_ARGUMENT))
                .hasMessageContaining(message);
    }

    @Test
    void shouldNameTheKeyAndValueOfBadSettings() {
        assertBad("quota.frame.byte=1k", "unknown setting(s) [quota.frame.byte]");
        assertBad("quota.frame.bytes=lots", "quota.frame.bytes is not a size: 'lots'");
        assertBad("quota.frame.bytes=100", "quota.frame.bytes out of range [256, 16777216] bytes: 100");
        assertBad("quota.frame.bytes=1g", "quota.frame.bytes out of range");
        assertBad("quota.connections=0", "quota.connections out of range [1, 65536]: 0");
        assertBad("heartbeat.ms=-5", "heartbeat.ms out of range");
        assertBad("frame.timeout.ms=1e3", "frame.timeout.ms is not a number: '1e3'");
        assertBad("allow.uids=0,,1", "allow.uids has an empty entry");
        assertBad("node.name=../etc", "node.name must be 1 to 64 of [A-Za-z0-9._-]");
        assertBad("log.level=loud", "log.level must be one of");
        assertBad("cache.size=1k", "cache.size out of range");
    }

    @Test
    void shouldRefuseAUnknownUserInTheAllowList() {
        assertThatThrownBy(() -> new AllowList(NodeConfig.parse("allow.uids=no-such-user-bess")))
                .isInstanceOf(BessException.class)
                .hasMessageContaining("allow.uids names no user: 'no-such-user-bess'");
    }

    /** Garbage text: only BAD_ARGUMENT comes out (or a config that parses, with every value in range). */
    @Test
    void shouldOnlyEverRefuseGarbageWithBadArgument() {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        for (int i = 0; i < 2000; i++) {
            final byte[] bytes = new byte[random.nextInt(200)];
            random.nextBytes(bytes);
            final String text = i % 2 == 0
                    ? new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)
                    : "quota.frame.bytes=" + new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
            try {
                final NodeConfig c = NodeConfig.parse(text);
                assertThat(c.maxFrameBytes()).isBetween(256, 16 << 20);
            } catch (final BessException e) {
                assertThat(e.errorCode()).as("seed=%d", seed).isEqualTo(ErrorCode.BAD_ARGUMENT);
            }
        }
    }
}
