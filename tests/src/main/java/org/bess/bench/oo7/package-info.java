/**
 * The OO7 benchmark (Carey, DeWitt, Naughton 1993) on bess and its peers: {@link org.bess.bench.oo7.Oo7Generator}
 * makes a module from the published parameters ({@link org.bess.bench.oo7.Oo7Config}); {@link
 * org.bess.bench.oo7.HeapOo7} (plain heap objects), {@link org.bess.bench.oo7.LmdbOo7} (objects serialized under OIDs)
 * and {@link org.bess.bench.oo7.BessOo7} (the public client API) hold it behind {@link org.bess.bench.oo7.Oo7Store};
 * {@link org.bess.bench.oo7.Oo7Benchmark} (hot) and {@link org.bess.bench.oo7.Oo7ColdBenchmark} (cold) measure the
 * operations of {@link org.bess.bench.oo7.Oo7Operation}. See {@code docs/bench/oo7.md}. Setup and benchmark threads
 * only; nothing here is thread safe.
 */
package org.bess.bench.oo7;
