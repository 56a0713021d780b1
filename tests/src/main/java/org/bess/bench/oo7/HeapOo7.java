package org.bess.bench.oo7;

import java.nio.charset.StandardCharsets;

/**
 * OO7 as plain Java heap objects, the upper bound of the comparison: objects point at each other with Java references,
 * strings are {@link String}s, and there are no transactions (updates are field writes, nothing commits). The extents
 * Q7 and Q8 scan are arrays of the atomic parts and documents, which are also what Q1 and Q8 look ids up in (ids are
 * dense). The traversals keep the parts they visited in the same {@link VisitedSet} as the bess and lmdbjava
 * versions (keyed by the part's id, where those use the reference word or the OID), so that the comparison measures
 * reaching the objects, not two different visited sets. Not thread safe.
 */
public final class HeapOo7 implements Oo7Store {
    /** An atomic part. */
    static final class AtomicPart {
        int id;
        int buildDate;
        int x;
        int y;
        int docId;
        String type;
        Connection[] to;
        CompositePart partOf;
    }

    /** A connection between two atomic parts of one composite part. */
    static final class Connection {
        String type;
        int length;
        AtomicPart from;
        AtomicPart to;
    }

    /** A composite part. */
    static final class CompositePart {
        int id;
        int buildDate;
        String type;
        Document documentation;
        AtomicPart rootPart;
        AtomicPart[] parts;
    }

    /** A composite part's document. */
    static final class Document {
        int id;
        String title;
        String text;
        CompositePart part;
    }

    /** An assembly: complex (sub-assemblies) or base (composite parts). */
    static final class Assembly {
        int id;
        int buildDate;
        String type;
        boolean base;
        Assembly superAssembly;
        Assembly[] subAssemblies;
        CompositePart[] components;
    }

    /** The module. */
    static final class Module {
        int id;
        int buildDate;
        String type;
        String manual;
        Assembly designRoot;
    }

    private final Oo7Data data;
    private final Module module;
    private final AtomicPart[] atomicById;
    private final Document[] documentById;
    private final VisitedSet visited;
    private final int[] q1Ids = new int[Oo7Operation.Q1_LOOKUPS];
    private long q1Calls;
    private long q6Count;

    private HeapOo7(final Oo7Data data) {
        this.data = data;
        final Oo7Config config = data.config();
        atomicById = new AtomicPart[config.atomicCount()];
        documentById = new Document[config.compositeCount()];
        visited = new VisitedSet(config.atomicPerComposite());
        final CompositePart[] composites = buildComposites(data);
        final Assembly[] assemblies = new Assembly[config.assemblyCount()];
        for (int i = 0; i < assemblies.length; i++) {
            final Assembly a = new Assembly();
            a.id = i + 1;
            a.buildDate = data.assemblyBuildDate[i];
            a.type = type(data.assemblyType[i]);
            a.base = data.isBase(i);
            if (i > 0) {
                a.superAssembly = assemblies[(i - 1) / Oo7Config.ASSEMBLIES_PER_ASSEMBLY];
            }
            if (a.base) {
                a.components = new CompositePart[Oo7Config.COMPOSITES_PER_BASE];
                for (int k = 0; k < a.components.length; k++) {
                    a.components[k] =
                            composites[data.baseComponents[data.baseOrdinal(i) * Oo7Config.COMPOSITES_PER_BASE + k]];
                }
            } else {
                a.subAssemblies = new Assembly[Oo7Config.ASSEMBLIES_PER_ASSEMBLY];
            }
            assemblies[i] = a;
            if (i > 0) {
                a.superAssembly.subAssemblies[(i - 1) % Oo7Config.ASSEMBLIES_PER_ASSEMBLY] = a;
            }
        }
        module = new Module();
        module.id = 1;
        module.buildDate = data.moduleBuildDate;
        module.type = type(data.moduleType);
        module.manual = new String(data.manualText(), StandardCharsets.US_ASCII);
        module.designRoot = assemblies[0];
    }

    /**
     * Builds the module's objects on the heap.
     *
     * @param data the generated module.
     * @return the store.
     */
    public static HeapOo7 create(final Oo7Data data) {
        return new HeapOo7(data);
    }

    private CompositePart[] buildComposites(final Oo7Data d) {
        final Oo7Config config = d.config();
        final int per = config.atomicPerComposite();
        final int conns = config.connectionsPerAtomic();
        final CompositePart[] composites = new CompositePart[config.compositeCount()];
        for (int c = 0; c < composites.length; c++) {
            final CompositePart cp = new CompositePart();
            cp.id = c + 1;
            cp.buildDate = d.compositeBuildDate[c];
            cp.type = type(d.compositeType[c]);
            final Document doc = new Document();
            doc.id = c + 1;
            doc.title = new String(Oo7Data.titleBytes(c), StandardCharsets.US_ASCII);
            doc.text = new String(d.documentText(c), StandardCharsets.US_ASCII);
            doc.part = cp;
            cp.documentation = doc;
            documentById[c] = doc;
            cp.parts = new AtomicPart[per];
            for (int i = 0; i < per; i++) {
                final int index = c * per + i;
                final AtomicPart p = new AtomicPart();
                p.id = index + 1;
                p.buildDate = d.atomicBuildDate[index];
                p.x = d.atomicX[index];
                p.y = d.atomicY[index];
                p.docId = d.atomicDocId[index];
                p.type = type(d.atomicType[index]);
                p.partOf = cp;
                p.to = new Connection[conns];
                cp.parts[i] = p;
                atomicById[index] = p;
            }
            for (int i = 0; i < per; i++) {
                final int index = c * per + i;
                for (int k = 0; k < conns; k++) {
                    final int connection = index * conns + k;
                    final Connection link = new Connection();
                    link.type = type(d.connectionType[connection]);
                    link.length = d.connectionLength[connection];
                    link.from = atomicById[index];
                    link.to = atomicById[d.connectionTo[connection]];
                    atomicById[index].to[k] = link;
                }
            }
            cp.rootPart = cp.parts[0];
            composites[c] = cp;
        }
        return composites;
    }

