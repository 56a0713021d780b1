package org.bess.client.remote;

import org.bess.client.BessFile;
import org.bess.client.Database;

/** A file of a remote session, named by its server handle. */
record RemoteFile(int handle, String name, RemoteDatabase db) implements BessFile {
    @Override
    public Database database() {
        return db;
    }
}
