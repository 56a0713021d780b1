package org.bess.bench;

import org.openjdk.jmh.annotations.Threads;

/** Durable commits with 4 committer threads (see {@link DurableCommitPeers}). */
@Threads(4)
public class DurableCommit04Benchmark extends MultiCommitterBenchmark {}
