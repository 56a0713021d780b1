package org.bess.client;

import java.nio.file.Path;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/** Entry point for applications that connect to a running node server. */
public final class Bess {
    /** How a client process reaches pages. */
    public enum Mode {
        /** Work in place in the server's memory-mapped cache. */
        SHARED_MEMORY,
        /** Work in a private cache filled by the server. */
        COPY_ON_ACCESS
    }

    private Bess() {}

    /**
     * Connects to the node server of {@code nodeDir}. Not built yet: the node daemon and the client modes arrive with
     * their own issue; use {@code BessServer.embedded(nodeDir)} meanwhile.
     *
     * @return never, for now.
     */
    public static Session connect(final Path nodeDir, final Mode mode) {
        throw new BessException(
                ErrorCode.NOT_BUILT_YET,
                "client modes are not built yet (they arrive with the node server daemon): nodeDir=" + nodeDir
                        + ", mode=" + mode + "; use BessServer.embedded(nodeDir)");
    }
}
