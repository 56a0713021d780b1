package org.bess.bench.oo7;

import static org.bess.bench.oo7.LmdbOo7.ASSEMBLY;
import static org.bess.bench.oo7.LmdbOo7.ATOMIC;
import static org.bess.bench.oo7.LmdbOo7.COMPOSITE;
import static org.bess.bench.oo7.LmdbOo7.CONNECTION;
import static org.bess.bench.oo7.LmdbOo7.DOCUMENT;
import static org.bess.bench.oo7.LmdbOo7.MANUAL;
import static org.bess.bench.oo7.LmdbOo7.MODULE;
import static org.bess.bench.oo7.LmdbOo7.oid;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.Txn;

/** Serializes a generated module into lmdb ({@link Oo7Layout}, references as OIDs). Not thread safe; load only. */
final class LmdbOo7Loader {
    private final Oo7Data data;
    private final Oo7Layout layout;
    private final Env<DirectBuffer> env;
    private final Dbi<DirectBuffer> dbi;
    private final UnsafeBuffer key;
    private final UnsafeBuffer scratch;
    private final UnsafeBuffer value = new UnsafeBuffer(0, 0);

    LmdbOo7Loader(
            final Oo7Data data,
            final Oo7Layout layout,
            final Env<DirectBuffer> env,
            final Dbi<DirectBuffer> dbi,
            final UnsafeBuffer key,
            final UnsafeBuffer scratch) {
        this.data = data;
        this.layout = layout;
        this.env = env;
        this.dbi = dbi;
        this.key = key;
        this.scratch = scratch;
    }

    void load(final int compositesPerTxn) {
        final Oo7Config config = data.config();
        for (int start = 0; start < config.compositeCount(); start += compositesPerTxn) {
            try (Txn<DirectBuffer> txn = env.txnWrite()) {
                for (int c = start; c < Math.min(config.compositeCount(), start + compositesPerTxn); c++) {
                    putComposite(txn, c);
                }
                txn.commit();
            }
        }
        try (Txn<DirectBuffer> txn = env.txnWrite()) {
            for (int i = 0; i < config.assemblyCount(); i++) {
                putAssembly(txn, i);
            }
            final byte[] manual = data.manualText();
            scratch.putBytes(0, manual);
            put(txn, oid(MANUAL, 0), manual.length);
            clear(Oo7Layout.MODULE_SIZE);
            scratch.putLong(Oo7Layout.MODULE_MANUAL, oid(MANUAL, 0));
            scratch.putLong(Oo7Layout.MODULE_DESIGN_ROOT, oid(ASSEMBLY, 0));
            scratch.putInt(Oo7Layout.MODULE_ID, 1);
            scratch.putInt(Oo7Layout.MODULE_BUILD_DATE, data.moduleBuildDate);
            scratch.putBytes(Oo7Layout.MODULE_TYPE, Oo7Data.typeBytes(data.moduleType));
            put(txn, oid(MODULE, 0), Oo7Layout.MODULE_SIZE);
            txn.commit();
        }
    }

