package dev.mmu.runtime.explore;

<<<<<<< HEAD
/** Predicate on a state; `terminal` tells whether the state has no successors. */
=======
/** Predicate on a state; {@code terminal} tells whether the state has no successors. */
>>>>>>> explore
@FunctionalInterface
public interface StatePredicate<S> {
    boolean test(S state, boolean terminal);
}
