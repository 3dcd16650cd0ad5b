package dev.mmu.runtime.explore;

/** The answer for one expectation. UNKNOWN means a budget ran out or the search was sampled. */
public enum Verdict {
    PASS,
    FAIL,
    UNKNOWN
}
