package org.bess.client.wire;

import org.agrona.DirectBuffer;
import org.bess.exceptions.ProtocolException;

/**
 * A decoded control request: {@link #decode} turns one received frame into one of these records, or refuses it with a
 * {@link ProtocolException} (unknown type, a field past the end, bytes left over, a string too long or not UTF-8).
 */
public sealed interface ControlRequest {
    /** Longest path a request may carry (bytes of UTF-8). */
    int MAX_PATH_BYTES = 4096;

    /** The correlation id to answer with. */
    long correlationId();

    /**
     * {@code HELLO}.
     *
     * @param correlationId the request's id.
     * @param version the client's protocol version.
     * @param mode the requested mode.
     * @param pid the client's pid, as it declares it.
     * @param uid the client's uid, as it declares it (checked against {@code SO_PEERCRED}).
     * @param gid the client's gid, as it declares it (checked against {@code SO_PEERCRED}).
     */
    record Hello(long correlationId, int version, int mode, long pid, int uid, int gid) implements ControlRequest {}

    /**
     * {@code PING}.
     *
     * @param correlationId the request's id.
     * @param payload echoed.
     */
    record Ping(long correlationId, long payload) implements ControlRequest {}

    /**
     * {@code STAT}.
     *
     * @param correlationId the request's id.
     */
    record Stat(long correlationId) implements ControlRequest {}

    /**
     * {@code LIST_CLIENTS}.
     *
     * @param correlationId the request's id.
     */
    record ListClients(long correlationId) implements ControlRequest {}

    /**
     * {@code KILL_CLIENT}.
     *
     * @param correlationId the request's id.
     * @param clientId the client to disconnect.
     */
    record KillClient(long correlationId, int clientId) implements ControlRequest {}

    /**
     * {@code LIST_DATABASES}.
     *
     * @param correlationId the request's id.
     */
    record ListDatabases(long correlationId) implements ControlRequest {}

    /**
     * {@code OPEN_DATABASE}.
     *
     * @param correlationId the request's id.
     * @param path the root area's path.
     */
    record OpenDatabase(long correlationId, String path) implements ControlRequest {}

    /**
     * {@code CREATE_DATABASE}.
     *
     * @param correlationId the request's id.
     * @param extentBytes the extent length.
     * @param path the root area's path.
     */
    record CreateDatabase(long correlationId, long extentBytes, String path) implements ControlRequest {}

    /**
     * Decodes one whole frame.
     *
     * @param buffer the bytes.
     * @param header a header flyweight already wrapped (and so checked) on the frame.
     * @param body a reusable body reader.
     * @return the request.
     * @throws ProtocolException when the frame is not a well-formed request.
     */
    static ControlRequest decode(final DirectBuffer buffer, final FrameHeaderFlyweight header, final BodyReader body) {
        final long c = header.correlationId();
        final int type = header.type();
        body.wrap(buffer, header);
        final ControlRequest request =
                switch (type) {
                    case ControlProtocol.HELLO -> new Hello(
                            c,
                            body.getInt("version"),
                            body.getInt("mode"),
                            body.getLong("pid"),
                            body.getInt("uid"),
                            body.getInt("gid"));
                    case ControlProtocol.PING -> new Ping(c, body.getLong("payload"));
                    case ControlProtocol.STAT -> new Stat(c);
                    case ControlProtocol.LIST_CLIENTS -> new ListClients(c);
                    case ControlProtocol.KILL_CLIENT -> new KillClient(c, body.getInt("clientId"));
                    case ControlProtocol.LIST_DATABASES -> new ListDatabases(c);
                    case ControlProtocol.OPEN_DATABASE -> new OpenDatabase(c, body.getString("path", MAX_PATH_BYTES));
                    case ControlProtocol.CREATE_DATABASE -> new CreateDatabase(
                            c, body.getLong("extentBytes"), body.getString("path", MAX_PATH_BYTES));
                    default -> throw new ProtocolException(
                            "not a request type: type=" + type + " (" + ControlProtocol.typeName(type) + ")");
                };
        body.end(ControlProtocol.typeName(type));
        return request;
    }
}
