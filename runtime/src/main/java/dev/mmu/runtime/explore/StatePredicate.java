package dev.mmu.runtime.explore;

/** Predicate on a state; {@code terminal} tells whether the state has no successors. */
@FunctionalInterface
public interface StatePredicate<S> {
    boolean test(S state, boolean terminal);
}
