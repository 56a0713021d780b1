package org.bess.client.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.exceptions.ProtocolException;

/**
 * Coverage-guided fuzzing of the control protocol's request decoder (TESTING.md row 10): whatever the bytes, the
 * header check and {@link ControlRequest#decode} either give a request or throw {@link ProtocolException}; any other
 * exception (an index out of bounds, an NPE, an allocation beyond the frame limit) fails the target. {@code mvn verify}
 * replays the corpus in {@code ControlRequestFuzzTestInputs}; {@code -Pfuzz} (README) fuzzes for a while.
 */
class ControlRequestFuzzTest {
    private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
    private final BodyReader body = new BodyReader();

    @FuzzTest(maxDuration = "60s")
    void decodesOrRefusesWithAProtocolException(final byte[] frame) {
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        try {
            header.wrap(view, 0, frame.length, ControlProtocol.DEFAULT_MAX_REQUEST_LENGTH);
            if (ControlProtocol.isRequest(header.type())) {
                ControlRequest.decode(view, header, body);
            }
        } catch (final ProtocolException e) {
            // the one refusal the decoder may give
        }
    }
}
