package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An engine's start deletes the cache directories of dead engines whose node directory is gone (a killed test child,
 * a deleted scratch node), and keeps those of live processes and of node directories that still exist.
 */
class StaleCacheSweepTest {
    @TempDir
    Path dir;

    private final List<Path> made = new ArrayList<>();

    @AfterEach
    void removeLeftovers() throws IOException {
        for (final Path d : made) {
            if (Files.exists(d)) {
                try (java.util.stream.Stream<Path> files = Files.walk(d)) {
                    for (final Path p :
                            files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    private Path fakeCache(final Path shm, final String name, final String nodeLine) throws IOException {
        final Path d = shm.resolve(name);
        made.add(d);
        Files.createDirectories(d);
        Files.write(d.resolve("cache"), new byte[4096]);
        if (nodeLine != null) {
            Files.writeString(d.resolve(BessServer.CACHE_NODE_FILE), nodeLine + "\n");
        }
        return d;
    }

    private static long deadPid() throws Exception {
        final Process p = new ProcessBuilder("true").start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.pid();
    }

    @Test
    @SuppressWarnings("try") // the engine is started for its sweep
    void shouldDeleteDeadCachesOfVanishedNodesAndKeepTheOthers() throws Exception {
        final Context context = new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(4L << 20);
        final Path shm = context.cacheDir().toAbsolutePath().getParent();
        final long dead = deadPid();
        final long live = ProcessHandle.current().pid();
        final Path existingNode = Files.createDirectories(dir.resolve("still-here"));
        final Path vanished =
                fakeCache(shm, "bess-5eed0001-" + dead, dir.resolve("gone").toString());
        final Path nodeExists = fakeCache(shm, "bess-5eed0002-" + dead, existingNode.toString());
        final Path alive =
                fakeCache(shm, "bess-5eed0003-" + live, dir.resolve("gone").toString());
        final Path unnamed = fakeCache(shm, "bess-5eed0004-" + dead, null);
        final Path garbage = fakeCache(shm, "bess-5eed0005-" + dead, "not a path \u0000\u0001");
        try (BessServer server = BessServer.start(context)) {
            assertThat(Files.readString(context.cacheDir().resolve(BessServer.CACHE_NODE_FILE))
                            .trim())
                    .isEqualTo(dir.resolve("node").toAbsolutePath().normalize().toString());
            assertThat(vanished).as("dead engine, node directory gone").doesNotExist();
            assertThat(nodeExists).as("dead engine, node directory still there").exists();
            assertThat(alive).as("live process").exists();
            assertThat(unnamed)
                    .as("no node file: only its own node's engine may sweep it")
                    .exists();
            assertThat(garbage).as("garbage node file").exists();
        }
        assertThat(context.cacheDir())
                .as("the engine's own cache directory after close")
                .doesNotExist();
    }
}
