package org.bess.client.wire;

/**
 * One database of the node catalog as the control channel reports it.
 *
 * @param id the database id (from its root area).
 * @param path the root area's absolute path.
 * @param areas the number of storage areas (0 when not open).
 * @param open whether the server's engine has it open now.
 */
public record DatabaseInfo(long id, String path, int areas, boolean open) {}
