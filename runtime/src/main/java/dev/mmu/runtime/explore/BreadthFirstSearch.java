package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.List;

/**
 * Exhaustive BFS: states are checked in order of distance from the initial state, so the first
 * finding of each expectation has a shortest trace. Each state gets an id in discovery order; the
 * list of states is also the queue (a state is dropped from it once expanded; the map keeps its
 * {@link TransitionSystem#key}), and parent pointers are kept in int arrays (16 bytes a state).
 * Cycles are not judged here: {@link Explorer} runs {@link FairCycleSearch} for
 * {@link Expectation.Terminates}.
 */
final class BreadthFirstSearch<S> {

    private final TransitionSystem<S> system;
    private final Monitor<S> monitor;
    private final Budget budget;
    private VisitedSet ids = new VisitedSet();
    private final List<S> states = new ArrayList<>();
    private ParentLinks links = new ParentLinks();
    private long transitions;

    private BreadthFirstSearch(TransitionSystem<S> system, Monitor<S> monitor, Budget budget) {
        this.system = system;
        this.monitor = monitor;
        this.budget = budget;
    }

    static <S> SearchReport run(TransitionSystem<S> system, Monitor<S> monitor, Budget budget) {
        return new BreadthFirstSearch<>(system, monitor, budget).run();
    }

    private SearchReport run() {
        try {
            return search();
        } catch (OutOfMemoryError e) {
            // Memory is only sampled; growing the arrays or the map in between can still fail.
            long stored = states.size();
            int deepest = stored == 0 ? 0 : links.depth(states.size() - 1);
            ids = null;
            states.clear();
            links = null;
            return new SearchReport(stored, transitions, deepest, budget.outOfMemory(), false, -1, 0);
        }
    }

    private SearchReport search() {
        budget.watch(ids);
        ids.add(system.key(system.initial()));
        add(system.initial(), -1, null);
        List<Transition<S>> successors = new ArrayList<>();
        StopReason stopped = null;
        int head = 0;
        while (head < states.size() && !monitor.allDecided()) {
            int id = head++;
            stopped = budget.tick(states.size(), transitions, links.depth(id), states.size() - head);
            if (stopped != null) {
                break;
            }
            S s = states.get(id);
            states.set(id, null); // expanded: only its key stays, in ids
            successors.clear();
            system.successors(s, successors);
            monitor.onState(s, successors.isEmpty(), () -> links.traceTo(id));
            for (Transition<S> t : successors) {
                transitions++;
                Object key = system.key(t.target());
                if (ids.add(key)) {
                    add(t.target(), id, t);
                    int added = states.size() - 1;
                    monitor.onGenerated(t.target(), () -> links.traceTo(added));
                }
            }
        }
        int maxDepth = states.isEmpty() ? 0 : links.depth(states.size() - 1);
        return new SearchReport(states.size(), transitions, maxDepth, stopped, stopped == null, -1, 0);
    }

    private void add(S s, int from, Transition<S> t) {
        states.add(s);
        links.add(from, t);
    }
}