    private void putComposite(final Txn<DirectBuffer> txn, final int c) {
        final Oo7Config config = data.config();
        final int per = config.atomicPerComposite();
        final int conns = config.connectionsPerAtomic();
        final byte[] text = data.documentText(c);
        clear(layout.documentSize);
        scratch.putLong(Oo7Layout.DOCUMENT_PART, oid(COMPOSITE, c));
        scratch.putInt(Oo7Layout.DOCUMENT_ID, c + 1);
        scratch.putInt(Oo7Layout.DOCUMENT_TEXT_LENGTH, text.length);
        scratch.putBytes(Oo7Layout.DOCUMENT_TITLE, Oo7Data.titleBytes(c));
        scratch.putBytes(Oo7Layout.DOCUMENT_TEXT, text);
        put(txn, oid(DOCUMENT, c), layout.documentSize);

        clear(layout.compositeSize);
        scratch.putLong(Oo7Layout.COMPOSITE_DOCUMENT, oid(DOCUMENT, c));
        scratch.putLong(Oo7Layout.COMPOSITE_ROOT, oid(ATOMIC, c * per));
        scratch.putInt(Oo7Layout.COMPOSITE_ID, c + 1);
        scratch.putInt(Oo7Layout.COMPOSITE_BUILD_DATE, data.compositeBuildDate[c]);
        scratch.putBytes(Oo7Layout.COMPOSITE_TYPE, Oo7Data.typeBytes(data.compositeType[c]));
        for (int i = 0; i < per; i++) {
            scratch.putLong(Oo7Layout.compositePart(i), oid(ATOMIC, c * per + i));
        }
        put(txn, oid(COMPOSITE, c), layout.compositeSize);

        for (int i = 0; i < per; i++) {
            final int part = c * per + i;
            clear(layout.atomicSize);
            scratch.putLong(Oo7Layout.ATOMIC_PART_OF, oid(COMPOSITE, c));
            for (int k = 0; k < conns; k++) {
                scratch.putLong(Oo7Layout.atomicTo(k), oid(CONNECTION, part * conns + k));
            }
            scratch.putInt(layout.atomicId, part + 1);
            scratch.putInt(layout.atomicBuildDate, data.atomicBuildDate[part]);
            scratch.putInt(layout.atomicX, data.atomicX[part]);
            scratch.putInt(layout.atomicY, data.atomicY[part]);
            scratch.putInt(layout.atomicDocId, data.atomicDocId[part]);
            scratch.putBytes(layout.atomicType, Oo7Data.typeBytes(data.atomicType[part]));
            put(txn, oid(ATOMIC, part), layout.atomicSize);
            for (int k = 0; k < conns; k++) {
                final int connection = part * conns + k;
                clear(Oo7Layout.CONNECTION_SIZE);
                scratch.putLong(Oo7Layout.CONNECTION_FROM, oid(ATOMIC, part));
                scratch.putLong(Oo7Layout.CONNECTION_TO, oid(ATOMIC, data.connectionTo[connection]));
                scratch.putInt(Oo7Layout.CONNECTION_LENGTH, data.connectionLength[connection]);
                scratch.putBytes(Oo7Layout.CONNECTION_TYPE, Oo7Data.typeBytes(data.connectionType[connection]));
                put(txn, oid(CONNECTION, connection), Oo7Layout.CONNECTION_SIZE);
            }
        }
    }

    private void putAssembly(final Txn<DirectBuffer> txn, final int i) {
        clear(Oo7Layout.ASSEMBLY_SIZE);
        if (i > 0) {
            scratch.putLong(Oo7Layout.ASSEMBLY_SUPER, oid(ASSEMBLY, (i - 1) / Oo7Config.ASSEMBLIES_PER_ASSEMBLY));
        }
        final boolean base = data.isBase(i);
        for (int k = 0; k < Oo7Config.ASSEMBLIES_PER_ASSEMBLY; k++) {
            scratch.putLong(
                    Oo7Layout.assemblyChild(k),
                    base
                            ? oid(
                                    COMPOSITE,
                                    data.baseComponents[data.baseOrdinal(i) * Oo7Config.COMPOSITES_PER_BASE + k])
                            : oid(ASSEMBLY, i * Oo7Config.ASSEMBLIES_PER_ASSEMBLY + 1 + k));
        }
        scratch.putInt(Oo7Layout.ASSEMBLY_ID, i + 1);
        scratch.putInt(Oo7Layout.ASSEMBLY_BUILD_DATE, data.assemblyBuildDate[i]);
        scratch.putInt(Oo7Layout.ASSEMBLY_KIND, base ? Oo7Layout.KIND_BASE : Oo7Layout.KIND_COMPLEX);
        scratch.putBytes(Oo7Layout.ASSEMBLY_TYPE, Oo7Data.typeBytes(data.assemblyType[i]));
        put(txn, oid(ASSEMBLY, i), Oo7Layout.ASSEMBLY_SIZE);
    }

    private void clear(final int length) {
        scratch.setMemory(0, length, (byte) 0);
    }

    private void put(final Txn<DirectBuffer> txn, final long oid, final int length) {
        key.putLong(0, oid, ByteOrder.nativeOrder());
        value.wrap(scratch, 0, length);
        dbi.put(txn, key, value);
    }
}
