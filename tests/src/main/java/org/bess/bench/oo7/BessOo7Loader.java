package org.bess.bench.oo7;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.client.LargeObject;
import org.bess.client.ObjectRef;
import org.bess.client.Ref;
import org.bess.client.Session;
import org.bess.client.Transaction;
import org.bess.client.TypeId;

/**
 * Stores a generated module in a new bess database through the public API: one file per class, objects laid out as
 * {@link Oo7Layout} says with every reference stored by {@link ObjectRef#putRef}, the manual a large object, and named
 * roots for the module and the two id-to-reference tables. The objects of one composite part (its document, itself, its
 * atomic parts, then their connections) are allocated together, so that they are clustered in their files. Not thread
 * safe; load only.
 */
final class BessOo7Loader {
    static final String ATOMIC_FILE = "atomic";
    static final String CONNECTION_FILE = "connection";
    static final String COMPOSITE_FILE = "composite";
    static final String DOCUMENT_FILE = "document";
    static final String ASSEMBLY_FILE = "assembly";
    static final String MODULE_FILE = "module";
    static final String INDEX_FILE = "index";
    static final String MODULE_ROOT = "oo7.module";
    static final String ATOMIC_INDEX_ROOT = "oo7.atomic-by-id";
    static final String DOCUMENT_INDEX_ROOT = "oo7.document-by-id";

    private static final int COMPOSITES_PER_TXN = 25;

    private final Session session;
    private final Database db;
    private final Oo7Data data;
    private final Oo7Layout layout;
    private final long[] atomicWords;
    private final long[] documentWords;
    private final long[] compositeWords;
    private final boolean clustered;
    private TypeId atomicType;
    private TypeId connectionType;
    private TypeId compositeType;
    private TypeId documentType;
    private TypeId assemblyType;
    private TypeId moduleType;

    BessOo7Loader(
            final Session session,
            final Database db,
            final Oo7Data data,
            final Oo7Layout layout,
            final boolean clustered) {
        this.session = session;
        this.clustered = clustered;
        this.db = db;
        this.data = data;
        this.layout = layout;
        final Oo7Config config = data.config();
        atomicWords = new long[config.atomicCount()];
        documentWords = new long[config.compositeCount()];
        compositeWords = new long[config.compositeCount()];
    }

    void load() {
        final Oo7Config config = data.config();
        atomicType = db.defineType("AtomicPart", layout.atomicSize, layout.atomicRefOffsets());
        connectionType = db.defineType("Connection", Oo7Layout.CONNECTION_SIZE, new int[] {0, 8});
        compositeType = db.defineType(
                "CompositePart", layout.compositeSize, layout.compositeRefOffsets(config.atomicPerComposite()));
        documentType = db.defineType("Document", layout.documentSize, new int[] {Oo7Layout.DOCUMENT_PART});
        assemblyType = db.defineType("Assembly", Oo7Layout.ASSEMBLY_SIZE, new int[] {0, 8, 16, 24});
        moduleType = db.defineType("Module", Oo7Layout.MODULE_SIZE, new int[] {0, 8});
        try (Transaction tx = session.begin()) {
            for (final String name : new String[] {
                ATOMIC_FILE, CONNECTION_FILE, COMPOSITE_FILE, DOCUMENT_FILE, ASSEMBLY_FILE, MODULE_FILE, INDEX_FILE
            }) {
                tx.createFile(db, name);
            }
            tx.commit();
        }
        for (int start = 0; start < config.compositeCount(); start += COMPOSITES_PER_TXN) {
            try (Transaction tx = session.begin()) {
                for (int c = start; c < Math.min(config.compositeCount(), start + COMPOSITES_PER_TXN); c++) {
                    storeComposite(tx, c);
                }
                tx.commit();
            }
        }
        try (Transaction tx = session.begin()) {
            final long designRoot = storeAssemblies(tx);
            final LargeObject manual = tx.createLarge(tx.file(db, MODULE_FILE));
            manual.append(data.manualText());
            final ObjectRef module = tx.allocate(tx.file(db, MODULE_FILE), moduleType);
            module.putRef(Oo7Layout.MODULE_MANUAL, manual.ref());
            module.putRef(Oo7Layout.MODULE_DESIGN_ROOT, ref(designRoot));
            module.putInt(Oo7Layout.MODULE_ID, 1);
            module.putInt(Oo7Layout.MODULE_BUILD_DATE, data.moduleBuildDate);
            putBytes(module, Oo7Layout.MODULE_TYPE, Oo7Data.typeBytes(data.moduleType));
            tx.setRoot(db, MODULE_ROOT, module.ref());
            tx.setRoot(db, ATOMIC_INDEX_ROOT, storeIndex(tx, atomicWords));
            tx.setRoot(db, DOCUMENT_INDEX_ROOT, storeIndex(tx, documentWords));
            tx.commit();
        }
    }

    private Ref ref(final long word) {
        return new Ref(db, word);
    }

    private static void putBytes(final ObjectRef object, final int offset, final byte[] bytes) {
        object.putBytes(offset, bytes, 0, bytes.length);
    }

