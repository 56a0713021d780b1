package org.bess.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.Txn;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable commits with one committer: a read-modify-write of {@code objects} objects of 100 bytes on distinct pages,
 * committed and made durable, in bess (write-ahead log, group commit) and in lmdbjava (default sync on commit), beside
 * the floor of a raw 4 KiB {@code pwrite} + {@code fdatasync} on the same file system. Average time per commit.
 * Several committers need several sessions on one engine, which arrive with the node server.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
@State(Scope.Benchmark)
public class DurableCommitBenchmark {
    /** Objects changed per commit (each on its own page). */
    @Param({"1", "10"})
    public int objects;

    private static final int ACCOUNTS = 256;
    private static final int OBJECT_SIZE = 100;

    private Path dir;
    private Session session;
    private Database db;
    private Ref[] refs;
    private Env<DirectBuffer> env;
    private Dbi<DirectBuffer> dbi;
    private MutableDirectBuffer key;
    private MutableDirectBuffer value;
    private FileChannel raw;
    private ByteBuffer rawPage;
    private final SplittableRandom random = new SplittableRandom(7);

    /** Creates both stores in a temporary directory under the working directory (a real file system). */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory(
                Path.of(System.getProperty("bess.bench.dir", ".")).toAbsolutePath(), "commit-");
        session = BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(64L << 20));
        db = session.createDatabase(dir.resolve("bench.root"), 1L << 20);
        // 4 KiB objects: each object on its own page, the 100-byte field at its start
        final TypeId t = db.defineType("Account", 4000, new int[0]);
        refs = new Ref[ACCOUNTS];
        try (Transaction tx = session.begin()) {
            final BessFile f = tx.createFile(db, "accounts");
            for (int i = 0; i < ACCOUNTS; i++) {
                refs[i] = tx.allocate(f, t).ref();
            }
            tx.commit();
        }
        Files.createDirectories(dir.resolve("lmdb"));
        env = Env.create(org.lmdbjava.DirectBufferProxy.PROXY_DB)
                .setMapSize(256L << 20)
                .setMaxDbs(1)
                .open(dir.resolve("lmdb").toFile());
        dbi = env.openDbi("kv", DbiFlags.MDB_CREATE);
        key = new UnsafeBuffer(ByteBuffer.allocateDirect(4));
        value = new UnsafeBuffer(ByteBuffer.allocateDirect(OBJECT_SIZE));
        try (Txn<DirectBuffer> txn = env.txnWrite()) {
            for (int i = 0; i < ACCOUNTS; i++) {
                key.putInt(0, i, java.nio.ByteOrder.BIG_ENDIAN);
                dbi.put(txn, key, value);
            }
            txn.commit();
        }
        raw = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        rawPage = ByteBuffer.allocateDirect(4096);
    }

    /** Closes both stores and deletes the directory. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        session.close();
        env.close();
        raw.close();
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** bess: open, read, change and commit {@code objects} objects; returns after the commit record is durable. */
    @Benchmark
    public long bessCommit() {
        long sum = 0;
        try (Transaction tx = session.begin()) {
            for (int i = 0; i < objects; i++) {
                final ObjectRef o = tx.open(refs[random.nextInt(ACCOUNTS)]);
                final long v = o.getLong(0) + 1;
                o.putLong(0, v);
                o.putLong(64, v ^ 0x5555);
                sum += v;
            }
            tx.commit();
        }
        return sum;
    }

    /** lmdbjava: get, change and put {@code objects} values, commit with its default sync. */
    @Benchmark
    public long lmdbCommit() {
        long sum = 0;
        try (Txn<DirectBuffer> txn = env.txnWrite()) {
            for (int i = 0; i < objects; i++) {
                key.putInt(0, random.nextInt(ACCOUNTS), java.nio.ByteOrder.BIG_ENDIAN);
                final DirectBuffer found = dbi.get(txn, key);
                final long v = found.getLong(0) + 1;
                value.putBytes(0, found, 0, OBJECT_SIZE);
                value.putLong(0, v);
                value.putLong(64, v ^ 0x5555);
                dbi.put(txn, key, value);
                sum += v;
            }
            txn.commit();
        }
        return sum;
    }

    /** The floor: one 4 KiB write and {@code fdatasync} of the same file. */
    @Benchmark
    public int rawFdatasync() throws IOException {
        rawPage.clear();
        final int n = raw.write(rawPage, 0);
        raw.force(false);
        return n;
    }
}
