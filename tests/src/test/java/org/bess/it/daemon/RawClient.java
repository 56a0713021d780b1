package org.bess.it.daemon;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bess.client.wire.ControlConnection;
import org.bess.client.wire.ControlProtocol;
import org.bess.client.wire.FrameWriter;

/** A raw control-socket client for the tests: sends any bytes, reads frames or the end of the stream. */
final class RawClient implements AutoCloseable {
    final SocketChannel channel;
    private final Selector selector;
    private final FrameWriter writer = new FrameWriter();

    RawClient(final Path nodeDir) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(ControlConnection.socketPath(nodeDir)));
        channel.configureBlocking(false);
        selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    static int ownId(final String attribute) throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), attribute);
    }

    FrameWriter writer() {
        return writer;
    }

    void send(final ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            if (channel.write(bytes) == 0) {
                try {
                    Thread.sleep(1); // the socket buffer is full: back off, the server drains it
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
    }

    void send(final byte[] bytes) throws IOException {
        send(ByteBuffer.wrap(bytes));
    }

    /** Sends a correct HELLO and reads its reply. */
    byte[] hello() throws IOException {
        send(writer.begin(ControlProtocol.HELLO, 1)
                .putInt(ControlProtocol.VERSION)
                .putInt(ControlProtocol.MODE_CONTROL)
                .putLong(ProcessHandle.current().pid())
                .putInt(ownId("unix:uid"))
                .putInt(ownId("unix:gid"))
                .finish());
        return readFrame(10_000);
    }

    /**
     * Reads one frame.
     *
     * @return the frame, or null when the server closed the connection first.
     * @throws AssertionError when neither happens within the timeout.
     */
    byte[] readFrame(final long timeoutMs) throws IOException {
        final ByteBuffer head = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        if (!fill(head, timeoutMs)) {
            return null;
        }
        final int length = head.getInt(0);
        if (length < 4 || length > ControlProtocol.MAX_FRAME_LENGTH) {
            throw new AssertionError("server sent a frame of length " + length);
        }
        final ByteBuffer frame = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        frame.putInt(length);
        if (!fill(frame, timeoutMs)) {
            throw new AssertionError("server closed in the middle of a frame");
        }
        return frame.array();
    }

    private boolean fill(final ByteBuffer b, final long timeoutMs) throws IOException {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (b.hasRemaining()) {
            final int n;
            try {
                n = channel.read(b);
            } catch (final IOException e) {
                return false; // reset by the server: closed
            }
            if (n < 0) {
                return false;
            }
            if (n == 0) {
                final long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError("no frame and no close within " + timeoutMs + " ms");
                }
                selector.select(left);
                selector.selectedKeys().clear();
            }
        }
        return true;
    }

    /** Reads frames until the server closes; returns the last ERROR code seen (0 if none). */
    int readUntilClosed(final long timeoutMs) throws IOException {
        int code = 0;
        byte[] f;
        while ((f = readFrame(timeoutMs)) != null) {
            final ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
            if ((b.getShort(4) & 0xFFFF) == ControlProtocol.ERROR) {
                code = b.getInt(16);
            }
        }
        return code;
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
