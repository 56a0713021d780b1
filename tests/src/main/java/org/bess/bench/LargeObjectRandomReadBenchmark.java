package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.server.BessServer;
import org.bess.server.Context;
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
 * Random 4 KiB reads by position (any byte offset) in a large object of {@code objectMiB}, against {@code pread} of the
 * same range of a plain file. Each read walks the tree from the root: the cost of reaching any byte. The object is
 * larger than the cache ({@code cacheMiB}), so reads mix hits and misses; the file is in the OS page cache.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
@State(Scope.Benchmark)
public class LargeObjectRandomReadBenchmark {
    private static final int READ_LENGTH = 4096;

    /** Bytes of the object and of the file, in MiB. */
    @Param("256")
    public int objectMiB;

    /** The engine's cache, in MiB. */
    @Param("64")
    public int cacheMiB;

    private Path dir;
    private Session session;
    private Transaction tx;
    private LargeObject object;
    private FileChannel plain;
    private long length;
    private final byte[] dst = new byte[READ_LENGTH];
    private final ByteBuffer plainDst = ByteBuffer.allocateDirect(READ_LENGTH);
    private final SplittableRandom random = new SplittableRandom(17);

    /** Writes the object and the file, then opens the object in a read transaction kept for the trial. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = BenchFiles.tempDir("bess-lo-rnd-");
        session = BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes((long) cacheMiB << 20));
        final Database db = session.createDatabase(dir.resolve("db.root"));
        final byte[] chunk = BenchFiles.bytes(2, 1 << 20);
        length = (long) objectMiB << 20;
        try (Transaction w = session.begin()) {
            final LargeObject lo = w.createLarge(w.createFile(db, "f"));
            for (long done = 0; done < length; done += chunk.length) {
                lo.append(chunk);
            }
            w.setRoot(db, "lo", lo.ref());
            w.commit();
        }
        final Path file = dir.resolve("plain.dat");
        BenchFiles.writePlain(file, chunk, length);
        plain = FileChannel.open(file, StandardOpenOption.READ);
        tx = session.begin();
        object = tx.openLarge(tx.root(db, "lo"));
    }

    /** Ends the transaction, closes everything and deletes the files. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        tx.close();
        plain.close();
        session.close();
        BenchFiles.deleteTree(dir);
    }

    /**
     * Reads 4 KiB at a random position of the object.
     *
     * @return a byte read, so that the read cannot be eliminated.
     */
    @Benchmark
    public byte readLargeObject() {
        final long pos = random.nextLong(length - READ_LENGTH);
        object.read(pos, dst);
        return dst[READ_LENGTH - 1];
    }

    /**
     * Reads 4 KiB at a random position of the plain file.
     *
     * @return a byte read.
     */
    @Benchmark
    public byte readPlainFile() {
        final long pos = random.nextLong(length - READ_LENGTH);
        plainDst.clear();
        try {
            while (plainDst.hasRemaining()) {
                plain.read(plainDst, pos + plainDst.position());
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        plainDst.flip();
        plainDst.get(dst);
        return dst[READ_LENGTH - 1];
    }
}
