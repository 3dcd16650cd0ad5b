package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Partial-order reduction for the stateful depth-first search: persistent sets with sleep sets
 * (Godefroid, "Partial-Order Methods for the Verification of Concurrent Systems", 1996), from the
 * {@link Dependencies} the system declares. A state explores the steps of a persistent set of
 * threads only when that keeps every verdict:
 * <ul>
 *   <li>every step of the set is invisible (changes nothing an expectation reads), otherwise the
 *       state is fully expanded: invariants, {@code always} and {@code reachable} see the same states;</li>
 *   <li>no step of the set leads to a state on the DFS stack (the cycle proviso C3), otherwise
 *       fully expanded: no step is ignored forever around a cycle;</li>
 *   <li>terminal states (deadlocks, {@code final}) are kept by any persistent set.</li>
 * </ul>
 * Sleep sets (by thread) skip the orders already explored; not those through a state on the DFS
 * stack, which is not explored yet (a thread whose step led there does not sleep after it: else a
 * spin of one thread would hide the later steps of another). With a visited set, a state reached
 * again with a sleep set that does not cover every sleep set it was expanded with is expanded
 * again with the smaller one, so nothing a sleep set skipped is lost. {@code expect terminates}
 * is judged by {@link FairCycleSearch} on the full graph, which this does not reduce.
 *
 * <p>Under symmetry the keys are those of canonical states, so a state reached again may be a
 * permuted twin of the state expanded before, its threads numbered otherwise. A sleep set is
 * remembered in the canonical state's numbering ({@link TransitionSystem#canonicalThreads}): if
 * α takes s and β takes s' to the canonical state, and s was expanded with Z where α(Z) ⊆ β(Z'),
 * then s' = β⁻¹α(s) and β⁻¹α(Z) ⊆ Z', so s's expansion covers s' reached with Z' (the system is
 * symmetric). When twins sit in one local state several permutations fit; the system picks one,
 * and another pick can only make a state look uncovered (expanded again), never covered wrongly.
 * The stack and the cycle proviso compare canonical keys: cycles of the quotient.
 */
final class PartialOrder<S> {

    /** One state's reduced expansion: the steps to explore, and what a child's sleep set keeps. */
    static final class Reduced<S> {
        final Dependencies.Expansion<S> expansion;
        final List<Transition<S>> explore;
        /** Target keys of {@link #explore}, where the proviso computed them (else null). */
        final Object[] keys;
        final boolean reduced;
        /** Threads asleep here, and the threads whose steps were explored so far. */
        private long sleep;
        /** Threads with a step explored here that led to a state on the DFS stack. */
        private long closedCycle;

        Reduced(Dependencies.Expansion<S> expansion, List<Transition<S>> explore, Object[] keys, boolean reduced,
                long sleep) {
            this.expansion = expansion;
            this.explore = explore;
            this.keys = keys;
            this.reduced = reduced;
            this.sleep = sleep;
        }

        /** The sleep set of the state explore.get(i) leads to; call in order of i. */
        long sleepAfter(int i) {
            int t = explore.get(i).thread();
            int before = i > 0 ? explore.get(i - 1).thread() : t;
            if (before != t && (closedCycle >> before & 1) == 0) sleep |= 1L << before;
            long kept = 0;
            for (long z = sleep; z != 0; z &= z - 1) {
                int w = Long.numberOfTrailingZeros(z);
                if (w != t && expansion.independent(w, t)) kept |= 1L << w;
            }
            return kept;
        }
    }

    private final TransitionSystem<S> system;
    private final Dependencies<S> dependencies;
    /** Keys are those of canonical states: sleep sets are remembered in their numbering. */
    private final boolean symmetric;
    /** Keys of the states on the DFS stack, with how often each is there. */
    private final Map<Object, Integer> onStack = new HashMap<>();
    /** Per state expanded with a non-empty sleep set: the intersection of those sleep sets. */
    private final Map<Object, Long> sleptAt = new HashMap<>();
    private long reducedStates;


    PartialOrder(TransitionSystem<S> system, Dependencies<S> dependencies) {
        this(system, dependencies, false);
    }

    /** @param symmetric the system's keys are those of canonical states (see above) */
    PartialOrder(TransitionSystem<S> system, Dependencies<S> dependencies, boolean symmetric) {
        this.system = system;
        this.dependencies = dependencies;
        this.symmetric = symmetric;
    }

