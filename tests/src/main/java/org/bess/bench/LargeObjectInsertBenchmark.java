package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * Inserting 4 KiB in the middle of a large object of {@code objectMiB}, against doing the same to a plain file by
 * rewriting everything after the middle (the goal: a cost independent of the object's size). Each insert goes at the
 * object's current middle, so it lands in different leaves; the object grows by 4 KiB per insert, and is committed at
 * the end of each iteration.
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
public class LargeObjectInsertBenchmark {
    private static final int INSERT_LENGTH = 4096;
    private static final int MOVE_CHUNK = 1 << 20;

    /** Bytes of the object and of the file, in MiB. */
    @Param({"16", "64", "256"})
    public int objectMiB;

    private Path dir;
    private Session session;
    private Database db;
    private Transaction tx;
    private LargeObject object;
    private FileChannel plain;
    private long plainLength;
    private final byte[] inserted = BenchFiles.bytes(3, INSERT_LENGTH);
    private final ByteBuffer moveBuffer = ByteBuffer.allocateDirect(MOVE_CHUNK);

    /** Writes the object and the file. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = BenchFiles.tempDir("bess-lo-ins-");
        session = BessServer.embedded(new Context().nodeDir(dir.resolve("node")));
        db = session.createDatabase(dir.resolve("db.root"));
        final byte[] chunk = BenchFiles.bytes(4, 1 << 20);
        final long length = (long) objectMiB << 20;
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
        plain = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        plainLength = length;
    }

    /** Opens the object in a transaction for one iteration. */
    @Setup(Level.Iteration)
    public void begin() {
        tx = session.begin();
        object = tx.openLarge(tx.root(db, "lo"));
    }

    /** Commits the iteration's inserts. */
    @TearDown(Level.Iteration)
    public void commit() {
        tx.commit();
    }

    /** Closes everything and deletes the files. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        plain.close();
        session.close();
        BenchFiles.deleteTree(dir);
    }

    /**
     * Inserts 4 KiB in the middle of the object.
     *
     * @return the new length.
     */
    @Benchmark
    public long insertLargeObject() {
        object.insert(object.length() / 2, inserted);
        return object.length();
    }

    /**
     * Inserts 4 KiB in the middle of the plain file: moves everything after the middle up by 4 KiB, from the end down,
     * then writes the new bytes.
     *
     * @return the new length.
     */
    @Benchmark
    public long insertPlainFile() {
        final long middle = plainLength / 2;
        try {
            for (long end = plainLength; end > middle; ) {
                final int n = (int) Math.min(MOVE_CHUNK, end - middle);
                moveBuffer.clear().limit(n);
                while (moveBuffer.hasRemaining()) {
                    plain.read(moveBuffer, end - n + moveBuffer.position());
                }
                moveBuffer.flip();
                while (moveBuffer.hasRemaining()) {
                    plain.write(moveBuffer, end - n + INSERT_LENGTH + moveBuffer.position());
                }
                end -= n;
            }
            final ByteBuffer src = ByteBuffer.wrap(inserted);
            while (src.hasRemaining()) {
                plain.write(src, middle + src.position());
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        plainLength += INSERT_LENGTH;
        return plainLength;
    }
}
