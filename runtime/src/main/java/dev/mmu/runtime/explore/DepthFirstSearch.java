package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.List;

/**
 * Exhaustive DFS with a visited set, iterative (an explicit stack, so that a deep model cannot
 * overflow the Java stack). The stack is the trace, so no parent pointers are stored. Cycles are
 * not judged here: {@link FairCycleSearch} looks for the fair ones {@link Expectation.Terminates}
 * is about.
 */
final class DepthFirstSearch<S> {

    /** One stack entry: a state, its successors and how far we got through them. */
    private static final class Frame<S> {
        final S state;
        final Transition<S> incoming;
        List<Transition<S>> successors;
        int next;
        /** Under partial-order reduction: the state's key and its reduced expansion; else null. */
        Object key;
        PartialOrder.Reduced<S> reduced;

        Frame(S state, Transition<S> incoming, List<Transition<S>> successors) {
            this.state = state;
            this.incoming = incoming;
            this.successors = successors;
        }
    }

    private final TransitionSystem<S> system;
    private final Monitor<S> monitor;
    private final Budget budget;
    /** Null: every state explores all its steps. */
    private final PartialOrder<S> partialOrder;
    private VisitedSet visited = new VisitedSet();
    private final List<Frame<S>> stack = new ArrayList<>();
    private long transitions;
    private int maxDepth;

    private DepthFirstSearch(TransitionSystem<S> system, Monitor<S> monitor, Budget budget,
            PartialOrder<S> partialOrder) {
        this.system = system;
        this.monitor = monitor;
        this.budget = budget;
        this.partialOrder = partialOrder;
    }

    static <S> SearchReport run(TransitionSystem<S> system, Monitor<S> monitor, Budget budget) {
        return new DepthFirstSearch<>(system, monitor, budget, null).run();
    }

    /** With partial-order reduction. */
    static <S> SearchReport run(TransitionSystem<S> system, Monitor<S> monitor, Budget budget,
            PartialOrder<S> partialOrder) {
        return new DepthFirstSearch<>(system, monitor, budget, partialOrder).run();
    }

    private SearchReport run() {
        S initial = system.initial();
        budget.watch(visited);
        Object key = system.key(initial);
        visited.add(key);
        push(initial, null, key, 0, true);
        try {
            return search();
        } catch (OutOfMemoryError e) {
            // Memory is only sampled; a large allocation in between can still fail.
            long states = visited.size();
            visited = null;
            stack.clear();
            return new SearchReport(states, transitions, maxDepth, budget.outOfMemory(), false, -1, 0);
        }
    }

    private SearchReport search() {
        StopReason stopped = null;
        while (!stack.isEmpty() && !monitor.allDecided()) {
            stopped = budget.tick(visited.size(), transitions, stack.size() - 1, stack.size());
            if (stopped != null) {
                break;
            }
            Frame<S> top = stack.get(stack.size() - 1);
            if (top.next == top.successors.size()) {
                stack.remove(stack.size() - 1);
                if (partialOrder != null) partialOrder.popped(top.key);
                continue;
            }
            int i = top.next++;
            Transition<S> t = top.successors.get(i);
            transitions++;
            if (partialOrder == null) {
                if (visited.add(system.key(t.target()))) {
                    push(t.target(), t, null, 0, true);
                }
                continue;
            }
            Object key = top.reduced.keys[i] != null ? top.reduced.keys[i] : system.key(t.target());
            long sleep = top.reduced.sleepAfter(i);
            if (visited.add(key)) {
                push(t.target(), t, key, sleep, true);
                continue;
            }
            partialOrder.reached(top.reduced, i, key);
            if (partialOrder.expandAgain(key, t.target(), sleep)) {
                push(t.target(), t, key, sleep, false);
            }
        }
        return new SearchReport(visited.size(), transitions, maxDepth, stopped, stopped == null, -1, 0);
    }

    /**
     * Pushes s; {@code first}: its first visit, which the monitor checks (a state expanded again
     * with a smaller sleep set was checked already).
     */
    private void push(S s, Transition<S> incoming, Object key, long sleep, boolean first) {
        boolean terminal;
        Frame<S> frame;
        if (partialOrder == null) {
            List<Transition<S>> successors = new ArrayList<>();
            system.successors(s, successors);
            frame = new Frame<>(s, incoming, successors);
            terminal = successors.isEmpty();
        } else {
            if (first) partialOrder.firstVisit(key, s, sleep);
            partialOrder.pushed(key); // before expanding: a step back to s itself closes a cycle too
            PartialOrder.Reduced<S> reduced = partialOrder.expand(s, sleep);
            frame = new Frame<>(s, incoming, reduced.explore);
            frame.key = key;
            frame.reduced = reduced;
            terminal = reduced.expansion.transitions().isEmpty();
        }
        stack.add(frame);
        maxDepth = Math.max(maxDepth, stack.size() - 1);
        if (first) monitor.onState(s, terminal, () -> traceTo(stack.size() - 1));
    }

    /** The steps from the initial state to the state at stack index {@code index}. */
    private Schedule traceTo(int index) {
        List<Schedule.Step> steps = new ArrayList<>(index);
        for (int i = 1; i <= index; i++) {
            steps.add(stack.get(i).incoming.step());
        }
        return new Schedule(steps);
    }
}
