package org.bess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * EIO on area reads, writes and forces and on log writes and forces (TESTING.md row 7), injected through the storage
 * I/O seam ({@link FaultyStorageIo}). The SQLite ioerr loop: a bank workload runs with the N-th operation of a kind
 * failing, once or from then on, for N = 1 up to the operations of a fault-free run; every failure must reach the
 * caller as an {@code IO} {@link BessException} naming the file, a commit whose log force failed is never
 * acknowledged, and a restart with healthy I/O must bring back every acknowledged transfer and pass the check.
 */
@Timeout(900)
class IoErrorTest {
    private static final int ACCOUNTS = 200;
    private static final int TRANSFERS = 40;

    @TempDir
    Path dir;

    private Path work() {
        return dir.resolve("work");
    }

    private Path node() {
        return work().resolve("node");
    }

    private Path root() {
        return work().resolve("db").resolve("bank.root");
    }

    private Session open(final FaultyStorageIo io) {
        return BessServer.embedded(new Context()
                .nodeDir(node())
                .cacheSizeBytes(512L << 10)
                .recoveryBufferPages(16)
                .checkpointLogBytes(1L << 30)
                .storageIo(io));
    }

    @BeforeEach
    void makeBank() throws IOException {
        Files.createDirectories(root().getParent());
        try (Session s = open(new FaultyStorageIo())) {
            final Database db = s.createDatabase(root(), 1L << 20);
            // one account per page, more pages than cache frames: transfers read and write back pages
            final TypeId account = db.defineType("Account", 3000, new int[0]);
            try (Transaction tx = s.begin()) {
                final BessFile f = tx.createFile(db, "accounts");
                for (int i = 0; i < ACCOUNTS; i++) {
                    final ObjectRef a = tx.allocate(f, account);
                    a.putLong(0, BankWorkload.INITIAL);
                    a.putLong(8, i);
                }
                tx.commit();
            }
        }
        CrashHarness.copyTree(work(), dir.resolve("template"));
    }

    /** What one faulty run did: acknowledged balances, transfers that may have committed, failures seen. */
    private record Run(long[] acked, List<long[]> maybe, int failures, String firstFailure) {}

    private static void assertClean(final BessException e, final FaultyStorageIo.Op op) {
        assertThat(e.errorCode()).as("%s", e).isIn(ErrorCode.IO, ErrorCode.STORAGE_FULL);
        assertThat(e.getMessage())
                .as("the error names the file")
                .contains("path=" + Path.of("").toAbsolutePath().getRoot());
        if (op == FaultyStorageIo.Op.AREA_READ || op == FaultyStorageIo.Op.AREA_WRITE) {
            assertThat(e.getMessage()).as("the error names the page").containsPattern("page=\\d+|restart recovery");
        }
    }

    /** The bank workload on faulty I/O: transfers, a checkpoint every 10, then close; every failure is caught. */
    private Run runWorkload(
            final FaultyStorageIo io, final FaultyStorageIo.Op op, final int nth, final boolean sticky) {
        final long[] acked = new long[ACCOUNTS];
        Arrays.fill(acked, BankWorkload.INITIAL);
        final List<long[]> maybe = new ArrayList<>();
        int failures = 0;
        String first = null;
        final Session s = open(io);
        final Database db = s.openDatabase(root());
        final Ref[] refs = BankWorkload.accounts(s, db, ACCOUNTS);
        if (op != null) {
            io.arm(op, nth, sticky);
        }
        final Random random = new Random(42);
        for (int n = 1; n <= TRANSFERS; n++) {
            final int from = random.nextInt(ACCOUNTS);
            final int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            final long amount = 1 + random.nextInt(100);
            boolean committing = false;
            Transaction tx = null;
            try {
                tx = s.begin();
                final ObjectRef a = tx.open(refs[from]);
                final ObjectRef b = tx.open(refs[to]);
                a.putLong(0, a.getLong(0) - amount);
                b.putLong(0, b.getLong(0) + amount);
                committing = true;
                tx.commit();
                acked[from] -= amount;
                acked[to] += amount;
            } catch (final BessException e) {
                assertClean(e, op);
                failures++;
                first = first == null ? e.getMessage() : first;
                if (committing) {
                    // the commit threw: never acknowledged, but its record may have reached the disk
                    maybe.add(new long[] {from, to, amount});
                }
                if (tx != null) {
                    try {
                        tx.close();
                    } catch (final BessException suppressed) {
                        assertClean(suppressed, op);
                    }
                }
            }
            if (n % 10 == 0) {
                try {
                    ((EmbeddedSession) s).server().checkpoint();
                } catch (final BessException e) {
                    assertClean(e, op);
                    failures++;
                    first = first == null ? e.getMessage() : first;
                }
            }
        }
        try {
            s.close();
        } catch (final BessException e) {
            assertClean(e, op);
            failures++;
            first = first == null ? e.getMessage() : first;
        }
        return new Run(acked, maybe, failures, first);
    }

