package org.bess.it;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bess.client.AreaInfo;
import org.bess.client.BessFile;
import org.bess.client.CompactionReport;
import org.bess.client.Cursor;
import org.bess.client.Database;
import org.bess.client.FileInfo;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;
import org.bess.server.BessServer;
import org.bess.server.Context;

/**
 * The child JVM of {@link ScaleIT}: builds {@code objects} objects in three files, one per area (root, a1, a2), each
 * referencing one object of each other file; frees a tenth of extra filler objects, moves the file of a2 to a new area
 * a3 and removes a2, compacts, closes; then reopens and checks every object, every reference and a long reference
 * chain through the API. Prints one {@code scale ok: ...} line and exits 0, or throws (exit 1).
 *
 * <p>Arguments: the work directory, the object count, the cache size in MiB.
 */
public final class ScaleWorkload {
    /** Object layout: id, reference into the next file, reference into the one after, checksum, payload. */
    static final int SIZE = 48;

    private static final int ID = 0;
    private static final int REF_A = 8;
    private static final int REF_B = 16;
    private static final int CHECK = 24;
    private static final int PAYLOAD = 32;
    private static final int COMMIT_EVERY = 40_000;
    private static final int FILES = 3;
    private static final int CHAIN_HOPS = 100_000;

    private final Path dir;
    private final int perFile;
    private final long cacheBytes;
    private final long[][] words;
    private long fillers;

    private ScaleWorkload(final Path dir, final int objects, final long cacheBytes) {
        this.dir = dir;
        this.perFile = objects / FILES;
        this.cacheBytes = cacheBytes;
        this.words = new long[FILES][perFile];
    }

    /** Entry point. */
    public static void main(final String[] args) throws Exception {
        final ScaleWorkload w =
                new ScaleWorkload(Path.of(args[0]), Integer.parseInt(args[1]), Long.parseLong(args[2]) << 20);
        final long t0 = System.nanoTime();
        final CompactionReport report = w.build();
        final long t1 = System.nanoTime();
        final long checked = w.verify();
        final long t2 = System.nanoTime();
        final String summary = "scale ok: objects=" + (long) w.perFile * FILES + " fillersFreed=" + w.fillers
                + " referencesChecked=" + checked + " chainHops=" + CHAIN_HOPS + " segmentsCompacted="
                + report.segmentsCompacted() + " segmentsShrunk=" + report.segmentsShrunk() + " buildMs="
                + (t1 - t0) / 1_000_000 + " verifyMs=" + (t2 - t1) / 1_000_000 + " heapPeakMiB=" + heapPeakMiB()
                + " maxRssMiB=" + maxRssMiB() + " cacheMiB=" + (w.cacheBytes >> 20) + " areaMiB=" + w.areaMiB()
                + " (every page is read back through a cache smaller than the areas: frames are evicted)";
        System.out.println(summary);
    }

    private Session session() {
        return BessServer.embedded(new Context().nodeDir(dir.resolve("node")).cacheSizeBytes(cacheBytes));
    }

    private static long id(final int file, final int i, final int perFile) {
        return (long) file * perFile + i;
    }

    private int targetA(final int i) {
        return (int) ((i * 7L + 1) % perFile);
    }

    private int targetB(final int i) {
        return (int) ((i * 13L + 5) % perFile);
    }

    private static long checksum(final long id, final long idA, final long idB) {
        long h = id * 0x9E37_79B9_7F4A_7C15L;
        h ^= idA + 0x632B_E59B_D9B4_E019L + (h << 6) + (h >>> 2);
        h ^= idB * 0xC2B2_AE3D_27D4_EB4FL;
        return h;
    }

    private CompactionReport build() {
        final Path root = dir.resolve("db.root");
        final Path[] areas = {root, dir.resolve("a1.area"), dir.resolve("a2.area")};
        try (Session s = session()) {
            final Database db = s.createDatabase(root, 16L << 20);
            db.addArea(areas[1]);
            db.addArea(areas[2]);
            final TypeId node = db.defineType("Node", SIZE, new int[] {REF_A, REF_B});
            final TypeId filler = db.defineType("Filler", 40, new int[0]);
            final long[] fillerWords = new long[perFile / 10 + 1];
            Transaction tx = s.begin();
            final BessFile[] files = new BessFile[FILES];
            for (int f = 0; f < FILES; f++) {
                files[f] = tx.createFile(db, "f" + f, areas[f]);
            }
            int n = 0;
            for (int f = 0; f < FILES; f++) {
                for (int i = 0; i < perFile; i++) {
                    final ObjectRef o = tx.allocate(files[f], node);
                    o.putLong(ID, id(f, i, perFile));
                    o.putLong(PAYLOAD, ~id(f, i, perFile));
                    o.putLong(PAYLOAD + 8, id(f, i, perFile) * 31);
                    words[f][i] = o.ref().word();
                    if (f == 1 && i % 10 == 0) {
                        fillerWords[i / 10] =
                                tx.allocate(files[f], filler).ref().word();
                    }
                    if (++n % COMMIT_EVERY == 0) {
                        tx.commit();
                        tx = s.begin();
                        files[0] = tx.file(db, "f0");
                        files[1] = tx.file(db, "f1");
                        files[2] = tx.file(db, "f2");
                    }
                }
            }
            tx.commit();
            tx = s.begin();
            n = 0;
            for (int f = 0; f < FILES; f++) {
                for (int i = 0; i < perFile; i++) {
                    final ObjectRef o = tx.open(new Ref(db, words[f][i]));
                    final int fa = (f + 1) % FILES;
                    final int fb = (f + 2) % FILES;
                    o.putRef(REF_A, new Ref(db, words[fa][targetA(i)]));
                    o.putRef(REF_B, new Ref(db, words[fb][targetB(i)]));
                    o.putLong(
                            CHECK,
                            checksum(id(f, i, perFile), id(fa, targetA(i), perFile), id(fb, targetB(i), perFile)));
                    if (++n % COMMIT_EVERY == 0) {
                        tx.commit();
                        tx = s.begin();
                    }
                }
            }
            for (final long w : fillerWords) {
                if (w != 0) {
                    tx.free(tx.open(new Ref(db, w)));
                    fillers++;
                }
            }
            tx.setRoot(db, "head", new Ref(db, words[0][0]));
            tx.commit();
            final Path a3 = dir.resolve("a3.area");
            db.addArea(a3);
            db.moveFile("f2", a3);
            db.removeArea(areas[2]);
            return db.compact(null);
        }
    }

