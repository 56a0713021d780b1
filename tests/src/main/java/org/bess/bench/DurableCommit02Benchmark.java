package org.bess.bench;

import org.openjdk.jmh.annotations.Threads;

/** Durable commits with 2 committer threads (see {@link DurableCommitPeers}). */
@Threads(2)
public class DurableCommit02Benchmark extends MultiCommitterBenchmark {}
