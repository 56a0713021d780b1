package org.bess.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bess.client.Database;
import org.bess.client.LargeObjectInfo;
import org.bess.format.RefDescriptor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code bess-admin list-files}: lists the BeSS files of a database (name, area, segments, objects, bytes), then its
 * large objects (reference, file, length, segments, tree nodes and height, segments per area).
 */
@Command(
        name = "list-files",
        mixinStandardHelpOptions = true,
        description = "Lists the BeSS files of a database (name, area, segments, objects, bytes) and its large objects"
                + " (reference, file, length, segments, nodes, height, segments per area).")
final class ListFilesCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DbOptions db;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        return AdminSupport.run(spec.commandLine().getErr(), "list-files", session -> {
            final Database database = session.openDatabase(db.root);
            out.printf("%-20s %-10s %-10s %-12s %s%n", "FILE", "SEGMENTS", "OBJECTS", "BYTES", "AREA");
            final List<LargeObjectInfo> large = new ArrayList<>();
            for (final org.bess.client.FileInfo f : database.files()) {
                out.printf(
                        "%-20s %-10d %-10d %-12s %s%n",
                        f.name(), f.segments(), f.objects(), AdminSupport.size(f.liveBytes()), f.area());
                large.addAll(database.largeObjects(f.name()));
            }
            if (!large.isEmpty()) {
                out.println();
                out.printf(
                        "%-22s %-20s %-24s %-10s %-7s %-7s %s%n",
                        "LARGE OBJECT", "FILE", "LENGTH", "SEGMENTS", "NODES", "HEIGHT", "AREAS");
                for (final LargeObjectInfo lo : large) {
                    final StringBuilder areas = new StringBuilder();
                    lo.segmentsByArea().forEach((area, n) -> areas.append(areas.length() == 0 ? "" : ", ")
                            .append(area.getFileName())
                            .append('=')
                            .append(n));
                    out.printf(
                            "%-22s %-20s %-24s %-10d %-7d %-7d %s%n",
                            RefDescriptor.toString(lo.ref().word()),
                            lo.file(),
                            AdminSupport.size(lo.length()) + " (" + lo.length() + ")",
                            lo.segments(),
                            lo.nodes(),
                            lo.height(),
                            areas);
                }
            }
            return 0;
        });
    }
}
