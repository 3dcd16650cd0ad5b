package dev.mmu.runtime.explore;

import java.util.List;

/**
 * A finite transition system: the only thing the explorer knows about a model. Keeping the
 * explorer behind this interface lets it be tested on toy systems and reused for any model.
 *
 * <p>{@code S} must implement {@code equals} and {@code hashCode}; the visited sets store
 * {@link #key} of each state.
 */
public interface TransitionSystem<S> {

    /** The state every schedule starts from. */
    S initial();

    /**
     * Appends the transitions enabled in {@code s} in a fixed, deterministic order. None means
     * {@code s} is terminal. Within one state the pairs (thread, choice) must be distinct, since a
     * {@link Schedule} names a step by that pair.
     */
    void successors(S s, List<Transition<S>> out);

    /** For a terminal state: true if every thread finished; false means stuck (deadlock). */
    boolean finished(S s);

    /** Number of threads; thread ids are 0 .. threadCount() - 1. */
    int threadCount();

    /** A name for reports, e.g. "vcpu0" or "nx_recovery". */
    String threadName(int thread);

    /**
     * What the visited sets store for {@code s}: any value with {@code equals}/{@code hashCode}
     * such that {@code key(a).equals(key(b))} exactly when {@code a.equals(b)} (for example a
     * {@link PackedKey} of a compact encoding). An inexact key would merge distinct states and
     * could change verdicts. The default, the state itself, is always exact.
     */
    default Object key(S s) {
        return s;
    }

    /**
     * For partial-order reduction ({@link ExploreOptions#partialOrder}): which steps commute and
     * which are visible, or null (the default) when the system cannot tell; then every state
     * explores every step.
     */
    default Dependencies<S> dependencies() {
        return null;
    }

    /**
     * For symmetry reduction ({@link ExploreOptions#symmetry}): a canonical representative of the
     * orbit of {@code s} under a group of permutations that map transitions to transitions (for
     * example threads with identical programs, sorted). The explorer keys its visited sets on it
     * but keeps exploring the real states, so traces stay real schedules. Expectations must be
     * invariant under the same permutations. Identity is always safe.
     */
    default S canonical(S s) {
        return s;
    }

    /**
     * Where {@link #canonical} takes the threads of {@code s}: thread t of {@code s} plays thread
     * {@code [t]}'s part in {@code canonical(s)}; null (the default) if the system cannot tell.
     * Preemption bounding keys a node (state, thread that ran last) on its orbit with it, and
     * partial-order reduction renumbers sleep sets with it; without it, preemption bounding keeps
     * exact keys and partial-order reduction is not applied under symmetry. One method for every
     * thread, so that a wrapper cannot map one thread otherwise than the others.
     */
    default int[] canonicalThreads(S s) {
        return null;
    }

    /**
     * How many kernel steps (ops) transition {@code t} from {@code s} ran: more than one where a
     * step runs the ops after its first that no other thread can tell apart. 1 (the default) when
     * the system cannot tell. {@link TraceReduction} measures traces in them.
     */
    default int width(S s, Transition<S> t) {
        return 1;
    }
}
