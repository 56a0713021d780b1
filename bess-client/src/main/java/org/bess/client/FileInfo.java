package org.bess.client;

import java.nio.file.Path;

/**
 * A BeSS file as {@code list-files} shows it.
 *
 * @param name the file's name.
 * @param area the area holding its data segments.
 * @param segments its object segments.
 * @param objects its live objects.
 * @param liveBytes bytes held by live objects.
 */
public record FileInfo(String name, Path area, int segments, long objects, long liveBytes) {}
