package org.bess.client.wire;

/**
 * The control protocol's frame layout and message types (spec: {@code docs/format/control-protocol.md}). Little-endian.
 *
 * <pre>
 *  +-------------------------------+---------------+---------------+
 *  |     Frame Length (4 bytes)    |   Type (2)    | Reserved (2)  |
 *  +-------------------------------+---------------+---------------+
 *  |                    Correlation Id (8 bytes)                   |
 *  +---------------------------------------------------------------+
 *  |                Body (Frame Length - 16 bytes)               ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The frame length counts the whole frame, header included: at least {@link #HEADER_LENGTH}, at most the receiver's
 * limit (a server's {@code quota.frame.bytes} for requests, {@link #MAX_FRAME_LENGTH} for replies). The reserved
 * field is zero. A reply carries its request's correlation id and the type {@code request | }{@link #REPLY_FLAG}, or
 * {@link #ERROR} with an error code and a message. Body fields are int32, int64 and strings (int32 byte length, then
 * UTF-8), in the order each message lists.
 */
public final class ControlProtocol {
    /** The protocol version this code speaks; {@code HELLO} refuses another. */
    public static final int VERSION = 1;
    /** Frame length. */
    public static final int LENGTH_OFFSET = 0;
    /** Message type (uint16). */
    public static final int TYPE_OFFSET = LENGTH_OFFSET + Integer.BYTES;
    /** Reserved, zero. */
    public static final int RESERVED_OFFSET = TYPE_OFFSET + Short.BYTES;
    /** Correlation id: chosen by the requester, echoed by the reply. */
    public static final int CORRELATION_ID_OFFSET = RESERVED_OFFSET + Short.BYTES;
    /** Bytes of the header; the body starts here. */
    public static final int HEADER_LENGTH = CORRELATION_ID_OFFSET + Long.BYTES;
    /** The largest frame either side ever accepts (16 MiB); a server's request limit is usually far lower. */
    public static final int MAX_FRAME_LENGTH = 16 << 20;
    /** The default request limit of a server ({@code quota.frame.bytes}): 64 KiB. */
    public static final int DEFAULT_MAX_REQUEST_LENGTH = 64 << 10;

    /** Request: first frame of every connection. Body: int32 version, int32 mode, int64 pid, int32 uid, int32 gid. */
    public static final int HELLO = 1;
    /** Request: liveness. Body: int64 payload, echoed. */
    public static final int PING = 2;
    /** Request: the live counters. Empty body. */
    public static final int STAT = 3;
    /** Request: the connected clients. Empty body. */
    public static final int LIST_CLIENTS = 4;
    /** Request: disconnect a client. Body: int32 client id. */
    public static final int KILL_CLIENT = 5;
    /** Request: the databases of the node catalog. Empty body. */
    public static final int LIST_DATABASES = 6;
    /** Request: open (and host) a database. Body: string root area path. */
    public static final int OPEN_DATABASE = 7;
    /** Request: create (and host) a database. Body: int64 extent bytes, string root area path. */
    public static final int CREATE_DATABASE = 8;
    /** Added to a request type to make its reply type. */
    public static final int REPLY_FLAG = 0x8000;
    /** Reply: a request failed. Body: int32 error code ({@code ErrorCode.code()}), string message. */
    public static final int ERROR = 0xFFFF;

    /** HELLO mode: an administrative connection (no pages). */
    public static final int MODE_CONTROL = 0;
    /** HELLO mode: a shared-memory client. */
    public static final int MODE_SHARED_MEMORY = 1;
    /** HELLO mode: a copy-on-access client. */
    public static final int MODE_COPY_ON_ACCESS = 2;
    /** Number of modes. */
    public static final int MODE_COUNT = 3;

    private ControlProtocol() {}

    /** Whether {@code type} is a request this version knows. */
    public static boolean isRequest(final int type) {
        return type >= HELLO && type <= CREATE_DATABASE;
    }

    /** The reply type of a request type. */
    public static int replyType(final int requestType) {
        return requestType | REPLY_FLAG;
    }

    /** A type's name for logs and messages ({@code type-<n>} for an unknown one). */
    public static String typeName(final int type) {
        final String base =
                switch (type & ~REPLY_FLAG) {
                    case HELLO -> "HELLO";
                    case PING -> "PING";
                    case STAT -> "STAT";
                    case LIST_CLIENTS -> "LIST_CLIENTS";
                    case KILL_CLIENT -> "KILL_CLIENT";
                    case LIST_DATABASES -> "LIST_DATABASES";
                    case OPEN_DATABASE -> "OPEN_DATABASE";
                    case CREATE_DATABASE -> "CREATE_DATABASE";
                    default -> null;
                };
        if (type == ERROR) {
            return "ERROR";
        }
        if (base == null) {
            return "type-" + type;
        }
        return (type & REPLY_FLAG) != 0 ? base + "_REPLY" : base;
    }

    /** A mode's name: {@code control}, {@code shared}, {@code copy}, or {@code mode-<n>}. */
    public static String modeName(final int mode) {
        return switch (mode) {
            case MODE_CONTROL -> "control";
            case MODE_SHARED_MEMORY -> "shared";
            case MODE_COPY_ON_ACCESS -> "copy";
            default -> "mode-" + mode;
        };
    }
}
