package org.bess.client.remote;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import org.bess.client.Cursor;
import org.bess.client.Session;

/**
 * Sends hand-made requests through a client session's own connection, for tests that feed the server frames the
 * client library never builds (out-of-range arguments, short payloads) on a connection that has said hello.
 */
public final class WireProbe {
    private WireProbe() {}

    /**
     * Sends {@code op} with {@code ints} as its payload and waits for the reply.
     *
     * @return the reply's payload.
     */
    public static ByteBuffer call(final Session s, final int op, final int... ints) {
        final RemoteSession r = (RemoteSession) s;
        final Wire w = r.request(op);
        for (final int i : ints) {
            w.putInt(i);
        }
        return r.call(w);
    }

    /** The server's handle of a client cursor. */
    public static int handle(final Cursor c) {
        try {
            final Field f = RemoteCursor.class.getDeclaredField("handle");
            f.setAccessible(true);
            return f.getInt(c);
        } catch (final ReflectiveOperationException e) {
            throw new AssertionError("RemoteCursor has no int field 'handle'", e);
        }
    }
}
