package org.bess.server;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Named crash points for crash tests (TESTING.md rows 2 and 6). A point is armed by the system property {@code
 * bess.fault.<name>=N}: its N-th hit halts the JVM on the spot ({@code Runtime.halt(77)}: no shutdown hooks, no
 * flushes), as a power cut or SIGKILL would at that instruction. With no property set, {@link #hit} is one read of a
 * static final flag.
 *
 * <p>Points: {@code commit.afterAppend} (commit record appended, not yet forced), {@code commit.afterForce} (durable,
 * not yet acknowledged), {@code log.afterWrite} (a log flush written, not yet forced), {@code writeBack.afterLogForce}
 * (a dirty page's log forced, the page not yet written), {@code checkpoint.afterFlush} (pages written, checkpoint
 * record not yet logged), {@code master.beforeRename} (new master record forced as a temporary file, not yet renamed
 * over the old one); in restart recovery: {@code recovery.afterAnalysis}, {@code recovery.redoRecord} (each page
 * record redone), {@code recovery.afterRedo}, {@code recovery.afterClr} (each compensation record written and forced
 * during undo), {@code recovery.afterUndo} (losers ended, before the recovered catalogs are installed and the
 * end-of-recovery checkpoint), {@code recovery.afterCheckpoint} (the end-of-recovery checkpoint durable, the pages it
 * left dirty not written back). {@code CrashMatrixTest} collects every {@code hit} in the sources and fails when one is
 * missing from its matrix. Thread safe.
 */
public final class FaultPoints {
    /** Exit status of a JVM halted at a fault point. */
    public static final int HALT_STATUS = 77;

    private static final String PREFIX = "bess.fault.";
    private static final boolean ARMED;
    private static final Map<String, int[]> POINTS = new HashMap<>();

    static {
        final Properties props = System.getProperties();
        for (final String name : props.stringPropertyNames()) {
            if (name.startsWith(PREFIX)) {
                POINTS.put(name.substring(PREFIX.length()), new int[] {Integer.parseInt(props.getProperty(name)), 0});
            }
        }
        ARMED = !POINTS.isEmpty();
    }

    private FaultPoints() {}

    /** Passes a named point: halts the JVM when it is armed and this is its N-th hit. */
    public static void hit(final String name) {
        if (ARMED) {
            final int[] point;
            synchronized (POINTS) {
                point = POINTS.get(name);
                if (point == null || ++point[1] != point[0]) {
                    return;
                }
            }
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }
}
