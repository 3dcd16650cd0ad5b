package dev.mmu.runtime.explore;

import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * What must hold of a transition system. Each kind has its own verdict rule (see
 * {@link Explorer}); {@code text} is the expectation as the user wrote it, used in reports.
 */
public sealed interface Expectation<S> {

    String text();

    /**
     * Fails if a reachable state satisfies {@code bad}; {@code always e} is {@code Never(!e)}. A
     * {@code watch} (lockdep, always on as with CONFIG_PROVE_LOCKING) is checked in every state a
     * search visits but keeps no search going once the other expectations are decided: it fails
     * if it is found there and passes otherwise.
     */
    record Never<S>(String text, StatePredicate<S> bad, boolean watch) implements Expectation<S> {
        public Never(String text, StatePredicate<S> bad) {
            this(text, bad, false);
        }
    }

    /** Every terminal state must satisfy {@code ok}. */
    record Final<S>(String text, Predicate<S> ok) implements Expectation<S> {}

    /** Passes iff some reachable state satisfies {@code goal}; the witness trace is kept. */
    record Reachable<S>(String text, Predicate<S> goal) implements Expectation<S> {}

    /**
     * A regression test for a buggy variant: passes iff some reachable state is bad (the trace is
     * the evidence); fails if exploration completed without one.
     */
    record Violation<S>(String text, StatePredicate<S> bad) implements Expectation<S> {}

    /** Fails if the maximum of {@code metric} over reachable states exceeds {@code bound}. */
    record MaxMetric<S>(String text, ToLongFunction<S> metric, long bound) implements Expectation<S> {}

    /**
     * No livelock under weak fairness: fails if the reachable state graph has a weakly fair cycle,
     * one on which every thread that is enabled in all of its states takes at least one step (a
     * thread that spins only because another, continuously enabled thread never runs is not a
     * livelock). The counterexample is a lasso: a stem, then the cycle. With
     * {@code livelockExpected} (a regression test of a livelock) it is the other way round: the
     * lasso is the evidence that PASSes, and a complete search without one FAILs.
     */
    record Terminates<S>(String text, boolean livelockExpected) implements Expectation<S> {
        public Terminates(String text) {
            this(text, false);
        }
    }

    /** Fails if a terminal state is not {@link TransitionSystem#finished finished} (deadlock). */
    record NoDeadlock<S>(String text) implements Expectation<S> {}
}
