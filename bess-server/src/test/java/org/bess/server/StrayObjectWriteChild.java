package org.bess.server;

import java.nio.file.Path;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.ObjectRef;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;

/**
 * Child JVM for {@link VirtualFrameProtectionTest}: commits an object holding 42, opens it again in a new transaction
 * (its frame is mapped read-only), prints its address, then writes through {@code Unsafe} behind the engine's back. The
 * write must kill this process with SIGSEGV; if it survives, it prints {@code SURVIVED} and exits 3.
 */
public final class StrayObjectWriteChild {
    private StrayObjectWriteChild() {}

    /**
     * Runs the child.
     *
     * @param args node dir, root area path.
     */
    public static void main(final String[] args) {
        final Session s =
                BessServer.embedded(new Context().nodeDir(Path.of(args[0])).cacheSizeBytes(4L << 20));
        final Database db = s.createDatabase(Path.of(args[1]), 1L << 20);
        final TypeId t = db.defineType("Counter", 16, new int[0]);
        try (Transaction tx = s.begin()) {
            final BessFile f = tx.createFile(db, "counters");
            tx.allocate(f, t).putLong(0, 42);
            tx.commit();
        }
        final Transaction tx = s.begin();
        final org.bess.client.Cursor c = tx.scan(tx.file(db, "counters"));
        c.next();
        final ObjectRef object = c.object();
        System.out.println("read " + object.getLong(0));
        final long address = ((EngineObjectRef) object).address();
        System.out.println("stray write at 0x" + Long.toHexString(address));
        System.out.flush();
        new UnsafeBuffer(address, 16).putLong(0, 666);
        System.out.println("SURVIVED");
        System.exit(3);
    }
}
