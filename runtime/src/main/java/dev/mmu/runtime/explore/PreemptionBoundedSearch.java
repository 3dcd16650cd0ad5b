package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CHESS-style preemption bounding (Musuvathi and Qadeer, PLDI 2007): a DFS that allows at most
 * {@code bound} preemptions per path, for bound = 0, 1, .. K in turn. Most concurrency bugs need
 * only one or two preemptions, so small bounds find them in a fraction of the state space.
 *
 * <p>A preemption is a switch to another thread while the thread that ran last still has an
 * enabled transition; another choice of the same thread is not one. A search node is a state
 * with the thread that ran last; it is explored again only when reached with fewer preemptions.
 * A bound that prunes nothing has covered the whole state space, and deepening stops.
 */
final class PreemptionBoundedSearch<S> {

    /** The preemption count depends on who ran last, so that is part of the node. */
    private record Node(Object key, int lastThread) {}

    private static final class Frame<S> {
        final S state;
        final int lastThread;
        final int preemptions;
        final Transition<S> incoming;
        final List<Transition<S>> successors;
        final boolean lastThreadEnabled;
        int next;

        Frame(S state, int lastThread, int preemptions, Transition<S> incoming, List<Transition<S>> successors) {
            this.state = state;
            this.lastThread = lastThread;
            this.preemptions = preemptions;
            this.incoming = incoming;
            this.successors = successors;
            this.lastThreadEnabled = successors.stream().anyMatch(t -> t.thread() == lastThread);
        }
    }

    private final TransitionSystem<S> system;
    private final Monitor<S> monitor;
    private final Budget budget;
    /** Keys are canonical (symmetry): the thread that ran last is named as in the canonical state. */
    private final boolean symmetric;
    private final List<Frame<S>> stack = new ArrayList<>();
    private final Map<S, Integer> onStack = new HashMap<>();
    private Map<Node, Integer> fewestPreemptions = new HashMap<>();
    private long transitions;
    private int maxDepth;
    private long maxNodes;

    private PreemptionBoundedSearch(TransitionSystem<S> system, Monitor<S> monitor, Budget budget,
            boolean symmetric) {
        this.system = system;
        this.monitor = monitor;
        this.budget = budget;
        this.symmetric = symmetric;
    }

    /** With symmetric: the system's keys are canonical, and the last thread is mapped with them. */
    static <S> SearchReport run(TransitionSystem<S> system, Monitor<S> monitor, Budget budget, int maxBound,
            boolean symmetric) {
        return new PreemptionBoundedSearch<>(system, monitor, budget, symmetric).deepen(maxBound);
    }

    private SearchReport deepen(int maxBound) {
        int completed = -1;
        boolean wholeSpace = false;
        StopReason stopped = null;
        for (int bound = 0; bound <= maxBound && !monitor.allDecided(); bound++) {
            monitor.context("found at preemption bound " + bound);
            fewestPreemptions = new HashMap<>();
            stack.clear();
            onStack.clear();
            boolean pruned;
            try {
                pruned = explore(bound);
            } catch (OutOfMemoryError e) {
                // Memory is only sampled; a large allocation in between can still fail.
                maxNodes = Math.max(maxNodes, fewestPreemptions.size());
                fewestPreemptions = new HashMap<>();
                stack.clear();
                onStack.clear();
                budget.outOfMemory();
                pruned = true;
            }
            stopped = budget.stopped();
            maxNodes = Math.max(maxNodes, fewestPreemptions.size());
            if (stopped != null) {
                break;
            }
            completed = bound;
            if (!pruned) {
                wholeSpace = true;
                break;
            }
        }
        boolean decided = stopped == null && monitor.allDecided();
        return new SearchReport(maxNodes, transitions, maxDepth, stopped, wholeSpace || decided, completed, 0);
    }

    /** One DFS with at most {@code bound} preemptions; true if the bound cut off some transition. */
    private boolean explore(int bound) {
        boolean pruned = false;
        S initial = system.initial();
        fewestPreemptions.put(new Node(system.key(initial), -1), 0);
        push(initial, -1, 0, null);
        while (!stack.isEmpty() && !monitor.allDecided()) {
            if (budget.tick(fewestPreemptions.size(), transitions, stack.size() - 1, stack.size()) != null) {
                return pruned;
            }
            Frame<S> top = stack.get(stack.size() - 1);
            if (top.next == top.successors.size()) {
                stack.remove(stack.size() - 1);
                onStack.remove(top.state);
                continue;
            }
            Transition<S> t = top.successors.get(top.next++);
            transitions++;
            boolean preempts = top.lastThread >= 0 && t.thread() != top.lastThread && top.lastThreadEnabled;
            int preemptions = top.preemptions + (preempts ? 1 : 0);
            if (preemptions > bound) {
                pruned = true;
                continue;
            }
            Integer at = onStack.get(t.target());
            if (at != null) {
                // Never push a state that is already on the stack: that would loop forever. Cycles
                // are judged by FairCycleSearch.
                continue;
            }
            // Under symmetry the key is the orbit's, and the last thread is named as in it.
            Node node = new Node(system.key(t.target()),
                    symmetric ? system.canonicalThreads(t.target())[t.thread()] : t.thread());
            Integer best = fewestPreemptions.get(node);
            if (best == null || preemptions < best) {
                fewestPreemptions.put(node, preemptions);
                push(t.target(), t.thread(), preemptions, t);
            }
        }
        return pruned;
    }

    private void push(S s, int lastThread, int preemptions, Transition<S> incoming) {
        List<Transition<S>> successors = new ArrayList<>();
        system.successors(s, successors);
        stack.add(new Frame<>(s, lastThread, preemptions, incoming, successors));
        onStack.put(s, stack.size() - 1);
        maxDepth = Math.max(maxDepth, stack.size() - 1);
        monitor.onState(s, successors.isEmpty(), () -> traceTo(stack.size() - 1));
    }

    private Schedule traceTo(int index) {
        List<Schedule.Step> steps = new ArrayList<>(index);
        for (int i = 1; i <= index; i++) {
            steps.add(stack.get(i).incoming.step());
        }
        return new Schedule(steps);
    }
}
