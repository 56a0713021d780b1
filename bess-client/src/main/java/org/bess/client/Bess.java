package org.bess.client;

import java.nio.file.Path;
import org.bess.client.remote.RemoteSession;
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

    /** The session socket's file name in a node directory. */
    public static final String SESSION_SOCKET = "sessions.sock";

    /**
     * Connects to the node server of {@code nodeDir} through its session socket: {@code
     * <nodeDir>/control/sessions.sock} (a node daemon's, beside its control socket in the directory only allowed users
     * can search) when that directory exists, else {@code <nodeDir>/sessions.sock} (an endpoint started by an
     * embedding process).
     *
     * @param nodeDir the node directory of a running server.
     * @param mode how this process reaches pages: in place in the server's cache, or through a private cache.
     * @return a session with the embedded API; close it to disconnect (an open transaction is rolled back).
     * @throws BessException {@code IO} when no server answers on the socket.
     */
    public static Session connect(final Path nodeDir, final Mode mode) {
        if (mode == null) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "mode is null: SHARED_MEMORY or COPY_ON_ACCESS");
        }
        // a daemon's control directory may be unsearchable for this user: its existence decides, not the socket's
        final Path control = nodeDir.resolve(org.bess.client.wire.ControlConnection.SOCKET_DIR);
        return RemoteSession.connect(
                java.nio.file.Files.isDirectory(control)
                        ? control.resolve(SESSION_SOCKET)
                        : nodeDir.resolve(SESSION_SOCKET),
                mode);
    }
}
