package org.bess.client;

import java.util.Arrays;

/**
 * A registered type: id, name, size and the offsets of the persistent references inside its objects.
 *
 * @param id the type id stored in slots.
 * @param name the type's name, unique in its database.
 * @param size the default object size in bytes.
 * @param refOffsets offsets of 8-byte references inside the object.
 */
public record TypeId(int id, String name, int size, int[] refOffsets) {
    /** A defensive copy of the offsets. */
    public TypeId {
        refOffsets = refOffsets.clone();
    }

    @Override
    public int[] refOffsets() {
        return refOffsets.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof TypeId t
                && t.id == id
                && t.name.equals(name)
                && t.size == size
                && Arrays.equals(t.refOffsets, refOffsets);
    }

    @Override
    public int hashCode() {
        return id * 31 + name.hashCode();
    }

    @Override
    public String toString() {
        return name + "#" + id + "(size=" + size + ", refs=" + Arrays.toString(refOffsets) + ")";
    }
}
