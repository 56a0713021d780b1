package org.bess.client;

import java.nio.file.Path;
import java.util.List;

/** An open database: a root storage area and the areas it lists. Not thread safe. */
public interface Database {
    /** The root area's path, which names the database. */
    Path path();

    /** The database's id, written in every one of its areas. */
    long id();

    /**
     * Adds a storage area at {@code path}: a new file, or an existing raw block device (used at its size, never grown).
     *
     * @return the new area.
     */
    default AreaInfo addArea(Path path) {
        return addArea(path, 0);
    }

    /**
     * Adds a storage area that grows by one extent at a time up to {@code maxSizeBytes} (0: no limit); when every
     * area is at its limit, allocation fails with {@code STORAGE_FULL}.
     *
     * @return the new area.
     */
    AreaInfo addArea(Path path, long maxSizeBytes);

    /** Removes an area that holds no file; refused with the names of the files that it still holds. */
    void removeArea(Path path);

    /** The areas with their sizes and free space. */
    List<AreaInfo> areas();

    /**
     * Registers a type: its name, its size in bytes and the offsets of the references inside it.
     *
     * @return the type; defining the same name again with the same layout returns the existing type.
     */
    TypeId defineType(String name, int size, int[] refOffsets);

    /**
     * A type by name.
     *
     * @return the type.
     */
    TypeId type(String name);

    /** Every registered type. */
    List<TypeId> types();

    /** Every BeSS file of the database. */
    List<FileInfo> files();

    /** The large objects of a file, in scan order, with their length and segments. */
    List<LargeObjectInfo> largeObjects(String fileName);

    /**
     * Moves a file's data segments, and the segments and trees of its large objects, to another area of this database;
     * references stay valid.
     */
    void moveFile(String fileName, Path toArea);

    /**
     * Compacts the data segments of one file (or all when {@code fileName} is null), frees empty extents and shrinks
     * file areas at their tail.
     *
     * @return what was reclaimed.
     */
    CompactionReport compact(String fileName);
}
