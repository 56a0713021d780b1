package org.bess.exceptions;

/** A page read from disk failed its checksum: the message names database, area, page and both checksums. */
public final class CorruptPageException extends BessException {
    private static final long serialVersionUID = 1L;

    /**
     * A checksum mismatch.
     *
     * @param database the database's root area path.
     * @param area the area file.
     * @param pageNo the page in the area.
     * @param expected the checksum on record.
     * @param actual the checksum of the bytes read.
     */
    public CorruptPageException(
            final String database, final String area, final long pageNo, final int expected, final int actual) {
        super(
                ErrorCode.CORRUPT_PAGE,
                "page checksum mismatch: database=" + database + ", area=" + area + ", page=" + pageNo + ", expected=0x"
                        + Integer.toHexString(expected) + ", actual=0x" + Integer.toHexString(actual));
    }

    /**
     * Another corruption of a page (bad magic, wrong page identity).
     *
     * @param message what is wrong, naming the page.
     */
    public CorruptPageException(final String message) {
        super(ErrorCode.CORRUPT_PAGE, message);
    }
}
