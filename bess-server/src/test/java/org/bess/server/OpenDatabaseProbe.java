package org.bess.server;

import java.nio.file.Path;
import org.bess.client.Session;
import org.bess.exceptions.BessException;

/**
 * Child JVM main: tries to open the database at {@code args[1]} with node directory {@code args[0]}, prints the
 * outcome and exits 0 when it opened, 3 when it was refused with a BessException (code and message printed).
 */
public final class OpenDatabaseProbe {
    private OpenDatabaseProbe() {}

    /** Entry point. */
    public static void main(final String[] args) {
        try (Session s =
                BessServer.embedded(new Context().nodeDir(Path.of(args[0])).cacheSizeBytes(1L << 20))) {
            s.openDatabase(Path.of(args[1]));
            System.out.println("opened");
        } catch (final BessException e) {
            System.out.println("refused " + e.errorCode() + ": " + e.getMessage());
            System.exit(3);
        }
    }
}