    private static String type(final int type) {
        return new String(Oo7Data.typeBytes(type), StandardCharsets.US_ASCII);
    }

    @Override
    public String system() {
        return "heap";
    }

    @Override
    public long run(final Oo7Operation op) {
        return switch (op) {
            case T1, T6, T2A, T2B, T2C, T3A -> traverse(module.designRoot, op);
            case T8 -> countI(module.manual);
            case T9 -> module.manual.charAt(0) == module.manual.charAt(module.manual.length() - 1) ? 1 : 0;
            case Q1 -> q1();
            case Q5 -> q5();
            case Q6 -> q6();
            case Q7 -> q7();
            case Q8 -> q8();
        };
    }

    private long traverse(final Assembly assembly, final Oo7Operation op) {
        long count = 0;
        if (assembly.base) {
            for (final CompositePart cp : assembly.components) {
                count += traverseComposite(cp, op);
            }
        } else {
            for (final Assembly sub : assembly.subAssemblies) {
                count += traverse(sub, op);
            }
        }
        return count;
    }

    private long traverseComposite(final CompositePart cp, final Oo7Operation op) {
        final AtomicPart root = cp.rootPart;
        if (op == Oo7Operation.T6) {
            return root.id > 0 ? 1 : 0;
        }
        if (op == Oo7Operation.T2A) {
            swap(root);
        } else if (op == Oo7Operation.T3A) {
            root.buildDate = toggle(root.buildDate);
        }
        visited.clear();
        visited.add(root.id);
        return dfs(root, op);
    }

    private long dfs(final AtomicPart part, final Oo7Operation op) {
        if (op == Oo7Operation.T2B) {
            swap(part);
        } else if (op == Oo7Operation.T2C) {
            for (int i = 0; i < 4; i++) {
                swap(part);
            }
        }
        long count = 1;
        for (final Connection link : part.to) {
            final AtomicPart next = link.to;
            if (visited.add(next.id)) {
                count += dfs(next, op);
            }
        }
        return count;
    }

    private static void swap(final AtomicPart part) {
        final int x = part.x;
        part.x = part.y;
        part.y = x;
    }

    static int toggle(final int buildDate) {
        return (buildDate & 1) != 0 ? buildDate - 1 : buildDate + 1;
    }

    private static long countI(final String text) {
        long count = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == 'I') {
                count++;
            }
        }
        return count;
    }

    private long q1() {
        Oo7Operation.q1Ids(data.seed(), q1Calls++, atomicById.length, q1Ids);
        long sum = 0;
        for (final int id : q1Ids) {
            final AtomicPart p = atomicById[id - 1];
            if (p.id != id) {
                throw new IllegalStateException("Q1 found the wrong atomic part: id=" + id + ", found=" + p.id);
            }
            sum += p.buildDate;
        }
        return sum;
    }

    private long q5() {
        return q5(module.designRoot);
    }

    private long q5(final Assembly assembly) {
        long count = 0;
        if (assembly.base) {
            for (final CompositePart cp : assembly.components) {
                if (cp.buildDate > assembly.buildDate) {
                    return 1;
                }
            }
            return 0;
        }
        for (final Assembly sub : assembly.subAssemblies) {
            count += q5(sub);
        }
        return count;
    }

    private long q6() {
        q6Count = 0;
        q6(module.designRoot);
        return q6Count;
    }

    /** Returns the latest composite build date under {@code assembly}, counting the assemblies built before it. */
    private int q6(final Assembly assembly) {
        int latest = Integer.MIN_VALUE;
        if (assembly.base) {
            for (final CompositePart cp : assembly.components) {
                latest = Math.max(latest, cp.buildDate);
            }
        } else {
            for (final Assembly sub : assembly.subAssemblies) {
                latest = Math.max(latest, q6(sub));
            }
        }
        if (latest > assembly.buildDate) {
            q6Count++;
        }
        return latest;
    }

    private long q7() {
        long sum = 0;
        for (final AtomicPart p : atomicById) {
            sum += p.id;
        }
        return sum;
    }

    private long q8() {
        long pairs = 0;
        for (final AtomicPart p : atomicById) {
            final Document doc = documentById[p.docId - 1];
            if (doc.id == p.docId) {
                pairs++;
            }
        }
        return pairs;
    }

    @Override
    public long checksum() {
        long sum = 0;
        for (final AtomicPart p : atomicById) {
            sum = Oo7Store.mixChecksum(sum, p.id, p.buildDate, p.x, p.y);
        }
        return sum;
    }

    @Override
    public void close() {
        // nothing to release: the garbage collector takes the objects
    }
}
