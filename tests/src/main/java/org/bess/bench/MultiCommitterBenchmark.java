package org.bess.bench;

/**
 * The base of the durable-commit benchmarks with 2 to 16 committers: each committer thread has its own session on one
 * engine ({@link BessCommitters}), beside the peers.
 */
public abstract class MultiCommitterBenchmark extends DurableCommitWithBess {}
