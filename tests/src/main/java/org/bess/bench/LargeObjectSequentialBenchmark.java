package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * through bess's cache ({@code cacheMiB}). One shot per iteration: the score is milliseconds per pass, so throughput
 * is {@code objectMiB / score}.
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

    private Path dir;
    private Session session;
    private Database db;
    private byte[] chunk;
    private Ref readRef;
    private Ref writtenRef;
    private Path plainRead;
    private Path plainWrite;

    /** Creates the database, writes the object to read and the plain file to read. */
    @Setup(Level.Trial)
    public void setUp() {
        dir = BenchFiles.tempDir("bess-lo-seq-");
        session = BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes((long) cacheMiB << 20));
        db = session.createDatabase(dir.resolve("db.root"));
        chunk = BenchFiles.bytes(1, chunkKiB << 10);
        readRef = writeObject("read");
        plainRead = dir.resolve("plain-read.dat");
        plainWrite = dir.resolve("plain-write.dat");
        BenchFiles.writePlain(plainRead, chunk, (long) objectMiB << 20);
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

    private Ref writeObject(final String fileName) {
        try (Transaction tx = session.begin()) {
            BessFile f;
            try {
                f = tx.file(db, fileName);
            } catch (final RuntimeException e) {
                f = tx.createFile(db, fileName);
            }
            final LargeObject lo = tx.createLarge(f);
            final long total = (long) objectMiB << 20;
            for (long done = 0; done < total; done += chunk.length) {
                lo.append(chunk, 0, (int) Math.min(chunk.length, total - done));
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
        writtenRef = writeObject("written");
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
            final LargeObject lo = tx.openLarge(readRef);
            final long total = lo.length();
            for (long pos = 0; pos < total; pos += chunk.length) {
                final int n = (int) Math.min(chunk.length, total - pos);
                lo.read(pos, chunk, 0, n);
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
        try (FileChannel ch = FileChannel.open(plainRead, StandardOpenOption.READ)) {
            final ByteBuffer buf = ByteBuffer.wrap(chunk);
            while (true) {
                buf.clear();
                final int n = ch.read(buf);
                if (n < 0) {
                    return;
                }
                bh.consume(chunk[Math.max(0, n - 1)]);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
