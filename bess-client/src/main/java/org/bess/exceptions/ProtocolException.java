package org.bess.exceptions;

/**
 * A frame on the control channel broke the protocol: a length out of bounds, an unknown type, a field that runs past
 * the end of its frame, bytes left over, a request before {@code HELLO}. The side that sees it closes the connection;
 * nothing else is affected.
 */
public final class ProtocolException extends BessException {
    private static final long serialVersionUID = 1L;

    /**
     * A protocol violation.
     *
     * @param message what, naming the field, the offset and the bounds.
     */
    public ProtocolException(final String message) {
        super(ErrorCode.PROTOCOL, message);
    }
}
