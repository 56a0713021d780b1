package org.bess.server.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Random;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The LMDB node catalog: a stable node id, hosted databases, the allow-list; garbage refused by key. */
class NodeCatalogTest {
    @TempDir
    Path nodeDir;

    @Test
    void shouldKeepTheNodeIdAndHostedDatabasesAcrossOpens() throws Exception {
        final long id;
        try (NodeCatalog c = NodeCatalog.open(nodeDir)) {
            id = c.nodeId();
            assertThat(id).isNotZero();
            c.putDatabase("/data/b.db", 7);
            c.putDatabase("/data/a.db", 9);
            c.putAllowList(Map.of("uid:0", "server"));
            assertThat(c.windowEntries()).isZero();
        }
        assertThat(PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(nodeDir.resolve("catalog").resolve("data.mdb"))))
                .isEqualTo("rw-------");
        try (NodeCatalog c = NodeCatalog.open(nodeDir)) {
            assertThat(c.nodeId()).isEqualTo(id);
            assertThat(c.databases())
                    .extracting(NodeCatalog.DatabaseEntry::path, NodeCatalog.DatabaseEntry::id)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("/data/a.db", 9L),
                            org.assertj.core.groups.Tuple.tuple("/data/b.db", 7L));
            c.removeDatabase("/data/a.db");
            assertThat(c.databases()).hasSize(1);
            assertThat(c.allowList()).containsExactly("uid:0=server");
        }
    }

    @Test
    void shouldRefuseGarbageValuesNamingTheKey() {
        try (NodeCatalog c = NodeCatalog.open(nodeDir)) {
            c.putRawDatabase("/x.db".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3});
            assertThatThrownBy(c::databases)
                    .isInstanceOf(BessException.class)
                    .satisfies(e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.BAD_FORMAT))
                    .hasMessageContaining("key=databases//x.db: value length 3, expected 24");
            c.removeDatabase("/x.db");
            final byte[] v = NodeCatalog.encodeDatabase(5, 6);
            v[0] = 2;
            c.putRawDatabase("/y.db".getBytes(StandardCharsets.UTF_8), v);
            assertThatThrownBy(c::databases).hasMessageContaining("record version 2");
            c.removeDatabase("/y.db");
            c.putRawDatabase("rel.db".getBytes(StandardCharsets.UTF_8), NodeCatalog.encodeDatabase(1, 1));
            assertThatThrownBy(c::databases).hasMessageContaining("key is not an absolute path");
        }
    }

    @Test
    void shouldRefuseAGarbageCatalogFileAsBadFormat() throws Exception {
        Files.createDirectories(nodeDir.resolve("catalog"));
        final byte[] garbage = new byte[64 << 10];
        new Random(42).nextBytes(garbage);
        Files.write(nodeDir.resolve("catalog").resolve("data.mdb"), garbage);
        assertThatThrownBy(() -> NodeCatalog.open(nodeDir).close())
                .isInstanceOf(BessException.class)
                .satisfies(e -> assertThat(((BessException) e).errorCode()).isEqualTo(ErrorCode.BAD_FORMAT))
                .hasMessageContaining("node catalog");
    }

    /** Random values under random keys: decoding only ever refuses with BAD_FORMAT. */
    @Test
    void shouldOnlyEverRefuseRandomRecordsWithBadFormat() {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        try (NodeCatalog c = NodeCatalog.open(nodeDir)) {
            for (int i = 0; i < 5000; i++) {
                final byte[] key = new byte[1 + random.nextInt(30)];
                random.nextBytes(key);
                if (i % 2 == 0) {
                    key[0] = '/';
                }
                final byte[] value = new byte[random.nextInt(2) == 0 ? 24 : random.nextInt(40)];
                random.nextBytes(value);
                try {
                    c.decodeDatabase(key, value);
                } catch (final BessException e) {
                    assertThat(e.errorCode()).as("seed=%d", seed).isEqualTo(ErrorCode.BAD_FORMAT);
                }
            }
        }
    }
}
