package org.bess.bench;

import org.openjdk.jmh.annotations.Threads;

/** Durable commits with 16 committer threads (see {@link DurableCommitPeers}). */
@Threads(16)
public class DurableCommit16Benchmark extends MultiCommitterBenchmark {}
