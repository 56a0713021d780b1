package org.bess.client;

import java.nio.file.Path;

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

    /** Follows a reference, to any database (forward objects are followed transparently). */
    ObjectRef open(Ref ref);

    /** Frees an object; references to it become invalid. */
    void free(ObjectRef object);

    /** Changes an object's size, keeping its bytes (up to the smaller size) and its references. */
    void resize(ObjectRef object, int newSize);

    /** Sets a named persistent root of a database (null removes it). */
    void setRoot(Database db, String name, Ref ref);

    /** A named root, or null. */
    Ref root(Database db, String name);

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
