package dev.mmu.runtime.explore;

/** A finite transition system. S must implement equals/hashCode (visited set). */
public interface TransitionSystem<S> {
    S initial();

    /** Appends the transitions enabled in s in a fixed, deterministic order. None = terminal state. */
    void successors(S s, java.util.List<Transition<S>> out);

    /** For a terminal state: true if every thread finished; false means stuck (deadlock). */
    boolean finished(S s);

    int threadCount();

    String threadName(int thread);
}
