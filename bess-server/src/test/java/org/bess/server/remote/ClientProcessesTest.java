package org.bess.server.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bess.client.Bess;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.SessionAccess;
import org.bess.server.check.DatabaseChecker;
import org.bess.server.lock.LockContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real client processes on one database: a shared-memory and a copy-on-access client run bank transfers at the same
 * time while clients of both modes are SIGKILLed mid-transaction; the server cleans up after each (no lock, no frame
 * mapping left), their uncommitted changes never become visible, the total stays constant and the database checks
 * clean. And a shared-memory client that writes into a read-only frame through {@code Unsafe} dies of SIGSEGV while
 * the database stays intact.
 */
@Timeout(300)
class ClientProcessesTest {
    private static final int ACCOUNTS = 20;

    @TempDir
    Path dir;

    private BessServer server;
    private SessionEndpoint endpoint;
    private Path root;
    private final List<Process> children = new ArrayList<>();

    @BeforeEach
    void start() {
        server = BessServer.start(new Context()
                .nodeDir(dir.resolve("node"))
                .cacheSizeBytes(16L << 20)
                .lockContext(new LockContext().lockTimeoutNs(TimeUnit.SECONDS.toNanos(2))));
        endpoint = SessionEndpoint.start(server, dir.resolve("node").resolve(SessionEndpoint.SOCKET_NAME));
        root = dir.resolve("bank.root");
        try (Session s = server.openSession()) {
            final Database db = s.createDatabase(root, 1L << 20);
            final TypeId account = db.defineType("Account", 64, new int[0]);
            final int[] offsets = new int[ACCOUNTS];
            for (int i = 0; i < ACCOUNTS; i++) {
                offsets[i] = 8 * i;
            }
            final TypeId table = db.defineType("Table", 8 * ACCOUNTS, offsets);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "accounts");
                final ObjectRef t = tx.allocate(f, table);
                for (int i = 0; i < ACCOUNTS; i++) {
                    // one account per page region: spread them so that transfers lock different pages
                    final ObjectRef a = tx.allocate(f, account, 1500);
                    a.putLong(0, 1000);
                    t.putRef(8 * i, a.ref());
                }
                tx.setRoot(db, "table", t.ref());
                tx.commit();
            }
        }
    }

    @AfterEach
    void stop() {
        for (final Process p : children) {
            p.destroyForcibly();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private Process child(final String name, final String mode, final String... action) throws IOException {
        return childWith(List.of(), name, mode, action);
    }

    private Process childWith(
            final List<String> jvmOptions, final String name, final String mode, final String... action)
            throws IOException {
        final List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + dir.resolve(name + ".hs_err.log"),
                "-Xshare:auto",
                "-XX:TieredStopAtLevel=1",
                "--add-opens",
                "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens",
                "java.base/java.nio=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                ClientChild.class.getName(),
                dir.resolve("node").toString(),
                mode,
                root.toString()));
        command.addAll(List.of(action));
        final Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".out").toFile())
                .start();
        children.add(p);
        return p;
    }

    private String output(final String name) throws IOException {
        final Path p = dir.resolve(name + ".out");
        return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    }

    private boolean contains(final String name, final String text) {
        try {
            return output(name).contains(text);
        } catch (final IOException e) {
            return false;
        }
    }

    private void killMidTransaction(final String name, final String mode) throws Exception {
        final Process p = child(name, mode, "hang", String.valueOf(ACCOUNTS), "1");
        TestNode.await(name + " to be inside its transaction", 120, () -> contains(name, "IN_TXN") || !p.isAlive());
        assertThat(output(name)).contains("IN_TXN");
        Thread.sleep(200); // let the bank clients queue behind its locks
        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    private long[] totals() {
        try (Session s = server.openSession()) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final ObjectRef table = tx.open(tx.root(db, "table"));
                long total = 0;
                long transfers = 0;
                for (int i = 0; i < ACCOUNTS; i++) {
                    final Ref r = table.getRef(8 * i);
                    final ObjectRef a = tx.open(r);
                    total += a.getLong(0);
                    transfers += a.getLong(8);
                }
                return new long[] {total, transfers};
            }
        }
    }

    /** Writes every account from an embedded session: fails with a lock timeout if a dead client's lock leaked. */
    private void writeEveryAccount() {
        try (Session s = server.openSession()) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                final ObjectRef table = tx.open(tx.root(db, "table"));
                for (int i = 0; i < ACCOUNTS; i++) {
                    final ObjectRef a = tx.open(table.getRef(8 * i));
                    a.putLong(8, a.getLong(8) + 1);
                }
                tx.commit();
            }
        }
    }

    @Test
    void shouldReleaseTheFastPathLocksOfASigkilledSharedMemoryClient() throws Exception {
        final Process p = child("relock", "SHARED_MEMORY", "relock", String.valueOf(ACCOUNTS), "1");
        TestNode.await("the client to hold its locks", 120, () -> contains("relock", "IN_TXN") || !p.isAlive());
        final String out = output("relock");
        assertThat(out).contains("IN_TXN fast=");
        final long fast =
                Long.parseLong(out.substring(out.indexOf("fast=") + 5).trim().split("\\s")[0]);
        assertThat(fast).as("page locks the client took without a request").isGreaterThan(0);
        final long pinned =
                Long.parseLong(out.substring(out.indexOf("pinned=") + 7).trim().split("\\s")[0]);
        assertThat(pinned)
                .as("segments whose slots it read in place, their frames pinned by its bits")
                .isGreaterThan(0);
        assertThat(SessionAccess.clientHitMaps(server)).isGreaterThanOrEqualTo(pinned);
        p.destroyForcibly(); // SIGKILL while it holds fast-path locks and slot pins
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        TestNode.await("the server to clean the client up", 120, () -> endpoint.connectionCount() == 0);
        assertThat(SessionAccess.clientHitMaps(server))
                .as("pins left by the dead client")
                .isZero();
        writeEveryAccount(); // every page the client had locked, X, within the 2 s lock timeout
        assertThat(server.lockCounters()[0])
                .as("locks held after everyone finished")
                .isZero();
    }

    @Test
    void shouldClearTheCacheHitMarksOfASigkilledSharedMemoryClient() throws Exception {
        // another client reads every account first: the pages are cached and have lock-table entries
        try (Session a = Bess.connect(dir.resolve("node"), Bess.Mode.SHARED_MEMORY)) {
            final Database db = a.openDatabase(root);
            try (Transaction tx = a.begin()) {
                final ObjectRef table = tx.open(tx.root(db, "table"));
                for (int i = 0; i < ACCOUNTS; i++) {
                    tx.open(table.getRef(8 * i)).getLong(0);
                }
                tx.commit();
            }
        }
        TestNode.await("the first reader to go", 120, () -> endpoint.connectionCount() == 0);
        final Process p = child("hits", "SHARED_MEMORY", "hits", String.valueOf(ACCOUNTS), "1");
        TestNode.await("the client to map its pages", 120, () -> contains("hits", "IN_TXN") || !p.isAlive());
        final String out = output("hits");
        assertThat(out).contains("IN_TXN hits=");
        final long marked =
                Long.parseLong(out.substring(out.indexOf("marked=") + 7).trim().split("\\s")[0]);
        assertThat(marked)
                .as("frames the client mapped by hits, without a request")
                .isGreaterThan(0);
        assertThat(SessionAccess.clientHitMaps(server))
                .as("its marks in the client-map file")
                .isEqualTo(marked);
        p.destroyForcibly(); // SIGKILL while it maps frames by hits
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        TestNode.await("the server to clean the client up", 120, () -> endpoint.connectionCount() == 0);
        assertThat(SessionAccess.clientHitMaps(server))
                .as("marks left by the dead client")
                .isZero();
        assertThat(SessionAccess.mappedFrames(server))
                .as("frames counted as mapped")
                .isZero();
        writeEveryAccount(); // and no page lock leaked either
        assertThat(server.lockCounters()[0]).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"beforeCas", "afterCas"})
    void shouldRecountTheWordOfAClientKilledBetweenAcquiringAndHeld(final String when) throws Exception {
        final Process p = childWith(
                List.of("-D" + "bess.test.fastPathHalt=" + when),
                "halt-" + when,
                "SHARED_MEMORY",
                "relock",
                String.valueOf(ACCOUNTS),
                "1");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as("halted by the test hook inside its first fast-path lock")
                .isEqualTo(77);
        TestNode.await("the server to clean the client up", 120, () -> endpoint.connectionCount() == 0);
        assertThat(SessionAccess.lockManager(server).fastPathCounters()[0])
                .as("words recounted")
                .isEqualTo(1);
        writeEveryAccount();
        assertThat(server.lockCounters()[0])
                .as("locks held after everyone finished")
                .isZero();
    }

    @Test
    void shouldKeepTheBankBalancedWithBothModesAtOnceAndCleanUpAfterKilledClients() throws Exception {
        killMidTransaction("hang-shm-0", "SHARED_MEMORY");
        final Process shm = child("bank-shm", "SHARED_MEMORY", "bank", String.valueOf(ACCOUNTS), "11", "300");
        final Process coa = child("bank-coa", "COPY_ON_ACCESS", "bank", String.valueOf(ACCOUNTS), "12", "300");
        killMidTransaction("hang-shm", "SHARED_MEMORY");
        killMidTransaction("hang-coa", "COPY_ON_ACCESS");
        assertThat(shm.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(coa.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(output("bank-shm"))
                .contains("DONE mode=SHARED_MEMORY commits=300")
                .contains("bad=0");
        assertThat(output("bank-coa"))
                .contains("DONE mode=COPY_ON_ACCESS commits=300")
                .contains("bad=0");
        assertThat(shm.exitValue()).isZero();
        assertThat(coa.exitValue()).isZero();
        TestNode.await("every client to be cleaned up", 120, () -> endpoint.connectionCount() == 0);
        assertThat(server.lockCounters()[0]).as("locks held").isZero();
        assertThat(SessionAccess.mappedFrames(server)).as("mapped cache frames").isZero();
        final long[] totals = totals();
        assertThat(totals[0]).as("total money").isEqualTo(ACCOUNTS * 1000L);
        assertThat(totals[1]).as("committed transfers").isEqualTo(600);
        endpoint.close();
        endpoint = null;
        server.close();
        server = null;
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).problems())
                .isEmpty();
    }

    private Process serverChild(final String name, final Path node) throws IOException {
        return serverChild(name, node, 1024);
    }

    private Process serverChild(final String name, final Path node, final int bufferPages) throws IOException {
        final Process p = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:-CreateCoredumpOnCrash",
                        "--add-opens",
                        "java.base/jdk.internal.misc=ALL-UNNAMED",
                        "--add-opens",
                        "java.base/java.nio=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        ServerChild.class.getName(),
                        node.toString(),
                        dir.resolve("server-cache").toString(),
                        Integer.toString(bufferPages)))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".out").toFile())
                .start();
        children.add(p);
        return p;
    }

    @Test
    void shouldTellClientsTheServerIsLostAndKeepAcknowledgedCommitsAcrossItsRestart() throws Exception {
        final Path node = dir.resolve("server-node");
        final Path db2 = dir.resolve("lost.root");
        final Process first = serverChild("server-1", node);
        TestNode.await("the server to start", 120, () -> contains("server-1", "READY") || !first.isAlive());
        final Ref ref;
        final Session shm = org.bess.client.Bess.connect(node, org.bess.client.Bess.Mode.SHARED_MEMORY);
        final Session coa = org.bess.client.Bess.connect(node, org.bess.client.Bess.Mode.COPY_ON_ACCESS);
        try {
            final Database db = shm.createDatabase(db2, 1L << 20);
            final TypeId t = db.defineType("V", 16, new int[0]);
            try (Transaction tx = shm.begin()) {
                final ObjectRef o = tx.allocate(tx.createFile(db, "f"), t);
                o.putLong(0, 4242);
                ref = o.ref();
                tx.commit();
            }
            final Database coaDb = coa.openDatabase(db2);
            try (Transaction tx = coa.begin()) {
                final ObjectRef o = tx.open(new Ref(coaDb, ref.word()));
                o.putLong(8, 99);
                tx.commit();
            }
            final Transaction open = shm.begin();
            open.open(ref).putLong(0, -1);
            first.destroyForcibly(); // SIGKILL
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> open.commit())
                    .isInstanceOf(org.bess.exceptions.BessException.class)
                    .hasMessageContaining("server lost");
            assertThat(open.isActive()).isFalse();
            org.assertj.core.api.Assertions.assertThatThrownBy(coa::begin).hasMessageContaining("server lost");
        } finally {
            shm.close();
            coa.close();
        }
        final Process second = serverChild("server-2", node);
        TestNode.await("the server to restart", 120, () -> contains("server-2", "READY") || !second.isAlive());
        assertThat(output("server-2")).contains("READY");
        try (Session s = org.bess.client.Bess.connect(node, org.bess.client.Bess.Mode.COPY_ON_ACCESS)) {
            final Database db = s.openDatabase(db2);
            try (Transaction tx = s.begin()) {
                final ObjectRef o = tx.open(new Ref(db, ref.word()));
                assertThat(o.getLong(0)).isEqualTo(4242);
                assertThat(o.getLong(8)).isEqualTo(99);
            }
        }
        second.destroyForcibly();
        assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void shouldLogCopyOnAccessChangesAcrossEarlyLoggingOfASmallRecoveryBuffer() throws Exception {
        final Path node = dir.resolve("small-node");
        final Path db2 = dir.resolve("small.root");
        final Process first = serverChild("small-1", node, 8);
        TestNode.await("the server to start", 120, () -> contains("small-1", "READY") || !first.isAlive());
        final List<Ref> refs = new ArrayList<>();
        try (Session s = org.bess.client.Bess.connect(node, org.bess.client.Bess.Mode.COPY_ON_ACCESS)) {
            final Database db = s.createDatabase(db2, 1L << 20);
            final TypeId t = db.defineType("Page", 3000, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "pages");
                for (int i = 0; i < 60; i++) {
                    refs.add(tx.allocate(f, t).ref());
                }
                tx.commit();
            }
            // many more written pages than the buffer holds, the same pages written again after each early log
            try (Transaction tx = s.begin()) {
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < refs.size(); i++) {
                        final ObjectRef o = tx.open(refs.get(i));
                        o.putLong(8 * round, 1000L * round + i);
                        o.putLong(2990, i);
                    }
                }
                tx.commit();
            }
            try (Transaction tx = s.begin()) {
                for (final Ref r : refs) {
                    tx.open(r).putLong(0, -5);
                    tx.open(r).putLong(2000, -5);
                }
                tx.abort();
            }
        }
        first.destroyForcibly(); // SIGKILL: what commit acknowledged must come back from the log
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        final Process second = serverChild("small-2", node, 8);
        TestNode.await("the server to restart", 120, () -> contains("small-2", "READY") || !second.isAlive());
        try (Session s = org.bess.client.Bess.connect(node, org.bess.client.Bess.Mode.SHARED_MEMORY)) {
            final Database db = s.openDatabase(db2);
            try (Transaction tx = s.begin()) {
                for (int i = 0; i < refs.size(); i++) {
                    final ObjectRef o = tx.open(new Ref(db, refs.get(i).word()));
                    for (int round = 0; round < 3; round++) {
                        assertThat(o.getLong(8 * round)).isEqualTo(1000L * round + i);
                    }
                    assertThat(o.getLong(2990)).isEqualTo(i);
                    assertThat(o.getLong(2000)).isZero();
                }
            }
        }
        second.destroyForcibly();
        assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldKillAClientThatWritesIntoAReadOnlyFrameAndKeepTheDatabaseIntact(final String mode) throws Exception {
        final Process p = child("stray", mode, "stray", String.valueOf(ACCOUNTS), "1");
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(output("stray"))
                .contains("read 1000")
                .contains("stray write at")
                .doesNotContain("SURVIVED");
        assertThat(p.exitValue()).isNotZero();
        assertThat(Files.readString(dir.resolve("stray.hs_err.log")))
                .contains("SIGSEGV")
                .contains("SEGV_ACCERR");
        TestNode.await("the dead client to be cleaned up", 120, () -> endpoint.connectionCount() == 0);
        assertThat(server.lockCounters()[0]).isZero();
        assertThat(SessionAccess.mappedFrames(server)).isZero();
        assertThat(totals()[0]).isEqualTo(ACCOUNTS * 1000L);
        endpoint.close();
        endpoint = null;
        server.close();
        server = null;
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).problems())
                .isEmpty();
    }

    private long recoveryFiles() throws IOException {
        try (java.util.stream.Stream<Path> files =
                Files.list(SessionAccess.cacheFile(server).getParent())) {
            return files.filter(f -> f.getFileName().toString().startsWith(SessionAccess.RECOVERY_BUFFER_FILE_PREFIX))
                    .count();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"SHARED_MEMORY", "COPY_ON_ACCESS"})
    void shouldRestoreASigkilledClientFromItsSharedMemoryRecoveryBufferAndRemoveTheFile(final String mode)
            throws Exception {
        final Process p = child("hang-rb", mode, "hang", String.valueOf(ACCOUNTS), "1");
        TestNode.await(
                "the client to be inside its transaction", 120, () -> contains("hang-rb", "IN_TXN") || !p.isAlive());
        assertThat(output("hang-rb")).contains("IN_TXN");
        assertThat(recoveryFiles())
                .as("the client's recovery-buffer file in the node's shm")
                .isEqualTo(1);
        final Path file;
        try (java.util.stream.Stream<Path> files =
                Files.list(SessionAccess.cacheFile(server).getParent())) {
            file = files.filter(f -> f.getFileName().toString().startsWith(SessionAccess.RECOVERY_BUFFER_FILE_PREFIX))
                    .findFirst()
                    .orElseThrow();
        }
        assertThat(java.nio.file.Files.getPosixFilePermissions(file))
                .containsExactlyInAnyOrder(
                        java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        try (org.bess.client.remote.RecoveryBufferMapping m = org.bess.client.remote.RecoveryBufferMapping.map(file)) {
            assertThat(m.imagesHeld()).as("before-images of the pages it wrote").isGreaterThan(0);
        }
        p.destroyForcibly(); // SIGKILL with two accounts written in place (or shipped) and not committed
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        TestNode.await("the server to clean the client up", 120, () -> endpoint.connectionCount() == 0);
        assertThat(Files.exists(file))
                .as("recovery-buffer file after the clean-up")
                .isFalse();
        assertThat(totals()[0])
                .as("total money: the before-images were restored")
                .isEqualTo(ACCOUNTS * 1000L);
        writeEveryAccount();
        assertThat(server.lockCounters()[0]).isZero();
    }

    @Test
    void shouldKillAClientThatWritesIntoItsReadOnlyRecoveryBufferAndStillRollItBack() throws Exception {
        final Process p = child("stray-rb", "SHARED_MEMORY", "strayRecovery", String.valueOf(ACCOUNTS), "1");
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(output("stray-rb"))
                .contains("images ")
                .doesNotContain("images 0")
                .contains("stray write at")
                .doesNotContain("SURVIVED");
        assertThat(p.exitValue()).isNotZero();
        assertThat(Files.readString(dir.resolve("stray-rb.hs_err.log")))
                .contains("SIGSEGV")
                .contains("SEGV_ACCERR");
        TestNode.await("the dead client to be cleaned up", 120, () -> endpoint.connectionCount() == 0);
        assertThat(recoveryFiles()).isZero();
        // the rollback verified the untouched buffer and restored the account
        assertThat(totals()[0]).isEqualTo(ACCOUNTS * 1000L);
    }

    /** A two-page object, root {@code big}, with 1 at byte 8000 (its second page: not its segment's page). */
    private void createBigObject() {
        try (Session s = server.openSession()) {
            final Database db = s.openDatabase(root);
            final TypeId big = db.defineType("Big", 9000, new int[0]);
            try (Transaction tx = s.begin()) {
                final ObjectRef o = tx.allocate(tx.createFile(db, "big"), big);
                o.putLong(8000, 1);
                tx.setRoot(db, "big", o.ref());
                tx.commit();
            }
        }
    }

    private long bigValue() {
        try (Session s = server.openSession()) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                return tx.open(tx.root(db, "big")).getLong(8000);
            }
        }
    }

    /** Writes the big object from an embedded session: fails with a lock timeout if the dead client's X leaked. */
    private void writeBig(final long value) {
        try (Session s = server.openSession()) {
            final Database db = s.openDatabase(root);
            try (Transaction tx = s.begin()) {
                tx.open(tx.root(db, "big")).putLong(8000, value);
                tx.commit();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"afterLock", "afterImage", "written"})
    void shouldRestoreASharedMemoryClientKilledInOrAfterAFirstWriteWithoutARequest(final String when) throws Exception {
        createBigObject();
        final String name = "fastwrite-" + when;
        final Process p = childWith(
                when.equals("written") ? List.of() : List.of("-Dbess.test.fastWriteHalt=" + when),
                name,
                "SHARED_MEMORY",
                "fastWrite",
                String.valueOf(ACCOUNTS),
                "1");
        if (when.equals("written")) {
            TestNode.await("the client to write", 120, () -> contains(name, "IN_TXN") || !p.isAlive());
            assertThat(output(name)).contains("requests 0").contains("IN_TXN fastWrites=1");
            p.destroyForcibly(); // SIGKILL with the page written in place, its change unlogged
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } else {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue())
                    .as("halted by the test hook inside its first write: %s", output(name))
                    .isEqualTo(when.equals("afterLock") ? 78 : 79);
        }
        TestNode.await("the server to clean the client up", 120, () -> endpoint.connectionCount() == 0);
        assertThat(bigValue()).as("the page restored (or never changed)").isEqualTo(1);
        writeBig(2); // the X the client took by the fast path is gone (2 s lock timeout)
        assertThat(server.lockCounters()[0]).isZero();
        assertThat(endpoint.clientImagesRefused()).isZero();
        assertThat(recoveryFiles()).isZero();
        endpoint.close();
        endpoint = null;
        server.close();
        server = null;
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).problems())
                .isEmpty();
    }

    @Test
    void shouldRefuseAGarbageImageOfAKilledClientAndLeaveItsRollbackToRestartRecovery() throws Exception {
        createBigObject();
        final Process p =
                child("fastwrite-garbage", "SHARED_MEMORY", "fastWrite", String.valueOf(ACCOUNTS), "1", "garbage");
        TestNode.await("the client to write", 120, () -> contains("fastwrite-garbage", "IN_TXN") || !p.isAlive());
        assertThat(output("fastwrite-garbage"))
                .contains("requests 0")
                .contains("garbage written")
                .contains("IN_TXN fastWrites=1");
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        TestNode.await("the server to clean the client up", 120, () -> endpoint.connectionCount() == 0);
        assertThat(endpoint.clientImagesRefused()).isEqualTo(1);
        assertThat(endpoint.lastClientImageRefused())
                .contains("client-made before-image is garbage, refused")
                .contains("image checksum");
        endpoint.close();
        endpoint = null;
        try {
            server.close();
        } catch (final org.bess.exceptions.BessException e) {
            // the failed rollback stopped the log: closing reports it again
        }
        server = BessServer.start(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(16L << 20));
        assertThat(bigValue())
                .as("restart recovery: the committed value, not the client's change nor its garbage image")
                .isEqualTo(1);
        assertThat(totals()[0]).isEqualTo(ACCOUNTS * 1000L);
        server.close();
        server = null;
        assertThat(new DatabaseChecker(root, dir.resolve("check")).run(l -> {}).problems())
                .isEmpty();
    }
}
