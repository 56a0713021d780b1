package org.bess.server;

import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.server.catalog.Catalog;

/** A file handle: the catalog entry and its database. */
final class EngineFile implements BessFile {
    private final EngineDatabase db;
    private final Catalog.FileEntry entry;

    EngineFile(final EngineDatabase db, final Catalog.FileEntry entry) {
        this.db = db;
        this.entry = entry;
    }

    Catalog.FileEntry entry() {
        return entry;
    }

    EngineDatabase db() {
        return db;
    }

    @Override
    public String name() {
        return entry.name;
    }

    @Override
    public Database database() {
        return db;
    }

    @Override
    public String toString() {
        return "file " + entry.name + " in " + db.path();
    }
}
