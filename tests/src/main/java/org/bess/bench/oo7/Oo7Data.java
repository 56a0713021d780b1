package org.bess.bench.oo7;

import java.nio.charset.StandardCharsets;

/**
 * One generated OO7 module, as flat arrays indexed from 0, from which each system builds its own representation
 * ({@link Oo7Generator} makes it). Ids are index + 1. The atomic parts of composite part {@code c} are {@code
 * c * atomicPerComposite ..} and its root part is the first of them; the connections of atomic part {@code a} are
 * {@code a * connectionsPerAtomic ..}; composite part {@code c}'s document is document {@code c}. Assemblies are in
 * breadth-first order: assembly 0 is the design root, the children of complex assembly {@code i} are {@code 3i+1 ..
 * 3i+3}, and the base assemblies are the last {@link Oo7Config#baseAssemblyCount()}.
 *
 * <p>Immutable after generation; the arrays are shared, not copied.
 */
public final class Oo7Data {
    /** Bytes of a type string (TypeSize). */
    public static final int TYPE_LENGTH = 10;
    /** Bytes of a document title (TitleSize). */
    public static final int TITLE_LENGTH = 40;

    final Oo7Config config;
    final long seed;
    /** Atomic parts: type number (0..9), build date, x, y, document id. */
    final int[] atomicType;

    final int[] atomicBuildDate;
    final int[] atomicX;
    final int[] atomicY;
    final int[] atomicDocId;
    /** Connections: target atomic part index, length, type number; the source is index / connectionsPerAtomic. */
    final int[] connectionTo;

    final int[] connectionLength;
    final int[] connectionType;
    /** Composite parts: type number, build date. */
    final int[] compositeType;

    final int[] compositeBuildDate;
    /** Assemblies: type number, build date; for base assemblies, 3 composite part indexes each. */
    final int[] assemblyType;

    final int[] assemblyBuildDate;
    final int[] baseComponents;
    final int moduleBuildDate;
    final int moduleType;

    Oo7Data(final Oo7Config config, final long seed, final Arrays arrays) {
        this.config = config;
        this.seed = seed;
        this.atomicType = arrays.atomicType;
        this.atomicBuildDate = arrays.atomicBuildDate;
        this.atomicX = arrays.atomicX;
        this.atomicY = arrays.atomicY;
        this.atomicDocId = arrays.atomicDocId;
        this.connectionTo = arrays.connectionTo;
        this.connectionLength = arrays.connectionLength;
        this.connectionType = arrays.connectionType;
        this.compositeType = arrays.compositeType;
        this.compositeBuildDate = arrays.compositeBuildDate;
        this.assemblyType = arrays.assemblyType;
        this.assemblyBuildDate = arrays.assemblyBuildDate;
        this.baseComponents = arrays.baseComponents;
        this.moduleBuildDate = arrays.moduleBuildDate;
        this.moduleType = arrays.moduleType;
    }

    /** The configuration. */
    public Oo7Config config() {
        return config;
    }

    /** The generator's seed. */
    public long seed() {
        return seed;
    }

    /** Whether assembly {@code index} is a base assembly. */
    boolean isBase(final int index) {
        return index >= config.complexAssemblyCount();
    }

    /** The index of base assembly {@code index} among the base assemblies. */
    int baseOrdinal(final int index) {
        return index - config.complexAssemblyCount();
    }

    /** The type string of type number {@code type}, padded with spaces to {@link #TYPE_LENGTH} bytes. */
    static byte[] typeBytes(final int type) {
        return pad("type" + type, TYPE_LENGTH);
    }

    /** Composite part {@code c}'s document title, padded to {@link #TITLE_LENGTH} bytes. */
    static byte[] titleBytes(final int composite) {
        return pad(String.format(java.util.Locale.ROOT, "Composite Part %08d", composite + 1), TITLE_LENGTH);
    }

    /** Composite part {@code c}'s document text: its sentence repeated to {@link Oo7Config#documentLength()} bytes. */
    byte[] documentText(final int composite) {
        return repeat(
                String.format(java.util.Locale.ROOT, "I am the documentation for composite part %08d. ", composite + 1),
                config.documentLength());
    }

    /** The manual's text: its sentence repeated to {@link Oo7Config#manualLength()} bytes. */
    byte[] manualText() {
        return repeat("I am the manual for module 00000001. ", config.manualLength());
    }

    private static byte[] pad(final String text, final int length) {
        final byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, (byte) ' ');
        final byte[] src = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(src, 0, bytes, 0, Math.min(length, src.length));
        return bytes;
    }

    private static byte[] repeat(final String sentence, final int length) {
        final byte[] src = sentence.getBytes(StandardCharsets.US_ASCII);
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = src[i % src.length];
        }
        return bytes;
    }

    /** The arrays the generator fills. */
    static final class Arrays {
        int[] atomicType;
        int[] atomicBuildDate;
        int[] atomicX;
        int[] atomicY;
        int[] atomicDocId;
        int[] connectionTo;
        int[] connectionLength;
        int[] connectionType;
        int[] compositeType;
        int[] compositeBuildDate;
        int[] assemblyType;
        int[] assemblyBuildDate;
        int[] baseComponents;
        int moduleBuildDate;
        int moduleType;
    }
}