    private long verify() {
        final Path root = dir.resolve("db.root");
        long checked = 0;
        try (Session s = session()) {
            final Database db = s.openDatabase(root);
            final List<FileInfo> infos = db.files();
            check(infos.size() == FILES, "files: " + infos);
            for (final FileInfo info : infos) {
                check(info.objects() == perFile, "objects of " + info);
            }
            check(
                    infos.stream()
                            .anyMatch(i -> i.name().equals("f2") && i.area().endsWith("a3.area")),
                    "f2 moved to a3: " + infos);
            check(db.areas().stream().map(AreaInfo::path).noneMatch(p -> p.endsWith("a2.area")), "a2 removed");
            check(!Files.exists(dir.resolve("a2.area")), "a2's file deleted");
            for (int f = 0; f < FILES; f++) {
                checked += verifyFile(s, db, f);
            }
            try (Transaction tx = s.begin()) {
                Ref r = tx.root(db, "head");
                int f = 0;
                int i = 0;
                for (int hop = 0; hop < CHAIN_HOPS; hop++) {
                    final ObjectRef o = tx.open(r);
                    check(o.getLong(ID) == id(f, i, perFile), "chain hop " + hop);
                    r = o.getRef(REF_A);
                    i = targetA(i);
                    f = (f + 1) % FILES;
                }
                tx.commit();
            }
        }
        return checked;
    }

    /** Scans file {@code f}: every object once, in allocation order, with its id, payload, references and checksum. */
    private long verifyFile(final Session s, final Database db, final int f) {
        long checked = 0;
        final int fa = (f + 1) % FILES;
        final int fb = (f + 2) % FILES;
        // reading maps frames read-only, which the clocks may take back, so one transaction can scan a whole file
        try (Transaction tx = s.begin();
                Cursor c = tx.scan(tx.file(db, "f" + f))) {
            int i = 0;
            while (c.next()) {
                check(i < perFile, "f" + f + " has more than " + perFile + " objects");
                final ObjectRef o = c.object();
                check(o.size() == SIZE, "size of f" + f + "[" + i + "]");
                check(o.ref().word() == words[f][i], "cursor order of f" + f + " at " + i);
                final long id = o.getLong(ID);
                check(id == id(f, i, perFile), "id of f" + f + "[" + i + "]: " + id);
                check(o.getLong(PAYLOAD) == ~id && o.getLong(PAYLOAD + 8) == id * 31, "payload of " + id);
                final Ref a = o.getRef(REF_A);
                final Ref b = o.getRef(REF_B);
                check(a.word() == words[fa][targetA(i)] && b.word() == words[fb][targetB(i)], "refs of " + id);
                final long idA = tx.open(a).getLong(ID);
                final long idB = tx.open(b).getLong(ID);
                check(idA == id(fa, targetA(i), perFile) && idB == id(fb, targetB(i), perFile), "targets of " + id);
                check(o.getLong(CHECK) == checksum(id, idA, idB), "checksum of " + id);
                checked += 2;
                i++;
            }
            check(i == perFile, "f" + f + " scanned " + i + " objects, expected " + perFile);
            tx.commit();
        }
        return checked;
    }

    private static void check(final boolean ok, final String what) {
        if (!ok) {
            throw new IllegalStateException("verification failed: " + what);
        }
    }

    private static long heapPeakMiB() {
        long peak = 0;
        for (final MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak >> 20;
    }

    private static long maxRssMiB() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
                }
            }
        } catch (final java.io.IOException e) {
            return -1;
        }
        return -1;
    }

    private long areaMiB() {
        long bytes = 0;
        for (final String name : new String[] {"db.root", "a1.area", "a3.area"}) {
            try {
                bytes += Files.size(dir.resolve(name));
            } catch (final java.io.IOException e) {
                return -1;
            }
        }
        return bytes >> 20;
    }
}
