package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sampled runs from the initial state, each step picked by a {@link RunScheduler}. For state
 * spaces too big to exhaust: a run can find a bug (or a witness), but no number of runs proves
 * absence, so {@link Explorer} reports UNKNOWN unless {@link #closed} shows the runs happened to
 * visit every reachable state. A run that revisits one of its own states has closed a cycle.
 */
final class RandomSearch<S> {

    private final TransitionSystem<S> system;
    private final Monitor<S> monitor;
    private final Budget budget;
    private final long maxStates;
    /** Distinct states seen, for coverage; stops growing at maxStates. */
    private final Set<S> seen = new HashSet<>();
    private boolean seenOverflowed;
    private long transitions;
    private int longestRun;

    private RandomSearch(TransitionSystem<S> system, Monitor<S> monitor, Budget budget, long maxStates) {
        this.system = system;
        this.monitor = monitor;
        this.budget = budget;
        this.maxStates = maxStates;
    }

    static <S> RandomSearch<S> create(TransitionSystem<S> system, Monitor<S> monitor, Budget budget, long maxStates) {
        return new RandomSearch<>(system, monitor, budget, maxStates);
    }

    /** Runs up to {@code runs} runs of at most {@code maxSteps} steps each. */
    SearchReport run(RunScheduler<S> scheduler, int runs, int maxSteps, long seed) {
        int completed = 0;
        StopReason stopped = null;
        for (int r = 0; r < runs && stopped == null && !monitor.allDecided(); r++) {
            monitor.context("found by " + scheduler.name() + " run " + r + ", seed " + seed);
            // PCT spreads its change points over the expected run length: the longest run so far.
            scheduler.startRun(longestRun > 0 ? longestRun : maxSteps);
            try {
                stopped = oneRun(scheduler, maxSteps);
            } catch (OutOfMemoryError e) {
                // Only the coverage set grows without bound; give it up.
                seen.clear();
                seenOverflowed = true;
                stopped = budget.outOfMemory();
            }
            if (stopped == null) {
                completed++;
            }
        }
        return new SearchReport(seen.size(), transitions, longestRun, stopped, false, -1, completed);
    }

    private StopReason oneRun(RunScheduler<S> scheduler, int maxSteps) {
        List<Schedule.Step> steps = new ArrayList<>();
        Map<S, Integer> positionInRun = new HashMap<>();
        List<Transition<S>> successors = new ArrayList<>();
        S s = system.initial();
        while (true) {
            if (seen.size() < maxStates) {
                seen.add(s);
            } else if (!seen.contains(s)) {
                seenOverflowed = true;
            }
            successors.clear();
            system.successors(s, successors);
            monitor.onState(s, successors.isEmpty(), () -> new Schedule(steps));
            StopReason stopped = budget.tick(seen.size(), transitions, steps.size(), 0);
            if (stopped != null) {
                return stopped;
            }
            if (successors.isEmpty() || steps.size() >= maxSteps) {
                longestRun = Math.max(longestRun, steps.size());
                return null;
            }
            boolean cycles = monitor.wantsCycles();
            if (cycles) {
                positionInRun.putIfAbsent(s, steps.size());
            }
            Transition<S> t = scheduler.pick(successors);
            steps.add(t.step());
            transitions++;
            Integer at = cycles ? positionInRun.get(t.target()) : null;
            if (at != null) {
                int entry = at;
                monitor.onCycle(t.target(), () -> new Schedule(steps.subList(0, entry)),
                        () -> new Schedule(steps.subList(entry, steps.size())));
            }
            s = t.target();
        }
    }

    /**
     * True if the states seen are closed under successors: then they are exactly the reachable
     * states, and an exhaustive search over them is cheap and gives real verdicts.
     */
    boolean closed() {
        if (seenOverflowed) {
            return false;
        }
        List<Transition<S>> successors = new ArrayList<>();
        for (S s : seen) {
            successors.clear();
            system.successors(s, successors);
            for (Transition<S> t : successors) {
                if (!seen.contains(t.target())) {
                    return false;
                }
            }
        }
        return true;
    }
}
