package org.bess.client.frame;

/**
 * The objects a transaction opened, so that opening the same reference again in the same transaction costs a hash
 * probe instead of a slot lookup (embedded) or a request (client modes). Direct-mapped with a fixed number of entries:
 * a transaction opening millions of objects keeps no more than that, and a collision simply replaces the entry.
 *
 * <p>One per session, reused by its transactions one after the other: {@link #begin()} forgets everything by moving
 * to a new serial, so nothing is cleared or allocated per transaction. What may be handed out again is only valid
 * while the transaction holds its locks: the caller {@linkplain #begin() begins} again at every transaction start and
 * after every operation that frees objects behind the handles (a freed object is {@linkplain #remove removed}, a
 * dropped file forgets everything).
 *
 * <p>Not thread safe: a session's transaction is used by one thread at a time.
 *
 * @param <T> the opened object handle.
 */
public final class OpenedObjects<T> {
    private static final int SIZE = 4096;

    // entry i: words[2i] the reference word, words[2i + 1] its serial; refs[2i] the database, refs[2i + 1] the handle
    // (an entry's fields side by side: a probe reads two cache lines, not four)
    private final long[] words = new long[2 * SIZE];
    private final Object[] refs = new Object[2 * SIZE];
    private long serial = 1;

    /** Forgets every entry: a new transaction, or the current one after objects went away in bulk. */
    public void begin() {
        serial++;
    }

    private static int index(final long word) {
        final long h = word * 0x9E37_79B9_7F4A_7C15L;
        return ((int) (h >>> 52) & (SIZE - 1)) << 1;
    }

    /**
     * The handle opened for {@code word} of {@code database} since the last {@link #begin()}, or null.
     *
     * @param database the database object the reference belongs to (compared by identity).
     * @param word the reference word.
     * @return the handle, or null.
     */
    @SuppressWarnings("unchecked")
    public T get(final Object database, final long word) {
        final int i = index(word);
        if (words[i] == word && words[i + 1] == serial && refs[i] == database) {
            return (T) refs[i + 1];
        }
        return null;
    }

    /**
     * Remembers the handle opened for {@code word} of {@code database}.
     *
     * @param database the database object the reference belongs to.
     * @param word the reference word.
     * @param handle the handle.
     */
    public void put(final Object database, final long word, final T handle) {
        final int i = index(word);
        words[i] = word;
        words[i + 1] = serial;
        refs[i] = database;
        refs[i + 1] = handle;
    }

    /**
     * Forgets the handle of {@code word} (the object was freed).
     *
     * @param word the reference word.
     */
    public void remove(final long word) {
        final int i = index(word);
        if (words[i] == word) {
            words[i + 1] = 0;
            refs[i] = null;
            refs[i + 1] = null;
        }
    }
}
