/**
 * The local control channel between a node server and the processes of its node (DESIGN.md §6): length-prefixed
 * binary frames over a Unix domain socket, decoded by flyweights over Agrona buffers, shared by both sides. {@link
 * org.bess.client.wire.ControlProtocol} holds the frame layout and message types (spec:
 * {@code docs/format/control-protocol.md}); {@link org.bess.client.wire.FrameHeaderFlyweight} and {@link
 * org.bess.client.wire.BodyReader} decode with bounds checks, {@link org.bess.client.wire.FrameWriter} encodes;
 * {@link org.bess.client.wire.ControlConnection} is the blocking client the admin tool and the client modes use.
 */
package org.bess.client.wire;
