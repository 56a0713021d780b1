package org.bess.exceptions;

/**
 * The node server refused a control connection: its peer's uid and gid (from {@code SO_PEERCRED}) are not in the
 * node's allow-list. The remedy is the {@code allow.uids}/{@code allow.gids} settings of the node's config file.
 */
public final class NotAuthorisedException extends BessException {
    private static final long serialVersionUID = 1L;

    /**
     * A refused connection.
     *
     * @param message what, naming the peer and the remedy.
     */
    public NotAuthorisedException(final String message) {
        super(ErrorCode.NOT_AUTHORISED, message);
    }
}