    /** How many states explored fewer steps than they have. */
    long reducedStates() {
        return reducedStates;
    }

    /** What the verdicts of a search that left steps out say (--no-por compares). */
    String note() {
        return ExploreResult.PARTIAL_ORDER_NOTE + reducedStates + " states";
    }

    void pushed(Object key) {
        onStack.merge(key, 1, Integer::sum);
    }

    void popped(Object key) {
        onStack.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
    }

    /**
     * Step i led to a state on the DFS stack, whose exploration is not done: its thread must not
     * sleep in the later steps' states (their orders through it are not covered yet).
     */
    void reached(Reduced<S> r, int i, Object key) {
        if (onStack.containsKey(key)) r.closedCycle |= 1L << r.explore.get(i).thread();
    }

    /**
     * Whether a visited state s reached again with {@code sleep} must be expanded again: some
     * step asleep at every earlier expansion is awake now. Records the new intersection if so.
     */
    boolean expandAgain(Object key, S s, long sleep) {
        Long before = sleptAt.get(key);
        if (before == null) return false;
        long keyed = keyed(s, sleep);
        if ((before & ~keyed) == 0) return false;
        remember(key, before & keyed);
        return true;
    }

    /** A first expansion of a state s reached with {@code sleep}. */
    void firstVisit(Object key, S s, long sleep) {
        remember(key, keyed(s, sleep));
    }

    /** s's sleep set in the numbering of the state its key stands for. */
    private long keyed(S s, long sleep) {
        if (!symmetric || sleep == 0) return sleep;
        int[] to = system.canonicalThreads(s);
        long keyed = 0;
        for (long z = sleep; z != 0; z &= z - 1) keyed |= 1L << to[Long.numberOfTrailingZeros(z)];
        return keyed;
    }

    private void remember(Object key, long sleep) {
        if (sleep == 0) {
            sleptAt.remove(key);
        } else {
            sleptAt.put(key, sleep);
        }
    }

    /** The steps to explore from s, reached with sleep set {@code sleep}. */
    Reduced<S> expand(S s, long sleep) {
        Dependencies.Expansion<S> x = dependencies.expand(s);
        List<Transition<S>> all = x.transitions();
        long enabled = 0;
        for (Transition<S> t : all) enabled |= 1L << t.thread();
        long best = enabled;
        Object[] bestKeys = null;
        int bestCount = count(all, enabled & ~sleep);
        for (long e = enabled; e != 0 && bestCount > 0; e &= e - 1) {
            long set = x.persistent(Long.numberOfTrailingZeros(e)) & enabled;
            int n = count(all, set & ~sleep);
            if (set == enabled || n >= bestCount || anyVisible(x, set)) continue;
            Object[] keys = keysIfNoCycle(all, set);
            if (keys == null) continue;
            best = set;
            bestKeys = keys;
            bestCount = n;
        }
        List<Transition<S>> explore = new ArrayList<>();
        List<Object> keys = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Transition<S> t = all.get(i);
            if ((best >> t.thread() & 1) != 0 && (sleep >> t.thread() & 1) == 0) {
                explore.add(t);
                keys.add(bestKeys == null ? null : bestKeys[i]);
            }
        }
        boolean reduced = explore.size() < all.size();
        if (reduced) reducedStates++;
        return new Reduced<>(x, explore, keys.toArray(), reduced, sleep);
    }

    private static <S> int count(List<Transition<S>> all, long threads) {
        int n = 0;
        for (Transition<S> t : all) if ((threads >> t.thread() & 1) != 0) n++;
        return n;
    }

    private static <S> boolean anyVisible(Dependencies.Expansion<S> x, long threads) {
        for (long z = threads; z != 0; z &= z - 1) {
            if (x.visible(Long.numberOfTrailingZeros(z))) return true;
        }
        return false;
    }

    /** The target keys of every step (those of the set's threads filled), or null if one is on the stack. */
    private Object[] keysIfNoCycle(List<Transition<S>> all, long threads) {
        Object[] keys = new Object[all.size()];
        for (int i = 0; i < all.size(); i++) {
            Transition<S> t = all.get(i);
            if ((threads >> t.thread() & 1) == 0) continue;
            keys[i] = system.key(t.target());
            if (onStack.containsKey(keys[i])) return null;
        }
        return keys;
    }
}
