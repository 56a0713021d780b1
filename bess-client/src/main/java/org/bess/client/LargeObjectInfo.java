package org.bess.client;

import java.nio.file.Path;
import java.util.Map;

/**
 * The shape of a large object, as {@code list-files} shows it.
 *
 * @param ref the object's reference.
 * @param file the name of its file.
 * @param length its length in bytes.
 * @param segments its leaf segments (data blocks).
 * @param nodes the pages of its tree, the root included.
 * @param height the levels of nodes (1: the root points at the leaves).
 * @param segmentsByArea leaf segments per storage area, in area order.
 */
public record LargeObjectInfo(
        Ref ref, String file, long length, int segments, int nodes, int height, Map<Path, Integer> segmentsByArea) {}
