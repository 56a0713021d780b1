package org.bess.tools;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.bess.client.AreaInfo;
import org.bess.client.BessFile;
import org.bess.client.CompactionReport;
import org.bess.client.Database;
import org.bess.client.FileInfo;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;
import org.bess.server.check.CheckReport;
import org.bess.server.check.DatabaseChecker;

/**
 * The storage part of {@code ./bess demo}: two databases, one of them with two areas; types; 20,000 parts chained by
 * references, each referencing a supplier in the other database (through forward objects); notes freed to leave
 * holes; the parts file moved to the other area and compacted; everything closed, reopened, walked and checked
 * offline.
 */
final class StorageDemo {
    /** Parts built. */
    static final int PARTS = 20_000;
    /** Suppliers built (in the second database). */
    static final int SUPPLIERS = 50;

    private static final int PART_ID = 0;
    private static final int PART_NEXT = 8;
    private static final int PART_SUPPLIER = 16;
    private static final int PART_WEIGHT = 24;
    private static final int SUPPLIER_ID = 0;
    private static final int SUPPLIER_NAME = 8;

    private final Path nodeDir;
    private final PrintStream out;

    StorageDemo(final Path nodeDir, final PrintStream out) {
        this.nodeDir = nodeDir;
        this.out = out;
        this.partsRoot = nodeDir.resolve("parts.root");
        this.partsArea2 = nodeDir.resolve("parts.area2");
        this.suppliersRoot = nodeDir.resolve("suppliers.root");
    }

    private Session session() {
        return BessServer.embedded(
                new Context().nodeDir(nodeDir.resolve("node")).cacheSizeBytes(16L << 20));
    }

    private final Path partsRoot;
    private final Path partsArea2;
    private final Path suppliersRoot;
    private double expectedWeight;

    /** Runs the demo; returns null when every step held, else the reason. */
    String run() {
        final long start = System.nanoTime();
        build();
        final String failure = verify();
        if (failure != null) {
            return failure;
        }
        for (final Path root : new Path[] {partsRoot, suppliersRoot}) {
            final CheckReport report = new DatabaseChecker(root, nodeDir.resolve("check-cache")).run(line -> {});
            out.println("check " + root.getFileName() + ": " + report.summary());
            if (!report.healthy()) {
                return "check found problems in " + root + ": "
                        + report.problems().get(0);
            }
        }
        out.printf(Locale.ROOT, "storage demo finished in %d ms%n", (System.nanoTime() - start) / 1_000_000);
        return null;
    }

