package org.bess.bench;

import org.openjdk.jmh.annotations.Threads;

/** Durable commits with 1 committer thread (see {@link DurableCommitPeers} and {@link DurableCommitWithBess}). */
@Threads(1)
public class DurableCommit01Benchmark extends DurableCommitWithBess {}
