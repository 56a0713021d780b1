package org.bess.server.lock;

import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * Packs and decodes the 64-bit resource keys of the lock manager (spec: {@code docs/format/lock-table.md}).
 *
 * <pre>
 *  63 62 61         48 47        36 35                       0
 *  +-----+------------+------------+--------------------------+
 *  | 11  |  database  |    area    |     page number (36)     |   page: S, X
 *  +-----+------------+------------+--------------------------+
 *  | 10  |  database  |  zero (16)      |    file id (32)     |   file: IS, IX, S, SIX, X
 *  +-----+------------+-----------------+---------------------+
 *  | 01  |  database  |             zero (48)                 |   database: IS, IX, S, SIX, X
 *  +-----+------------+---------------------------------------+
 * </pre>
 *
 * {@code database} is the node-local number of an open database (14 bits), {@code area} the area id within it (12
 * bits), {@code file id} the catalog's file id. Key 0 ({@link #NULL_RESOURCE}) is no resource. The lock manager does
 * not enforce the hierarchy: the caller takes IS or IX on the database (and the file) before S or X on a page.
 *
 * <p>Thread safe: statics only.
 */
public final class LockResource {
    /** No resource. */
    public static final long NULL_RESOURCE = 0L;
    /** Kind of a database key. */
    public static final int KIND_DATABASE = 1;
    /** Kind of a file key. */
    public static final int KIND_FILE = 2;
    /** Kind of a page key. */
    public static final int KIND_PAGE = 3;

    /** Bits of the page number. */
    public static final int PAGE_BITS = 36;
    /** Bits of the area id. */
    public static final int AREA_BITS = 12;
    /** Bits of the file id. */
    public static final int FILE_BITS = 32;
    /** Bits of the database number. */
    public static final int DATABASE_BITS = 14;

    /** Shift of the area id in a page key. */
    public static final int AREA_SHIFT = PAGE_BITS;
    /** Shift of the database number. */
    public static final int DATABASE_SHIFT = AREA_SHIFT + AREA_BITS;
    /** Shift of the kind. */
    public static final int KIND_SHIFT = DATABASE_SHIFT + DATABASE_BITS;

    /** The largest page number. */
    public static final long MAX_PAGE_NO = (1L << PAGE_BITS) - 1;
    /** The largest area id. */
    public static final int MAX_AREA = (1 << AREA_BITS) - 1;
    /** The largest database number. */
    public static final int MAX_DATABASE = (1 << DATABASE_BITS) - 1;

    private LockResource() {}

    /**
     * The key of a page.
     *
     * @param database the node-local database number, 0 to {@link #MAX_DATABASE}.
     * @param area the area id in the database, 0 to {@link #MAX_AREA}.
     * @param pageNo the page number in the area, 0 to {@link #MAX_PAGE_NO}.
     * @return the key.
     * @throws BessException {@code BAD_ARGUMENT} when a part is out of range.
     */
    public static long page(final int database, final int area, final long pageNo) {
        checkDatabase(database);
        if (area < 0 || area > MAX_AREA) {
            throw new BessException(ErrorCode.BAD_ARGUMENT, "area id out of range: area=" + area + ", max=" + MAX_AREA);
        }
        if (pageNo < 0 || pageNo > MAX_PAGE_NO) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT, "page number out of range: page=" + pageNo + ", max=" + MAX_PAGE_NO);
        }
        return ((long) KIND_PAGE << KIND_SHIFT)
                | ((long) database << DATABASE_SHIFT)
                | ((long) area << AREA_SHIFT)
                | pageNo;
    }

    /**
     * The key of a file.
     *
     * @param database the node-local database number, 0 to {@link #MAX_DATABASE}.
     * @param fileId the catalog's file id (all 32 bits are kept).
     * @return the key.
     * @throws BessException {@code BAD_ARGUMENT} when the database number is out of range.
     */
    public static long file(final int database, final int fileId) {
        checkDatabase(database);
        return ((long) KIND_FILE << KIND_SHIFT) | ((long) database << DATABASE_SHIFT) | (fileId & 0xFFFF_FFFFL);
    }

    /**
     * The key of a database.
     *
     * @param database the node-local database number, 0 to {@link #MAX_DATABASE}.
     * @return the key.
     * @throws BessException {@code BAD_ARGUMENT} when the database number is out of range.
     */
    public static long database(final int database) {
        checkDatabase(database);
        return ((long) KIND_DATABASE << KIND_SHIFT) | ((long) database << DATABASE_SHIFT);
    }

    /** The kind of a key: {@link #KIND_PAGE}, {@link #KIND_FILE}, {@link #KIND_DATABASE}, or 0 for no resource. */
    public static int kind(final long resource) {
        return (int) (resource >>> KIND_SHIFT);
    }

    /** The node-local database number of a key of any kind. */
    public static int databaseOf(final long resource) {
        return (int) (resource >>> DATABASE_SHIFT) & MAX_DATABASE;
    }

    /** The area id of a page key. */
    public static int areaOf(final long resource) {
        return (int) (resource >>> AREA_SHIFT) & MAX_AREA;
    }

    /** The page number of a page key. */
    public static long pageNoOf(final long resource) {
        return resource & MAX_PAGE_NO;
    }

    /** The file id of a file key. */
    public static int fileIdOf(final long resource) {
        return (int) resource;
    }

    /** The key of the database a key belongs to: where the intention lock goes. */
    public static long databaseResourceOf(final long resource) {
        return database(databaseOf(resource));
    }

    /**
     * Checks that a key is well formed and that the mode is allowed on its kind (pages take S and X only).
     *
     * @param resource the key.
     * @param mode the requested mode.
     * @throws BessException {@code BAD_ARGUMENT} when the key is malformed or the mode not allowed on it.
     */
    public static void checkModeAllowed(final long resource, final LockMode mode) {
        final int kind = kind(resource);
        final boolean wellFormed;
        switch (kind) {
            case KIND_PAGE:
                wellFormed = true;
                break;
            case KIND_FILE:
                wellFormed = (resource & (((1L << DATABASE_SHIFT) - 1) & ~0xFFFF_FFFFL)) == 0;
                break;
            case KIND_DATABASE:
                wellFormed = (resource & ((1L << DATABASE_SHIFT) - 1)) == 0;
                break;
            default:
                wellFormed = false;
                break;
        }
        if (!wellFormed) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT, "not a lock resource key: resource=0x" + Long.toHexString(resource));
        }
        if (kind == KIND_PAGE && mode != LockMode.S && mode != LockMode.X) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "pages take S and X locks only: resource=" + toString(resource) + ", mode=" + mode);
        }
    }

    /** Readable form: {@code page(db=1, area=0, page=42)}, {@code file(db=1, file=5)}, {@code database(db=1)}. */
    public static String toString(final long resource) {
        switch (kind(resource)) {
            case KIND_PAGE:
                return "page(db=" + databaseOf(resource) + ", area=" + areaOf(resource) + ", page=" + pageNoOf(resource)
                        + ")";
            case KIND_FILE:
                return "file(db=" + databaseOf(resource) + ", file=" + Integer.toUnsignedString(fileIdOf(resource))
                        + ")";
            case KIND_DATABASE:
                return "database(db=" + databaseOf(resource) + ")";
            default:
                return "resource(0x" + Long.toHexString(resource) + ")";
        }
    }

    private static void checkDatabase(final int database) {
        if (database < 0 || database > MAX_DATABASE) {
            throw new BessException(
                    ErrorCode.BAD_ARGUMENT,
                    "database number out of range: database=" + database + ", max=" + MAX_DATABASE);
        }
    }
}
