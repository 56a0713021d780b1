package org.bess.server;

import org.bess.client.BessFile;
import org.bess.client.Database;
import org.bess.server.catalog.Catalog;

/**
 * A file handle: the file's id and name in its database. The catalog entry is looked up on use: an abort of another
 * session's catalog change puts back a fresh copy of the committed catalog.
 */
final class EngineFile implements BessFile {
    private final EngineDatabase db;
    private Catalog.FileEntry entry;

    EngineFile(final EngineDatabase db, final Catalog.FileEntry entry) {
        this.db = db;
        this.entry = entry;
    }

    /** The current catalog entry, or null when the file is gone (dropped, or its creation rolled back). */
    Catalog.FileEntry current() {
        final Catalog.FileEntry now = db.catalog().file(entry.id);
        if (now != null && now.name.equals(entry.name)) {
            entry = now;
            return now;
        }
        return null;
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
