package org.bess.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.Ref;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Streams a large object in and out sequentially, against a plain file of the same bytes (the goal: at least 0.8 of
 * the plain file's throughput). Each write creates an object, appends {@code objectMiB} in {@code chunkKiB} pieces and
 * commits (a checkpoint: written back and forced), as the plain write ends with {@code force}; each read reads the
 * object written at setup from start to end in the same pieces. Both read through the OS page cache; the object also
 * through bess's cache ({@code cacheMiB}). The file side moves the bytes through a direct buffer, 256 KiB per system
 * call as bess does, to or from the same array as the object side (the fastest plain Java way found here). One shot
 * per iteration: the score is milliseconds per pass, so throughput is {@code objectMiB / score}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"
        })
@State(Scope.Benchmark)
public class LargeObjectSequentialBenchmark {
    /** Bytes of the object and of the file, in MiB. */
    @Param("1024")
    public int objectMiB;

    /** Bytes per append or read call, in KiB. */
    @Param("1024")
    public int chunkKiB;

    /** The engine's cache, in MiB. */
    @Param("256")
    public int cacheMiB;

    private static final int WARM_UP_PASSES = 12;
    private static final int WARM_UP_PIECE = 16 * 1024;

    private Path dir;
    private Session session;
    private Database db;
    private byte[] chunk;
    private Ref readRef;
    private Ref writtenRef;
    private Path plainRead;
    private Path plainWrite;
    private ByteBuffer plainBuffer;

    /** Creates the database, writes the object to read and the plain file to read. */
    @Setup(Level.Trial)
    public void setUp() {
        dir = BenchFiles.tempDir("bess-lo-seq-");
        session = BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes((long) cacheMiB << 20));
        db = session.createDatabase(dir.resolve("db.root"));
        chunk = BenchFiles.bytes(1, chunkKiB << 10);
        plainBuffer = ByteBuffer.allocateDirect(BenchFiles.IO_LENGTH);
        plainRead = dir.resolve("plain-read.dat");
        plainWrite = dir.resolve("plain-write.dat");
        warmUp();
        readRef = writeObject("read", objectMiB, chunk.length);
        BenchFiles.writePlain(plainRead, chunk, (long) objectMiB << 20);
    }

    /**
     * Runs every path some ten thousand times (16 MiB in 16 KiB pieces) before the trial, so that one-shot iterations
     * measure compiled code on both sides (a pass over 1 GiB is only 1024 calls).
     */
    private void warmUp() {
        final int warmMiB = Math.min(16, objectMiB);
        final Path plain = dir.resolve("plain-warm.dat");
        for (int i = 0; i < WARM_UP_PASSES; i++) {
            final Ref ref = writeObject("warm", warmMiB, WARM_UP_PIECE);
            try (Transaction tx = session.begin()) {
                final LargeObject lo = tx.openLarge(ref);
                for (int k = 0; k < 4; k++) {
                    readObject(lo, null, WARM_UP_PIECE);
                }
                tx.free(lo);
                tx.commit();
            }
            BenchFiles.writePlain(plain, Arrays.copyOf(chunk, WARM_UP_PIECE), (long) warmMiB << 20);
            for (int k = 0; k < 4; k++) {
                readPlain(plain, null, WARM_UP_PIECE);
            }
        }
    }

    /** Closes the session and deletes everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        BenchFiles.deleteTree(dir);
    }

    /** Frees the object the last write pass made, outside the measurement. */
    @TearDown(Level.Iteration)
    public void freeWritten() {
        if (writtenRef != null) {
            try (Transaction tx = session.begin()) {
                tx.free(tx.openLarge(writtenRef));
                tx.commit();
            }
            writtenRef = null;
        }
    }

    private Ref writeObject(final String fileName, final int mib, final int piece) {
        try (Transaction tx = session.begin()) {
            BessFile f;
            try {
                f = tx.file(db, fileName);
            } catch (final RuntimeException e) {
                f = tx.createFile(db, fileName);
            }
            final LargeObject lo = tx.createLarge(f);
            final long total = (long) mib << 20;
            for (long done = 0; done < total; done += piece) {
                lo.append(chunk, 0, (int) Math.min(piece, total - done));
            }
            final Ref ref = lo.ref();
            tx.commit();
            return ref;
        }
    }

    /**
     * Appends the object and commits.
     *
     * @return the new object's reference.
     */
    @Benchmark
    public Ref writeLargeObject() {
        writtenRef = writeObject("written", objectMiB, chunk.length);
        return writtenRef;
    }

    /** Writes the plain file and forces it. */
    @Benchmark
    public void writePlainFile() {
        BenchFiles.writePlain(plainWrite, chunk, (long) objectMiB << 20);
    }

    /**
     * Reads the object from start to end.
     *
     * @param bh consumes each piece.
     */
    @Benchmark
    public void readLargeObject(final Blackhole bh) {
        try (Transaction tx = session.begin()) {
            readObject(tx.openLarge(readRef), bh, chunk.length);
        }
    }

    private void readObject(final LargeObject lo, final Blackhole bh, final int piece) {
        final long total = lo.length();
        for (long pos = 0; pos < total; pos += piece) {
            final int n = (int) Math.min(piece, total - pos);
            lo.read(pos, chunk, 0, n);
            if (bh != null) {
                bh.consume(chunk[n - 1]);
            }
        }
    }

    /**
     * Reads the plain file from start to end.
     *
     * @param bh consumes each piece.
     */
    @Benchmark
    public void readPlainFile(final Blackhole bh) {
        readPlain(plainRead, bh, chunk.length);
    }

    private void readPlain(final Path file, final Blackhole bh, final int piece) {
        final int last = BenchFiles.readPlain(file, chunk, piece, plainBuffer);
        if (bh != null) {
            bh.consume(last);
        }
    }
}
