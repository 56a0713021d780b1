package org.bess.nativeshim;

import jnr.constants.platform.Errno;

/**
 * A libc call failed. The message names the call, the errno by its symbolic name (e.g. {@code EINVAL}) and the
 * arguments, so that a failure in a log can be traced without a debugger.
 */
public final class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    /**
     * A failure of {@code call} with the given errno.
     *
     * @param call the libc function, e.g. {@code "mmap"}.
     * @param errno the error number the call left.
     * @param context the arguments, as {@code key=value, ...}.
     */
    public NativeException(final String call, final int errno, final String context) {
        super(call + " failed: " + errnoName(errno) + " (" + errnoDescription(errno) + "), " + context);
        this.call = call;
        this.errno = errno;
    }

    /** The libc function that failed. */
    public String call() {
        return call;
    }

    /** The numeric errno. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno, e.g. {@code "EINVAL"}, or {@code "errno=N"} when the platform does not name it. */
    public String errnoName() {
        return errnoName(errno);
    }

    /**
     * The symbolic name of an errno value on this platform.
     *
     * @param errno the number.
     * @return e.g. {@code "EBADF"}, or {@code "errno=N"} when unknown.
     */
    public static String errnoName(final int errno) {
        final Errno e = Errno.valueOf(errno);
        return e == Errno.__UNKNOWN_CONSTANT__ ? "errno=" + errno : e.name();
    }

    private static String errnoDescription(final int errno) {
        final Errno e = Errno.valueOf(errno);
        return e == Errno.__UNKNOWN_CONSTANT__ ? "unknown error" : e.description();
    }
}
