package org.bess.server;

import org.bess.client.Session;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * Operations the node daemon runs on its hosted engine beyond the {@link Session} API.
 *
 * <p>Not thread safe; the session thread only.
 */
public final class EngineControl {
    private EngineControl() {}

    /**
     * Takes a checkpoint now (between transactions): writes back every dirty page after the log, stores changed
     * catalogs, logs and forces a checkpoint record, and recycles the log before it.
     *
     * @param session a session from {@link BessServer#embedded(Context)} with no transaction open.
     * @return the checkpoint's LSN (the log's durable end after it).
     * @throws BessException {@code ILLEGAL_STATE} when a transaction is open, {@code BAD_ARGUMENT} for another kind of
     *     session.
     */
    public static long checkpoint(final Session session) {
        if (!(session instanceof EmbeddedSession embedded)) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "not an embedded session: " + session);
        }
        embedded.server().io().barrier();
        embedded.checkpointNow();
        return embedded.server().log().durableLsn();
    }
}
