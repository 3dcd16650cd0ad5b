package dev.mmu.runtime.explore;

import java.util.List;

/** Picks the next transition of a sampled run: uniformly at random, or by PCT priorities. */
interface RunScheduler<S> {

    /** Called before each run, so that PCT can draw new priorities and change points. */
    void startRun(int expectedLength);

    /** Picks one of {@code enabled}, which is not empty. */
    Transition<S> pick(List<Transition<S>> enabled);

    /** For notes: "random" or "PCT depth 3". */
    String name();
}
