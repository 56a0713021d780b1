package org.bess.client;

import org.bess.format.RefDescriptor;

/**
 * A persistent reference together with the database it is valid in. The word is what is stored in objects; the
 * database says how to read it.
 *
 * @param database the database whose slot the word names.
 * @param word the 64-bit reference (see {@link RefDescriptor}).
 */
public record Ref(Database database, long word) {
    @Override
    public String toString() {
        return RefDescriptor.toString(word) + " in " + database.path();
    }
}
