package org.bess.exceptions;

/**
 * The root of every bess failure: unchecked, with a stable {@link ErrorCode}. Messages are lower case, {@code what:
 * key=value, ...}, and name the database, area, page or slot involved.
 */
public class BessException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;

    /**
     * A failure with a code and a message.
     *
     * @param errorCode what went wrong.
     * @param message what, with the objects involved.
     */
    public BessException(final ErrorCode errorCode, final String message) {
        super(message);
        this.errorCode = errorCode;
    }

    /**
     * A failure with a code, a message and a cause.
     *
     * @param errorCode what went wrong.
     * @param message what, with the objects involved.
     * @param cause the underlying failure.
     */
    public BessException(final ErrorCode errorCode, final String message, final Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    /** The stable code of this failure. */
    public ErrorCode errorCode() {
        return errorCode;
    }
}
