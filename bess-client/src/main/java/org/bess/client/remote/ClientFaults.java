package org.bess.client.remote;

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
