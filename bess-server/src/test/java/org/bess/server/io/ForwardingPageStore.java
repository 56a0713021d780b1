package org.bess.server.io;

import java.nio.file.Path;

/** A page store that passes every call to another: tests override the calls they watch, gate or fail. */
public class ForwardingPageStore implements PageStore {
    /** The store calls go to. */
    protected final PageStore delegate;

    public ForwardingPageStore(final PageStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public Path path() {
        return delegate.path();
    }

    @Override
    public long pageCount() {
        return delegate.pageCount();
    }

    @Override
    public boolean isDevice() {
        return delegate.isDevice();
    }

    @Override
    public void read(final long pageNo, final long address) {
        delegate.read(pageNo, address);
    }

    @Override
    public void read(final long pageNo, final int count, final long address) {
        delegate.read(pageNo, count, address);
    }

    @Override
    public void write(final long pageNo, final long address) {
        delegate.write(pageNo, address);
    }

    @Override
    public void write(final long pageNo, final int count, final long address) {
        delegate.write(pageNo, count, address);
    }

    @Override
    public void force() {
        delegate.force();
    }

    @Override
    public void grow(final long pageCount) {
        delegate.grow(pageCount);
    }

    @Override
    public void truncate(final long pageCount) {
        delegate.truncate(pageCount);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