    /** Restarts with healthy I/O: the acknowledged transfers (with at most one that may have committed), check clean. */
    private void assertRecovered(final Run run, final String what) {
        final long[] actual;
        try (Session s = open(new FaultyStorageIo())) {
            actual = BankWorkload.balances(s, s.openDatabase(root()), ACCOUNTS);
        }
        boolean allowed = Arrays.equals(actual, run.acked());
        for (final long[] t : run.maybe()) {
            final long[] with = run.acked().clone();
            with[(int) t[0]] -= t[2];
            with[(int) t[1]] += t[2];
            allowed |= Arrays.equals(actual, with);
        }
        assertThat(allowed)
                .as(
                        "%s: balances after restart %s, acknowledged %s, %d unacknowledged commit(s) either way",
                        what,
                        Arrays.toString(actual),
                        Arrays.toString(run.acked()),
                        run.maybe().size())
                .isTrue();
        assertThat(CrashHarness.check(root(), dir.resolve("check"))).as(what).isEmpty();
    }

    private void ioErrorLoop(final int maxCases) {
        CrashHarness.copyTree(dir.resolve("template"), work());
        final FaultyStorageIo counting = new FaultyStorageIo();
        final Run clean = runWorkload(counting, FaultyStorageIo.Op.AREA_READ, Integer.MAX_VALUE, false);
        assertThat(clean.failures()).isZero();
        int cases = 0;
        int injected = 0;
        for (final FaultyStorageIo.Op op : FaultyStorageIo.Op.values()) {
            final long total = counting.countSinceArm(op);
            assertThat(total).as("%s operations in a fault-free run", op).isPositive();
            final TreeSet<Long> ns = new TreeSet<>();
            for (long n = 1; n <= total; n += Math.max(1, total / maxCases)) {
                ns.add(n);
            }
            ns.add(total);
            for (final boolean sticky : new boolean[] {false, true}) {
                for (final long n : ns) {
                    CrashHarness.copyTree(dir.resolve("template"), work());
                    final FaultyStorageIo io = new FaultyStorageIo();
                    final Run run = runWorkload(io, op, (int) n, sticky);
                    final String what = op + (sticky ? " persistent" : " transient") + " from op " + n;
                    assertThat(io.injected()).as("%s was injected", what).isPositive();
                    assertThat(run.failures()).as("%s reached the caller", what).isPositive();
                    System.out.println("case " + what + " first failure: " + run.firstFailure());
                    assertRecovered(run, what);
                    cases++;
                    injected += io.injected();
                }
            }
            System.out.printf("io errors: %s: %d operations in a fault-free run%n", op, total);
        }
        System.out.printf(
                "io errors: %d cases, %d failures injected, 0 lost acknowledged transfers%n", cases, injected);
    }

    @Test
    void shouldFailCleanlyAndLoseNothingAcknowledgedWhenAnyOperationFails() {
        ioErrorLoop(4);
    }

    @Test
    @Tag("slow")
    void shouldFailCleanlyAndLoseNothingAcknowledgedWhenAnyOperationFailsFullLoop() {
        ioErrorLoop(60);
    }

