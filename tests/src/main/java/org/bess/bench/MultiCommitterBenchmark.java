package org.bess.bench;

/**
 * The base of the durable-commit benchmarks with 2 to 16 committers. The engine has one session today, so they run the
 * peers only; when {@code BessServer.openSession} lands, this class extends {@link DurableCommitWithBess} instead (and
 * {@link BessCommitters} opens a session per thread), which gives them {@code bessCommit}: the one-line switch.
 */
public abstract class MultiCommitterBenchmark extends DurableCommitPeers {}
