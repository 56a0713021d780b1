package org.bess.bench.oo7;

import java.util.Locale;

/**
 * The size parameters of one OO7 database (Carey, DeWitt, Naughton, "The OO7 Benchmark", SIGMOD 1993, table 1), one
 * module each. {@code small} and {@code medium} are the paper's; {@code tiny} is ours, for the default build's tests.
 *
 * <table>
 *   <caption>Configurations</caption>
 *   <tr><th>name</th><th>composite parts</th><th>atomic per composite</th><th>connections per atomic</th>
 *       <th>assembly levels</th><th>document bytes</th><th>manual bytes</th></tr>
 *   <tr><td>tiny</td><td>20</td><td>10</td><td>3</td><td>4</td><td>200</td><td>10,000</td></tr>
 *   <tr><td>small</td><td>500</td><td>20</td><td>3</td><td>7</td><td>2,000</td><td>100,000</td></tr>
 *   <tr><td>medium</td><td>500</td><td>200</td><td>3</td><td>7</td><td>20,000</td><td>1,000,000</td></tr>
 * </table>
 *
 * <p>A suffix {@code -6} or {@code -9} (e.g. {@code small-9}) sets the connections per atomic part to the paper's other
 * values. Every configuration has 3 assemblies per complex assembly and 3 composite parts per base assembly.
 *
 * @param name the name, as given to {@link #parse(String)}.
 * @param compositeCount composite parts in the module's library (NumCompPerModule).
 * @param atomicPerComposite atomic parts per composite part (NumAtomicPerComp).
 * @param connectionsPerAtomic outgoing connections per atomic part (NumConnPerAtomic).
 * @param assemblyLevels levels of the assembly hierarchy, base assemblies included (NumAssmLevels).
 * @param documentLength bytes of a composite part's document text (DocumentSize).
 * @param manualLength bytes of the module's manual text (ManualSize).
 */
public record Oo7Config(
        String name,
        int compositeCount,
        int atomicPerComposite,
        int connectionsPerAtomic,
        int assemblyLevels,
        int documentLength,
        int manualLength) {
    /** Sub-assemblies per complex assembly (NumAssmPerAssm). */
    public static final int ASSEMBLIES_PER_ASSEMBLY = 3;
    /** Composite parts per base assembly (NumCompPerAssm). */
    public static final int COMPOSITES_PER_BASE = 3;

    /**
     * The configuration of a name: {@code tiny}, {@code small} or {@code medium}, optionally followed by {@code -3},
     * {@code -6} or {@code -9} connections per atomic part.
     *
     * @param text the name.
     * @return the configuration.
     * @throws IllegalArgumentException naming the text when it is none of these.
     */
    public static Oo7Config parse(final String text) {
        final String lower = text.toLowerCase(Locale.ROOT);
        final int dash = lower.indexOf('-');
        final String base = dash < 0 ? lower : lower.substring(0, dash);
        int connections = 3;
        if (dash >= 0) {
            final String suffix = lower.substring(dash + 1);
            if (!suffix.equals("3") && !suffix.equals("6") && !suffix.equals("9")) {
                throw new IllegalArgumentException(
                        "unknown OO7 connection count: config=" + text + ", expected a suffix -3, -6 or -9");
            }
            connections = Integer.parseInt(suffix);
        }
        return switch (base) {
            case "tiny" -> new Oo7Config(lower, 20, 10, connections, 4, 200, 10_000);
            case "small" -> new Oo7Config(lower, 500, 20, connections, 7, 2_000, 100_000);
            case "medium" -> new Oo7Config(lower, 500, 200, connections, 7, 20_000, 1_000_000);
            default -> throw new IllegalArgumentException(
                    "unknown OO7 configuration: config=" + text + ", expected tiny, small or medium");
        };
    }

    /** Atomic parts in the module. */
    public int atomicCount() {
        return compositeCount * atomicPerComposite;
    }

    /** Connections in the module. */
    public int connectionCount() {
        return atomicCount() * connectionsPerAtomic;
    }

    /** Assemblies in the hierarchy, complex and base: (3^levels - 1) / 2. */
    public int assemblyCount() {
        return (pow3(assemblyLevels) - 1) / 2;
    }

    /** Base assemblies: the last level, 3^(levels - 1). */
    public int baseAssemblyCount() {
        return pow3(assemblyLevels - 1);
    }

    /** Complex assemblies: every level but the last. */
    public int complexAssemblyCount() {
        return assemblyCount() - baseAssemblyCount();
    }

    private static int pow3(final int exponent) {
        int p = 1;
        for (int i = 0; i < exponent; i++) {
            p *= 3;
        }
        return p;
    }
}
