package org.bess.client;

import java.nio.file.Path;

/**
 * A storage area as {@code list-areas} shows it.
 *
 * @param id the area id (0 is the root area).
 * @param path the file or device.
 * @param sizeBytes bytes the area occupies.
 * @param extents extents the area holds.
 * @param freeBytes bytes free inside those extents.
 */
public record AreaInfo(int id, Path path, long sizeBytes, int extents, long freeBytes) {}
