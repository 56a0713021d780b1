package org.bess.bench;

import org.openjdk.jmh.annotations.Threads;

/** Durable commits with 8 committer threads (see {@link DurableCommitPeers}). */
@Threads(8)
public class DurableCommit08Benchmark extends MultiCommitterBenchmark {}
