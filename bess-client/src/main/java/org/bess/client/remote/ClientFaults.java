package org.bess.client.remote;

import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.bess.client.frame.FrameFaultHandler;
import org.bess.client.frame.VirtualFrames;

/** The slow path of a client's virtual frames: requests to the server, plus what a mode does at transaction ends. */
abstract class ClientFaults implements FrameFaultHandler {
    /** The session the requests go through. */
    final RemoteSession session;
    /** The frames this handler serves. */
    VirtualFrames frames;
    /** The session is closing: frames are dropped locally, the server drops its side when the socket closes. */
    boolean closing;

    ClientFaults(final RemoteSession session) {
        this.session = session;
    }

    void frames(final VirtualFrames f) {
        this.frames = f;
    }

    void closing() {
        closing = true;
    }

    /** Before the commit request: copy-on-access ships its written pages. */
    void beforeCommit() {}

    /** Before a request that changes pages on the server: copy-on-access ships its written pages. */
    void beforeServerChange() {}

    /** After a request that changed pages on the server: copy-on-access drops its copies. */
    void afterServerChange() {}

    /**
     * The transaction ended.
     *
     * @param committed whether it committed (else the server rolled it back).
     */
    void transactionEnded(final boolean committed) {}

    /**
     * The used slots of a slotted segment read by the client itself, without a request: shared-memory mode decodes
     * them in place from the server's cache frame, under the page's S lock taken by the lock fast path and with the
     * frame kept from replacement until the transaction ends. Null sends the caller to {@code SEGMENT_SLOTS}.
     *
     * @param window the database's root window (where its slotted segments are).
     * @param segPage the segment's page.
     * @return the slot array (slot 0 first, the used slots only), valid until the transaction ends; or null.
     */
    UnsafeBuffer localSlots(final int window, final long segPage) {
        return null;
    }

    /** The next segment of the chain (0: the last) of the segment {@link #localSlots} read last, from its header. */
    long localNext;

    /** A {@code SEGMENT_SLOTS} reply named the segment page's lock resource key (0: none). */
    void learnSlotKey(final int window, final long segPage, final long key) {}

    /**
     * Appends to a {@code SEGMENT_SLOTS_MANY} request the pages this mode predicts the transaction will read next
     * (count, then window, page and the digest of the copy each), so that one round trip locks them with the segments.
     *
     * @return the pages appended; 0 when none (nothing appended).
     */
    int appendPredictedPages(final Wire w) {
        return 0;
    }

    /**
     * Reads the part of a {@code SEGMENT_SLOTS_MANY} reply that answers the pages {@link #appendPredictedPages}
     * appended (nothing left: an older server, no page locked).
     *
     * @param n the pages appended (more than 0).
     */
    void predictedPagesReply(final ByteBuffer r, final int n) {}

    /** The server logged the recovery buffer early and the written frames went read-only again. */
    void writtenProtected() {}

    /** Releases what the handler holds (files, mappings). */
    abstract void close();

    @Override
    public void lockForRead(final int window, final long pageNo) {
        session.call(session.request(Wire.LOCK_FOR_READ).putInt(window).putLong(pageNo));
    }

    @Override
    public void beforeFirstWrite(final int window, final long pageNo) {
        session.call(session.request(Wire.BEFORE_FIRST_WRITE).putInt(window).putLong(pageNo));
    }
}
