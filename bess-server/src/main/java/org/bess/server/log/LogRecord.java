package org.bess.server.log;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bess.format.LogRecordDescriptor;

/**
 * A record read from the log. The payload is a little-endian read-only view.
 *
 * @param lsn the record's position.
 * @param length its total length (the next record starts at {@code lsn + length}).
 * @param prevLsn the previous record of its transaction, or 0.
 * @param txnId its transaction, or 0.
 * @param type one of {@code LogRecordDescriptor.TYPE_*}.
 * @param flags type-specific flags.
 * @param payload the payload bytes.
 */
public record LogRecord(long lsn, int length, long prevLsn, long txnId, short type, short flags, ByteBuffer payload) {
    /** The payload, positioned at 0, little-endian. */
    public ByteBuffer body() {
        return payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The LSN just past this record. */
    public long endLsn() {
        return lsn + length;
    }

    @Override
    public String toString() {
        return "lsn=" + lsn + " " + LogRecordDescriptor.typeName(type) + " txn=" + txnId + " prev=" + prevLsn
                + " payload=" + payload.remaining();
    }
}