    @Test
    void shouldNeverAcknowledgeACommitWhoseLogForceFailedAndRefuseLaterCommits() {
        final FaultyStorageIo io = new FaultyStorageIo();
        final Session s = open(io);
        final Database db = s.openDatabase(root());
        final Ref[] refs = BankWorkload.accounts(s, db, ACCOUNTS);
        io.arm(FaultyStorageIo.Op.LOG_FORCE, 1, false);
        final Transaction tx = s.begin();
        tx.open(refs[0]).putLong(0, 1);
        assertThatThrownBy(tx::commit)
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.IO))
                .hasMessageContaining("fdatasync failed")
                .hasMessageContaining("log-0000000000000000.dat");
        // the device works again, but the log is fail-stop: nothing more is acknowledged before a restart
        assertThatThrownBy(() -> {
                    try (Transaction next = s.begin()) {
                        next.open(refs[1]).putLong(0, 2);
                        next.commit();
                    }
                })
                .isInstanceOf(BessException.class)
                .hasMessageContaining("restart recovery is needed");
        try {
            s.close();
        } catch (final BessException e) {
            assertThat(e.getMessage()).contains("restart recovery is needed");
        }
        try (Session again = open(new FaultyStorageIo())) {
            final long[] b = BankWorkload.balances(again, again.openDatabase(root()), ACCOUNTS);
            assertThat(b[0]).as("the unacknowledged commit either way").isIn(1L, BankWorkload.INITIAL);
            assertThat(b[1]).as("the refused commit").isEqualTo(BankWorkload.INITIAL);
        }
        assertThat(CrashHarness.check(root(), dir.resolve("check"))).isEmpty();
    }

    @Test
    void shouldNameTheAreaAndPageOfAFailedReadAndServeThePageOnceTheDeviceRecovers() {
        final FaultyStorageIo io = new FaultyStorageIo();
        try (Session s = open(io)) {
            final Database db = s.openDatabase(root());
            final Ref[] refs = BankWorkload.accounts(s, db, ACCOUNTS);
            // the last accounts were read last; the first ones have left the 128-frame cache
            io.arm(FaultyStorageIo.Op.AREA_READ, 1, true);
            for (int attempt = 0; attempt < 3; attempt++) {
                assertThatThrownBy(() -> {
                            try (Transaction tx = s.begin()) {
                                tx.open(refs[0]).getLong(0);
                            }
                        })
                        .isInstanceOfSatisfying(BessException.class, e -> assertThat(e.errorCode())
                                .isEqualTo(ErrorCode.IO))
                        .hasMessageContaining("pread failed: EIO")
                        .hasMessageContaining("path=" + root())
                        .hasMessageContaining("page=");
            }
            io.disarm();
            assertThat(BankWorkload.balances(s, db, ACCOUNTS)).containsOnly(BankWorkload.INITIAL);
        }
        assertThat(CrashHarness.check(root(), dir.resolve("check"))).isEmpty();
    }

    @Test
    void shouldRefuseEveryCheckpointAfterAFailedAreaForceYetKeepCommitsDurable() {
        final FaultyStorageIo io = new FaultyStorageIo();
        final Session s = open(io);
        final Database db = s.openDatabase(root());
        final Ref[] refs = BankWorkload.accounts(s, db, ACCOUNTS);
        try (Transaction tx = s.begin()) {
            tx.open(refs[3]).putLong(0, 33);
            tx.commit();
        }
        io.arm(FaultyStorageIo.Op.AREA_FORCE, 1, false);
        assertThatThrownBy(() -> ((EmbeddedSession) s).server().checkpoint())
                .isInstanceOf(BessException.class)
                .hasMessageContaining("fdatasync failed")
                .hasMessageContaining("path=" + root());
        // a second fdatasync would succeed (the kernel forgot the error), but the pages may be lost: no checkpoint
        assertThatThrownBy(() -> ((EmbeddedSession) s).server().checkpoint())
                .isInstanceOf(BessException.class)
                .hasMessageContaining("restart recovery is needed")
                .hasMessageContaining("path=" + root());
        try (Transaction tx = s.begin()) {
            tx.open(refs[4]).putLong(0, 44);
            tx.commit();
        }
        assertThatThrownBy(s::close).isInstanceOf(BessException.class).hasMessageContaining("restart recovery");
        try (Session again = open(new FaultyStorageIo())) {
            assertThat(BessServer.recoverySummary(again))
                    .as("restart recovery ran")
                    .isNotNull();
            final long[] b = BankWorkload.balances(again, again.openDatabase(root()), ACCOUNTS);
            assertThat(b[3]).isEqualTo(33);
            assertThat(b[4]).isEqualTo(44);
        }
        assertThat(CrashHarness.check(root(), dir.resolve("check"))).isEmpty();
    }
}
