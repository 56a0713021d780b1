package org.bess.client;

/** A BeSS file: a named set of object segments in one storage area. */
public interface BessFile {
    /** The file's name, unique in its database. */
    String name();

    /** The database. */
    Database database();
}
