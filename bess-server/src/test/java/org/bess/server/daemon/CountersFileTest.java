package org.bess.server.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import org.agrona.concurrent.status.CountersReader;
import org.bess.client.wire.CounterValue;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CountersFileDescriptor;
import org.bess.format.NodeCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The counters file: written by one side, read by another mapping; garbage is refused as {@code BAD_FORMAT}. */
class CountersFileTest {
    @TempDir
    Path dir;

    @Test
    void shouldShowTheServersCountersToAReaderOfTheFile() {
        final Path path = dir.resolve("counters");
        try (CountersFile w = CountersFile.create(path, NodeCounters.CAPACITY, false, 0xABCDL)) {
            final NodeCounters counters = new NodeCounters(w);
            counters.get(NodeCounter.COMMITS).set(41);
            counters.get(NodeCounter.COMMITS).increment();
            w.heartbeat(123_456L);
            try (CountersFile r = CountersFile.openReadOnly(path)) {
                final List<CounterValue> values = r.read();
                assertThat(values).hasSize(NodeCounter.values().length);
                assertThat(values)
                        .filteredOn(v -> v.typeId() == NodeCounter.COMMITS.typeId())
                        .singleElement()
                        .satisfies(v -> {
                            assertThat(v.value()).isEqualTo(42);
                            assertThat(v.label()).isEqualTo("commits");
                        });
                assertThat(r.pid()).isEqualTo(ProcessHandle.current().pid());
                assertThat(r.nodeId()).isEqualTo(0xABCDL);
                assertThat(r.heartbeatMs()).isEqualTo(123_456L);
                assertThat(r.stopped()).isFalse();
                w.markStopped();
                assertThat(r.stopped()).isTrue();
            }
        }
    }

    @Test
    void shouldCreateTheFileOwnerOnlyOrGroupReadable() throws IOException {
        try (CountersFile w = CountersFile.create(dir.resolve("a"), 8, false, 1)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(w.path())))
                    .isEqualTo("rw-------");
        }
        try (CountersFile w = CountersFile.create(dir.resolve("b"), 8, true, 1)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(w.path())))
                    .isEqualTo("rw-r-----");
        }
    }

    private void assertBadFormat(final Path path, final String message) {
        assertThatThrownBy(() -> CountersFile.openReadOnly(path).close())
                .isInstanceOf(BessException.class)
                .satisfies(e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.BAD_FORMAT))
                .hasMessageContaining(message);
    }

    @Test
    void shouldRefuseHeadersThatAreNotACountersFileNamingTheField() throws IOException {
        final Path path = dir.resolve("counters");
        CountersFile.create(path, 8, false, 1).close();
        final byte[] good = Files.readAllBytes(path);
        Files.write(path, new byte[100]);
        assertBadFormat(path, "shorter than its header: length=100");
        final byte[] magic = good.clone();
        magic[0] ^= 1;
        Files.write(path, magic);
        assertBadFormat(path, "not a bess counters file");
        final byte[] version = good.clone();
        version[CountersFileDescriptor.FORMAT_VERSION_OFFSET] = 9;
        Files.write(path, version);
        assertBadFormat(path, "format version 9");
        final byte[] pid = good.clone();
        pid[CountersFileDescriptor.PID_OFFSET] ^= 1;
        Files.write(path, pid);
        assertBadFormat(path, "header checksum mismatch");
        Files.write(path, java.util.Arrays.copyOf(good, good.length - 128));
        assertBadFormat(path, "header says " + good.length);
        assertThatThrownBy(() -> CountersFile.openReadOnly(dir.resolve("none")))
                .hasMessageContaining("no counters file")
                .hasMessageContaining("is the node server running?");
    }

    @Test
    void shouldRefuseGarbledMetadataRecordsWithoutReadingOutOfBounds() throws IOException {
        final Path path = dir.resolve("counters");
        CountersFile.create(path, 8, false, 1).close();
        final byte[] bytes = Files.readAllBytes(path);
        final ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final int record = CountersFileDescriptor.HEADER_LENGTH;
        b.putInt(record, CountersReader.RECORD_ALLOCATED);
        b.putInt(record + CountersReader.LABEL_OFFSET, 1 << 20);
        Files.write(path, bytes);
        try (CountersFile r = CountersFile.openReadOnly(path)) {
            assertThatThrownBy(r::read)
                    .isInstanceOf(BessException.class)
                    .hasMessageContaining("counter 0 has a label length out of bounds: 1048576");
        }
    }

    /** Garbage: random bytes, whole files and random bytes behind a valid header; only BAD_FORMAT may come out. */
    @Test
    void shouldOnlyEverRefuseRandomBytesWithBadFormat() throws IOException {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final Path path = dir.resolve("counters");
        CountersFile.create(path, 8, false, 1).close();
        final byte[] good = Files.readAllBytes(path);
        int refused = 0;
        for (int i = 0; i < 300; i++) {
            final byte[] bytes;
            if (i % 2 == 0) {
                bytes = new byte[random.nextInt(good.length + 10)];
                random.nextBytes(bytes);
            } else {
                bytes = good.clone();
                final byte[] noise = new byte[bytes.length - CountersFileDescriptor.HEADER_LENGTH];
                random.nextBytes(noise);
                System.arraycopy(noise, 0, bytes, CountersFileDescriptor.HEADER_LENGTH, noise.length);
            }
            Files.write(path, bytes);
            try (CountersFile r = CountersFile.openReadOnly(path)) {
                r.read();
            } catch (final BessException e) {
                assertThat(e.errorCode()).as("seed=%d", seed).isEqualTo(ErrorCode.BAD_FORMAT);
                refused++;
            } catch (final RuntimeException e) {
                throw new AssertionError("seed=" + seed + ", round " + i + ": " + e, e);
            }
        }
        assertThat(refused).as("seed=%d", seed).isGreaterThanOrEqualTo(150);
    }
}
