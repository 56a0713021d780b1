package org.bess.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.bess.client.Bess;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;

/**
 * A client process of {@link MultiProcessReadBenchmark}: connects to {@code <nodeDir>/sessions.sock} in shared-memory
 * mode and, until it is stopped (by pid, from the benchmark), runs read-only traversals: one transaction follows
 * {@code hops} references along the store's cycle ({@code tx.open} of the reference whose index the current object
 * names, then a read of its value), commits, and publishes its cumulative count of objects read in its slot of a
 * shared counter file (one {@code long} per 64-byte slot, release stores).
 *
 * <p>Arguments: {@code nodeDir rootArea refsFile counterFile slot hops}.
 */
public final class ReadClientMain {
    /** Bytes per counter slot (one cache line: the two clients do not share one). */
    static final int SLOT_BYTES = 64;

    static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private ReadClientMain() {}

    /**
     * Runs the client until the process is stopped.
     *
     * @param args {@code nodeDir rootArea refsFile counterFile slot hops}.
     */
    public static void main(final String[] args) throws IOException {
        if (args.length != 6) {
            throw new IllegalArgumentException(
                    "usage: ReadClientMain nodeDir rootArea refsFile counterFile slot hops; got " + args.length);
        }
        final Path nodeDir = Path.of(args[0]);
        final Path root = Path.of(args[1]);
        final long[] words = readWords(Path.of(args[2]));
        final int slot = Integer.parseInt(args[4]);
        final int hops = Integer.parseInt(args[5]);
        final MappedByteBuffer counter;
        try (FileChannel ch = FileChannel.open(Path.of(args[3]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            counter = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
        }
        try (Session session = Bess.connect(nodeDir, Bess.Mode.SHARED_MEMORY)) {
            final Database db = session.openDatabase(root);
            final Ref[] refs = new Ref[words.length];
            for (int i = 0; i < words.length; i++) {
                refs[i] = new Ref(db, words[i]);
            }
            long reads = 0;
            long sum = 0;
            int at = slot * (words.length / 2);
            while (!Thread.currentThread().isInterrupted()) {
                try (Transaction t = session.begin()) {
                    for (int h = 0; h < hops; h++) {
                        final ObjectRef o = t.open(refs[at]);
                        sum += o.getLong(0);
                        at = o.getInt(8);
                    }
                    t.commit();
                }
                reads += hops;
                LONGS.setRelease(counter, slot * SLOT_BYTES, reads);
            }
            System.out.println("sum " + sum);
        }
    }

    private static long[] readWords(final Path file) {
        try {
            final ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            final long[] words = new long[b.remaining() / Long.BYTES];
            for (int i = 0; i < words.length; i++) {
                words[i] = b.getLong();
            }
            return words;
        } catch (final IOException e) {
            throw new UncheckedIOException("reading the reference words of " + file, e);
        }
    }
}
