package dev.mmu.runtime.explore;

/**
 * Hash compaction (Wolper and Leroy, 1993): the visited sets store a 64-bit fingerprint of each
 * state's key instead of the key. Opt-in ({@link ExploreOptions#hashCompaction}) because it is
 * probabilistic: two reachable states with one fingerprint are merged, and what lies behind the
 * second is not explored. With n states the chance of any collision is about n^2 / 2^65
 * (1e-7 for 2 million states). A key without bytes of its own falls back on its 32-bit hashCode,
 * which is much weaker; the MMU model's keys are {@link PackedKey}s.
 */
final class Fingerprints<S> extends ForwardingSystem<S> {
    static final String PROBABILISTIC = "probabilistic (a fingerprint collision could hide states)";
    static final String NOTE = "hash compaction: " + PROBABILISTIC;

    Fingerprints(TransitionSystem<S> inner) {
        super(inner);
    }

    /** A 64-bit finaliser (SplitMix64), so that close inputs give unrelated fingerprints. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public Object key(S s) {
        Object k = inner.key(s);
        return k instanceof PackedKey p ? p.fingerprint() : mix(k.hashCode());
    }
}