    private void build() {
        try (Session s = session()) {
            final Database parts = s.createDatabase(partsRoot, 1L << 20);
            parts.addArea(partsArea2);
            final Database suppliers = s.createDatabase(suppliersRoot, 1L << 20);
            out.println("created database " + partsRoot.getFileName() + " with areas " + partsRoot.getFileName()
                    + " and " + partsArea2.getFileName() + ", and database " + suppliersRoot.getFileName());
            final TypeId part = parts.defineType("Part", 32, new int[] {PART_NEXT, PART_SUPPLIER});
            final TypeId note = parts.defineType("Note", 48, new int[0]);
            final TypeId supplier = suppliers.defineType("Supplier", 40, new int[0]);
            out.println("types: " + part + ", " + note + ", " + supplier);
            try (Transaction tx = s.begin()) {
                final BessFile supplierFile = tx.createFile(suppliers, "suppliers");
                final Ref[] supplierRefs = new Ref[SUPPLIERS];
                for (int i = 0; i < SUPPLIERS; i++) {
                    final ObjectRef o = tx.allocate(supplierFile, supplier);
                    o.putLong(SUPPLIER_ID, 1000 + i);
                    final byte[] name = ("supplier-" + i).getBytes(StandardCharsets.US_ASCII);
                    o.putBytes(SUPPLIER_NAME, name, 0, name.length);
                    supplierRefs[i] = o.ref();
                }
                final BessFile partFile = tx.createFile(parts, "parts", partsArea2);
                ObjectRef previous = null;
                for (int i = PARTS - 1; i >= 0; i--) {
                    final ObjectRef p = tx.allocate(partFile, part);
                    p.putLong(PART_ID, i);
                    p.putRef(PART_NEXT, previous == null ? null : previous.ref());
                    p.putRef(PART_SUPPLIER, supplierRefs[i % SUPPLIERS]);
                    p.putDouble(PART_WEIGHT, i * 0.5);
                    expectedWeight += i * 0.5;
                    // a note beside every part, freed below: holes for compaction to close
                    tx.allocateNear(p, note, 40 + (i % 5) * 8).putLong(0, i);
                    previous = p;
                }
                tx.setRoot(parts, "first", previous.ref());
                tx.commit();
            }
            out.printf(
                    Locale.ROOT,
                    "built %,d parts (each with a reference into %s) and %,d notes, committed%n",
                    PARTS,
                    suppliersRoot.getFileName(),
                    PARTS);
            int freed = 0;
            try (Transaction tx = s.begin();
                    org.bess.client.Cursor c = tx.scan(tx.file(parts, "parts"))) {
                while (c.next()) {
                    if (c.object().type().name().equals("Note")) {
                        tx.free(c.object());
                        freed++;
                    }
                }
                tx.commit();
            }
            out.printf(Locale.ROOT, "freed %,d notes (holes in the data segments)%n", freed);
            parts.moveFile("parts", partsRoot);
            out.println("moved file parts from " + partsArea2.getFileName() + " to " + partsRoot.getFileName()
                    + " (data segments moved; slots and references unchanged)");
            final CompactionReport r = parts.compact(null);
            out.printf(
                    Locale.ROOT,
                    "compacted: %d segments compacted, %d shrunk, %d extents freed, %s cut from area tails%n",
                    r.segmentsCompacted(),
                    r.segmentsShrunk(),
                    r.extentsFreed(),
                    AdminSupport.size(r.bytesTruncated()));
        }
    }

    private String verify() {
        out.println("closed; reopening");
        try (Session s = session()) {
            final Database parts = s.openDatabase(partsRoot);
            int count = 0;
            double weight = 0;
            try (Transaction tx = s.begin()) {
                Ref r = tx.root(parts, "first");
                long expectedId = 0;
                while (r != null) {
                    final ObjectRef p = tx.open(r);
                    if (p.getLong(PART_ID) != expectedId) {
                        return "part chain out of order at " + count + ": id=" + p.getLong(PART_ID);
                    }
                    final ObjectRef sup = tx.open(p.getRef(PART_SUPPLIER));
                    if (sup.getLong(SUPPLIER_ID) != 1000 + expectedId % SUPPLIERS) {
                        return "part " + expectedId + " references the wrong supplier: " + sup.getLong(SUPPLIER_ID);
                    }
                    weight += p.getDouble(PART_WEIGHT);
                    count++;
                    expectedId++;
                    r = p.getRef(PART_NEXT);
                }
                tx.commit();
            }
            if (count != PARTS || weight != expectedWeight) {
                return "walked " + count + " parts of weight " + weight + ", expected " + PARTS + " of "
                        + expectedWeight;
            }
            out.printf(
                    Locale.ROOT,
                    "walked %,d parts from root 'first', followed %,d references into %s (forward objects): all"
                            + " present%n",
                    count,
                    count,
                    suppliersRoot.getFileName());
            for (final AreaInfo a : parts.areas()) {
                out.printf(
                        Locale.ROOT,
                        "  area %d %-12s %10s, %d extent(s), %s free%n",
                        a.id(),
                        a.path().getFileName(),
                        AdminSupport.size(a.sizeBytes()),
                        a.extents(),
                        AdminSupport.size(a.freeBytes()));
            }
            for (final FileInfo f : parts.files()) {
                out.printf(
                        Locale.ROOT,
                        "  file %-8s %,d objects in %d segments, %s live, in %s%n",
                        f.name(),
                        f.objects(),
                        f.segments(),
                        AdminSupport.size(f.liveBytes()),
                        f.area().getFileName());
            }
        }
        return null;
    }
}
