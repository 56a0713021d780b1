package org.bess.bench.oo7;

/**
 * The bytes of the OO7 objects as bess stores them and as the lmdbjava peer serializes them (little-endian; a
 * reference is 8 bytes: a bess reference word, or an lmdb OID). References come first, so that a type's reference
 * offsets are {@code 0, 8, ...}. Atomic and composite parts depend on the configuration's counts.
 *
 * <pre>
 * AtomicPart  partOf ref | to[connectionsPerAtomic] refs | id | buildDate | x | y | docId | type[10] | pad[2]
 * Connection  from ref | to ref | length | type[10] | pad[2]
 * Composite   documentation ref | rootPart ref | id | buildDate | type[10] | pad[6] | parts[atomicPerComposite] refs
 * Document    part ref | id | textLength | title[40] | text[documentLength]
 * Assembly    super ref | children[3] refs (sub-assemblies, or composite parts of a base assembly) | id | buildDate |
 *             kind (0 complex, 1 base) | type[10] | pad[2]
 * Module      manual ref (large object on bess, value on lmdb) | designRoot ref | id | buildDate | type[10] | pad[6]
 * </pre>
 *
 * Immutable.
 */
final class Oo7Layout {
    static final int REF = 8;

    static final int CONNECTION_FROM = 0;
    static final int CONNECTION_TO = 8;
    static final int CONNECTION_LENGTH = 16;
    static final int CONNECTION_TYPE = 20;
    static final int CONNECTION_SIZE = 32;

    static final int COMPOSITE_DOCUMENT = 0;
    static final int COMPOSITE_ROOT = 8;
    static final int COMPOSITE_ID = 16;
    static final int COMPOSITE_BUILD_DATE = 20;
    static final int COMPOSITE_TYPE = 24;
    static final int COMPOSITE_PARTS = 40;

    static final int DOCUMENT_PART = 0;
    static final int DOCUMENT_ID = 8;
    static final int DOCUMENT_TEXT_LENGTH = 12;
    static final int DOCUMENT_TITLE = 16;
    static final int DOCUMENT_TEXT = DOCUMENT_TITLE + Oo7Data.TITLE_LENGTH;

    static final int ASSEMBLY_SUPER = 0;
    static final int ASSEMBLY_CHILDREN = 8;
    static final int ASSEMBLY_ID = 32;
    static final int ASSEMBLY_BUILD_DATE = 36;
    static final int ASSEMBLY_KIND = 40;
    static final int ASSEMBLY_TYPE = 44;
    static final int ASSEMBLY_SIZE = 56;
    static final int KIND_COMPLEX = 0;
    static final int KIND_BASE = 1;

    static final int MODULE_MANUAL = 0;
    static final int MODULE_DESIGN_ROOT = 8;
    static final int MODULE_ID = 16;
    static final int MODULE_BUILD_DATE = 20;
    static final int MODULE_TYPE = 24;
    static final int MODULE_SIZE = 40;

    static final int ATOMIC_PART_OF = 0;
    static final int ATOMIC_TO = 8;

    final int connections;
    final int atomicId;
    final int atomicBuildDate;
    final int atomicX;
    final int atomicY;
    final int atomicDocId;
    final int atomicType;
    final int atomicSize;
    final int compositeSize;
    final int documentSize;

    Oo7Layout(final Oo7Config config) {
        connections = config.connectionsPerAtomic();
        atomicId = ATOMIC_TO + REF * connections;
        atomicBuildDate = atomicId + 4;
        atomicX = atomicBuildDate + 4;
        atomicY = atomicX + 4;
        atomicDocId = atomicY + 4;
        atomicType = atomicDocId + 4;
        atomicSize = atomicType + Oo7Data.TYPE_LENGTH + 2;
        compositeSize = COMPOSITE_PARTS + REF * config.atomicPerComposite();
        documentSize = DOCUMENT_TEXT + config.documentLength();
    }

    /** Offset of atomic part reference {@code i} of its {@code to} list. */
    static int atomicTo(final int i) {
        return ATOMIC_TO + REF * i;
    }

    /** Offset of child {@code i} of an assembly. */
    static int assemblyChild(final int i) {
        return ASSEMBLY_CHILDREN + REF * i;
    }

    /** Offset of part {@code i} of a composite part. */
    static int compositePart(final int i) {
        return COMPOSITE_PARTS + REF * i;
    }

    /** The reference offsets of an atomic part. */
    int[] atomicRefOffsets() {
        final int[] offsets = new int[1 + connections];
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = REF * i;
        }
        return offsets;
    }

    /** The reference offsets of a composite part. */
    int[] compositeRefOffsets(final int atomicPerComposite) {
        final int[] offsets = new int[2 + atomicPerComposite];
        offsets[0] = COMPOSITE_DOCUMENT;
        offsets[1] = COMPOSITE_ROOT;
        for (int i = 0; i < atomicPerComposite; i++) {
            offsets[2 + i] = compositePart(i);
        }
        return offsets;
    }
}
