package org.bess.client;

import java.nio.file.Path;
import java.util.List;

/**
 * A unit of work on objects: serializable, atomic and durable. {@link #commit()} returns once the transaction's commit
 * record is on stable storage; {@link #abort()}, or closing without commit, rolls every change back.
 */
public interface Transaction extends AutoCloseable {
    /** Creates a file in the database's root area. */
    BessFile createFile(Database db, String name);

    /** Creates a file whose data segments live in the given area. */
    BessFile createFile(Database db, String name, Path area);

    /** An existing file by name. */
    BessFile file(Database db, String name);

    /** Drops a file and every object in it. */
    void dropFile(BessFile file);

    /** Allocates an object of a type, of the type's size, zeroed. */
    ObjectRef allocate(BessFile file, TypeId type);

    /** Allocates an object of a type with an explicit size (at most 64 KiB minus nothing: one data segment). */
    ObjectRef allocate(BessFile file, TypeId type, int size);

    /** Allocates an object close to another one: in its segment when it fits, else in its file. */
    ObjectRef allocateNear(ObjectRef near, TypeId type, int size);

    /**
     * Follows a reference, to any database (forward objects are followed transparently). A large object is refused
     * with {@code BAD_ARGUMENT}: open it with {@link #openLarge(Ref)}. The handle may be a new one even when the object
     * was opened before in the transaction (handles of one object see the same bytes).
     */
    ObjectRef open(Ref ref);

    /** Frees an object; references to it become invalid. */
    void free(ObjectRef object);

    /** Changes an object's size, keeping its bytes (up to the smaller size) and its references. */
    void resize(ObjectRef object, int newSize);

    /** Sets a named persistent root of a database (null removes it). */
    void setRoot(Database db, String name, Ref ref);

    /** A named root, or null. */
    Ref root(Database db, String name);

    /**
     * Creates an empty large object in a file; its segments go to the file's area.
     *
     * @return the object, open in this transaction.
     */
    LargeObject createLarge(BessFile file);

    /**
     * Creates an empty large object whose segments are striped over {@code areas} (areas of the file's database, at
     * most 32, no repeats): each new segment goes to the next area in turn. Its tree's nodes live in the first area.
     *
     * @return the object, open in this transaction.
     */
    LargeObject createLarge(BessFile file, List<Path> areas);

    /**
     * Follows a reference to a large object (forward objects are followed as by {@link #open(Ref)}).
     *
     * @return the object, open in this transaction.
     * @throws org.bess.exceptions.BessException {@code INVALID_REFERENCE} when the reference names no live object,
     *     {@code BAD_ARGUMENT} when it names an object that is not large.
     */
    LargeObject openLarge(Ref ref);

    /** Frees a large object: its segments and tree, then its slot; references to it become invalid. */
    void free(LargeObject object);

    /** A cursor over every live object of a file, once each, in a stable order. */
    Cursor scan(BessFile file);

    /** Makes the transaction's changes durable and ends it. */
    void commit();

    /** Rolls the transaction back: every change it made is undone. */
    void abort();

    /** Whether the transaction can still be used. */
    boolean isActive();

    @Override
    void close();
}
