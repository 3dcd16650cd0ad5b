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

        Frame(S state, Transition<S> incoming, List<Transition<S>> successors) {
            this.state = state;
            this.incoming = incoming;
            this.successors = successors;
        }
    }

    private final TransitionSystem<S> system;
    private final Monitor<S> monitor;
    private final Budget budget;
    private VisitedSet visited = new VisitedSet();
    private final List<Frame<S>> stack = new ArrayList<>();
    private long transitions;
    private int maxDepth;

    private DepthFirstSearch(TransitionSystem<S> system, Monitor<S> monitor, Budget budget) {
        this.system = system;
        this.monitor = monitor;
        this.budget = budget;
    }

    static <S> SearchReport run(TransitionSystem<S> system, Monitor<S> monitor, Budget budget) {
        return new DepthFirstSearch<>(system, monitor, budget).run();
    }

    private SearchReport run() {
        S initial = system.initial();
        budget.watch(visited);
        visited.add(system.key(initial));
        push(initial, null);
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
                continue;
            }
            Transition<S> t = top.successors.get(top.next++);
            transitions++;
            if (visited.add(system.key(t.target()))) {
                push(t.target(), t);
            }
        }
        return new SearchReport(visited.size(), transitions, maxDepth, stopped, stopped == null, -1, 0);
    }

    private void push(S s, Transition<S> incoming) {
        List<Transition<S>> successors = new ArrayList<>();
        system.successors(s, successors);
        stack.add(new Frame<>(s, incoming, successors));
        maxDepth = Math.max(maxDepth, stack.size() - 1);
        monitor.onState(s, successors.isEmpty(), () -> traceTo(stack.size() - 1));
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
