package dev.mmu.runtime.explore;

import java.util.List;

/**
 * What a system tells partial-order reduction ({@link PartialOrder}) about a state: which steps
 * commute, which are visible to the expectations, and which sets of threads are persistent.
 * Threads are named by bit sets (at most 63 threads). Every answer may over-approximate
 * dependence: "dependent", "visible" and a larger persistent set are always safe.
 */
public interface Dependencies<S> {

    /** The state's transitions (exactly as {@link TransitionSystem#successors}) and what they touch. */
    Expansion<S> expand(S s);

    /** One state's steps; thread numbers are those of {@link Transition#thread}. */
    interface Expansion<S> {

        List<Transition<S>> transitions();

        /**
         * Whether every step of thread a here commutes with every step of thread b here: both
         * orders are enabled and reach the same state, and neither enables or disables the other.
         */
        boolean independent(int a, int b);

        /** Whether some step of the thread here may change what an expectation reads. */
        boolean visible(int thread);

        /**
         * A set of threads containing {@code seed} whose enabled steps here form a persistent
         * set: no sequence of steps of the other threads from here conflicts with any of them, or
         * enables a step of a thread in the set that is disabled here.
         */
        long persistent(int seed);
    }
}