    private void storeComposite(final Transaction tx, final int c) {
        final Oo7Config config = data.config();
        final int per = config.atomicPerComposite();
        final int conns = config.connectionsPerAtomic();
        final BessFile atomicFile = tx.file(db, ATOMIC_FILE);
        final BessFile connectionFile = tx.file(db, clustered ? ATOMIC_FILE : CONNECTION_FILE);
        final ObjectRef doc = tx.allocate(tx.file(db, DOCUMENT_FILE), documentType);
        final ObjectRef composite = tx.allocate(tx.file(db, COMPOSITE_FILE), compositeType);
        documentWords[c] = doc.ref().word();
        compositeWords[c] = composite.ref().word();
        final ObjectRef[] parts = new ObjectRef[per];
        for (int i = 0; i < per; i++) {
            parts[i] = tx.allocate(atomicFile, atomicType);
            atomicWords[c * per + i] = parts[i].ref().word();
        }
        for (int i = 0; i < per; i++) {
            final int part = c * per + i;
            final ObjectRef p = parts[i];
            for (int k = 0; k < conns; k++) {
                final int connection = part * conns + k;
                final ObjectRef link = tx.allocate(connectionFile, connectionType);
                link.putRef(Oo7Layout.CONNECTION_FROM, p.ref());
                link.putRef(Oo7Layout.CONNECTION_TO, ref(atomicWords[data.connectionTo[connection]]));
                link.putInt(Oo7Layout.CONNECTION_LENGTH, data.connectionLength[connection]);
                putBytes(link, Oo7Layout.CONNECTION_TYPE, Oo7Data.typeBytes(data.connectionType[connection]));
                p.putRef(Oo7Layout.atomicTo(k), link.ref());
            }
            p.putRef(Oo7Layout.ATOMIC_PART_OF, composite.ref());
            p.putInt(layout.atomicId, part + 1);
            p.putInt(layout.atomicBuildDate, data.atomicBuildDate[part]);
            p.putInt(layout.atomicX, data.atomicX[part]);
            p.putInt(layout.atomicY, data.atomicY[part]);
            p.putInt(layout.atomicDocId, data.atomicDocId[part]);
            putBytes(p, layout.atomicType, Oo7Data.typeBytes(data.atomicType[part]));
            composite.putRef(Oo7Layout.compositePart(i), p.ref());
        }
        composite.putRef(Oo7Layout.COMPOSITE_DOCUMENT, doc.ref());
        composite.putRef(Oo7Layout.COMPOSITE_ROOT, parts[0].ref());
        composite.putInt(Oo7Layout.COMPOSITE_ID, c + 1);
        composite.putInt(Oo7Layout.COMPOSITE_BUILD_DATE, data.compositeBuildDate[c]);
        putBytes(composite, Oo7Layout.COMPOSITE_TYPE, Oo7Data.typeBytes(data.compositeType[c]));
        final byte[] text = data.documentText(c);
        doc.putRef(Oo7Layout.DOCUMENT_PART, composite.ref());
        doc.putInt(Oo7Layout.DOCUMENT_ID, c + 1);
        doc.putInt(Oo7Layout.DOCUMENT_TEXT_LENGTH, text.length);
        putBytes(doc, Oo7Layout.DOCUMENT_TITLE, Oo7Data.titleBytes(c));
        putBytes(doc, Oo7Layout.DOCUMENT_TEXT, text);
    }

    /** Stores every assembly, breadth first; returns the design root's reference word. */
    private long storeAssemblies(final Transaction tx) {
        final Oo7Config config = data.config();
        final BessFile file = tx.file(db, ASSEMBLY_FILE);
        final ObjectRef[] assemblies = new ObjectRef[config.assemblyCount()];
        for (int i = 0; i < assemblies.length; i++) {
            assemblies[i] = tx.allocate(file, assemblyType);
        }
        for (int i = 0; i < assemblies.length; i++) {
            final ObjectRef a = assemblies[i];
            final boolean base = data.isBase(i);
            if (i > 0) {
                a.putRef(Oo7Layout.ASSEMBLY_SUPER, assemblies[(i - 1) / Oo7Config.ASSEMBLIES_PER_ASSEMBLY].ref());
            }
            for (int k = 0; k < Oo7Config.ASSEMBLIES_PER_ASSEMBLY; k++) {
                a.putRef(
                        Oo7Layout.assemblyChild(k),
                        base
                                ? ref(compositeWords[
                                        data.baseComponents[data.baseOrdinal(i) * Oo7Config.COMPOSITES_PER_BASE + k]])
                                : assemblies[i * Oo7Config.ASSEMBLIES_PER_ASSEMBLY + 1 + k].ref());
            }
            a.putInt(Oo7Layout.ASSEMBLY_ID, i + 1);
            a.putInt(Oo7Layout.ASSEMBLY_BUILD_DATE, data.assemblyBuildDate[i]);
            a.putInt(Oo7Layout.ASSEMBLY_KIND, base ? Oo7Layout.KIND_BASE : Oo7Layout.KIND_COMPLEX);
            putBytes(a, Oo7Layout.ASSEMBLY_TYPE, Oo7Data.typeBytes(data.assemblyType[i]));
        }
        return assemblies[0].ref().word();
    }

    /** Stores reference words as a large object of little-endian longs, indexed by id - 1. */
    private Ref storeIndex(final Transaction tx, final long[] words) {
        final ByteBuffer bytes = ByteBuffer.allocate(words.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (final long word : words) {
            bytes.putLong(word);
        }
        final LargeObject index = tx.createLarge(tx.file(db, INDEX_FILE));
        index.append(bytes.array());
        return index.ref();
    }
}
