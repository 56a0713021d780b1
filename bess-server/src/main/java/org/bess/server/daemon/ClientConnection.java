package org.bess.server.daemon;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import jdk.net.UnixDomainPrincipal;
import org.bess.client.wire.ControlProtocol;

/**
 * One accepted control connection: its peer, what {@code HELLO} declared, the frame being received, the replies
 * waiting to be written, and its quotas' counts.
 *
 * <p>Not thread safe; the control thread only.
 */
final class ClientConnection {
    /** Mode before HELLO. */
    static final int NO_MODE = -1;

    final int id;
    final SocketChannel channel;
    final UnixDomainPrincipal peer;
    final long connectedSinceMs;
    SelectionKey key;
    int mode = NO_MODE;
    long pid;
    int uid = -1;
    int gid = -1;
    int outstanding;
    boolean closing;
    long partialSinceMs;
    ByteBuffer in = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
    final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    long queuedBytes;

    ClientConnection(final int id, final SocketChannel channel, final UnixDomainPrincipal peer, final long nowMs) {
        this.id = id;
        this.channel = channel;
        this.peer = peer;
        this.connectedSinceMs = nowMs;
    }

    boolean helloDone() {
        return mode != NO_MODE;
    }

    /**
     * Makes room for a frame of {@code length} bytes (already checked against the frame quota), keeping what was read.
     */
    void ensureCapacity(final int length) {
        if (in.capacity() < length) {
            final ByteBuffer bigger = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
            in.flip();
            bigger.put(in);
            in = bigger;
        }
    }

    /** The declared length of the frame at the start of {@code in}, or -1 when fewer than 4 bytes are there. */
    int pendingLength() {
        return in.position() < Integer.BYTES ? -1 : in.getInt(0);
    }

    @Override
    public String toString() {
        return "client " + id + " (uid="
                + (uid >= 0 ? Integer.toString(uid) : peer.user().getName()) + ", pid=" + pid + ", mode="
                + (mode == NO_MODE ? "before-hello" : ControlProtocol.modeName(mode)) + ")";
    }
}
