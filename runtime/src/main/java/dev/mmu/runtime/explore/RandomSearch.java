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
 * visit every reachable state. A run that revisits one of its own states has closed a cycle; it is
 * reported for {@link Expectation.Terminates} only if it is weakly fair: every thread takes a step
 * in it or is disabled in one of its states (kept per thread as the last position where it
 * stepped and where it was disabled, so the check costs O(threads)).
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
        int threads = system.threadCount();
        // Last step index at which each thread stepped, last position at which it was disabled.
        int[] lastStep = new int[threads];
        int[] lastDisabled = new int[threads];
        java.util.Arrays.fill(lastStep, -1);
        java.util.Arrays.fill(lastDisabled, -1);
        boolean[] enabled = new boolean[threads];
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
                java.util.Arrays.fill(enabled, false);
                for (Transition<S> e : successors) {
                    enabled[e.thread()] = true;
                }
                for (int thread = 0; thread < threads; thread++) {
                    if (!enabled[thread]) {
                        lastDisabled[thread] = steps.size();
                    }
                }
            }
            Transition<S> t = scheduler.pick(successors);
            lastStep[t.thread()] = steps.size();
            steps.add(t.step());
            transitions++;
            Integer at = cycles ? positionInRun.get(t.target()) : null;
            if (at != null && fair(at, lastStep, lastDisabled)) {
                int entry = at;
                boolean[] stepped = new boolean[threads];
                for (int thread = 0; thread < threads; thread++) {
                    stepped[thread] = lastStep[thread] >= entry;
                }
                monitor.onCycle(t.target(), () -> new Schedule(steps.subList(0, entry)),
                        () -> new Schedule(steps.subList(entry, steps.size())),
                        FairCycleSearch.describe(system, stepped));
            }
            s = t.target();
        }
    }

    /** Whether the run's cycle from position {@code entry} to now is weakly fair. */
    private static boolean fair(int entry, int[] lastStep, int[] lastDisabled) {
        for (int thread = 0; thread < lastStep.length; thread++) {
            if (lastStep[thread] < entry && lastDisabled[thread] < entry) {
                return false;
            }
        }
        return true;
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
