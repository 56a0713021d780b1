package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.server.check.DatabaseChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cache full of dirty data pages whose page-info pages are not cached: writing back one must not write back the next
 * to make room for the page-info page, and so on down the stack (it overflowed a thread's stack before).
 */
class WriteBackUnderPressureTest {
    @TempDir
    Path dir;

    @Test
    void shouldWriteBackACacheFullOfDirtyDataPagesWithoutRecursing() throws Exception {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        // a small stack: a recursion as deep as the cache is large fails here at once
        final Thread t = new Thread(
                null,
                () -> {
                    try {
                        run();
                    } catch (final Throwable e) {
                        failure.set(e);
                    }
                },
                "small-stack",
                256 * 1024);
        t.start();
        t.join(120_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(failure.get()).isNull();
        assertThat(new DatabaseChecker(dir.resolve("p.root"), dir.resolve("chk"))
                        .run(l -> {})
                        .problems())
                .isEmpty();
    }

    private void run() {
        final byte[] chunk = new byte[1 << 20];
        final Ref[] refs = new Ref[3];
        try (Session s =
                BessServer.embedded(new Context().nodeDir(dir.resolve("n")).cacheSizeBytes(16L << 20))) {
            final Database db = s.createDatabase(dir.resolve("p.root"), 1L << 20);
            for (int round = 0; round < refs.length; round++) {
                try (Transaction tx = s.begin()) {
                    final BessFile f = round == 0 ? tx.createFile(db, "f") : tx.file(db, "f");
                    final LargeObject lo = tx.createLarge(f);
                    for (int i = 0; i < 48; i++) {
                        Arrays.fill(chunk, (byte) (round * 48 + i));
                        lo.append(chunk);
                    }
                    refs[round] = lo.ref();
                    tx.commit();
                }
                try (Transaction tx = s.begin()) {
                    for (int r = 0; r <= round; r++) {
                        final LargeObject lo = tx.openLarge(refs[r]);
                        for (int i = 0; i < 48; i++) {
                            lo.read((long) i << 20, chunk);
                            assertThat(chunk[i * 997]).isEqualTo((byte) (r * 48 + i));
                        }
                    }
                }
            }
        }
    }
}
