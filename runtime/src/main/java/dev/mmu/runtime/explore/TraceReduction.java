package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.List;

/**
 * Shortens a trace the breadth-first search found, counted in kernel steps. The search counts
 * steps of the explored system, where a step may run several ops ({@link TransitionSystem#width}),
 * and a step of a thread that takes no part can let another thread's ops run as fewer steps (a
 * vCPU's TLB hit, once done, no longer keeps a zap's SPTE writes apart): the fewest steps is then
 * not the fewest kernel steps, and the user reads a step that has nothing to do with the bug.
 *
 * <p>The trace is spread into one entry per op, (thread, choice), in the order they ran. First
 * every op of one thread is left out (a thread at a time: a trace without a thread that takes no
 * part is preferred), then each thread's last op, again while that goes, each kept out when the
 * rest still replays to the goal in no more kernel steps. That is a few replays of the trace per
 * thread, not a search: the fewest kernel steps among these candidates. Sound by construction: a
 * candidate is replayed step by step from the initial state (a thread's entries already run by an
 * earlier step of it are skipped) and kept only if it reaches a state the goal accepts, so the
 * verdict never changes and the trace replays.
 */
final class TraceReduction<S> {
    private final TransitionSystem<S> system;
    private final StatePredicate<S> goal;

    /** A replayed candidate: its schedule, the kernel steps it ran and the state it reached. */
    record Replayed<S>(Schedule schedule, int width, S state) {}

    private TraceReduction(TransitionSystem<S> system, StatePredicate<S> goal) {
        this.system = system;
        this.goal = goal;
    }

    /**
     * The trace to {@code goal}, replayed and shortened where it can be; null if no step of it ran
     * more than one op (the search's count is already the kernel's) or it does not replay.
     */
    static <S> Replayed<S> reduce(TransitionSystem<S> system, Schedule trace, StatePredicate<S> goal) {
        TraceReduction<S> r = new TraceReduction<>(system, goal);
        List<Schedule.Step> entries = r.spread(trace);
        Replayed<S> best = entries == null || entries.size() == trace.length() ? null : r.replay(entries);
        if (best == null) {
            return null;
        }
        for (int thread = 0; thread < system.threadCount(); thread++) {
            final int left = thread;
            List<Schedule.Step> without = new ArrayList<>(entries);
            if (without.removeIf(e -> e.thread() == left)) {
                Replayed<S> shorter = r.replay(without);
                if (shorter != null && shorter.width() <= best.width()) {
                    entries = without;
                    best = shorter;
                }
            }
        }
        for (int thread = 0; thread < system.threadCount(); thread++) {
            for (int i = lastOf(entries, thread); i >= 0; i = lastOf(entries, thread)) {
                List<Schedule.Step> without = new ArrayList<>(entries);
                without.remove(i);
                Replayed<S> shorter = r.replay(without);
                if (shorter == null || shorter.width() > best.width()) {
                    break;
                }
                entries = without;
                best = shorter;
            }
        }
        return best;
    }

    private static int lastOf(List<Schedule.Step> entries, int thread) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).thread() == thread) {
                return i;
            }
        }
        return -1;
    }

    /** One entry per op the trace ran: a step's first op carries its choice, the ops merged into it 0. */
    private List<Schedule.Step> spread(Schedule trace) {
        List<Schedule.Step> entries = new ArrayList<>();
        S s = system.initial();
        for (Schedule.Step step : trace.steps()) {
            Transition<S> t = enabled(s, step);
            if (t == null) {
                return null;
            }
            entries.add(step);
            for (int k = system.width(s, t); k > 1; k--) {
                entries.add(new Schedule.Step(step.thread(), 0));
            }
            s = t.target();
        }
        return entries;
    }

    /** Runs the entries as steps until the goal holds; null if one is not enabled or the goal never holds. */
    private Replayed<S> replay(List<Schedule.Step> entries) {
        int[] ranAhead = new int[system.threadCount()];
        List<Schedule.Step> steps = new ArrayList<>();
        int width = 0;
        S s = system.initial();
        for (Schedule.Step e : entries) {
            if (ranAhead[e.thread()] > 0) {
                ranAhead[e.thread()]--;
                continue;
            }
            Transition<S> t = enabled(s, e);
            if (t == null) {
                return null;
            }
            int w = system.width(s, t);
            ranAhead[e.thread()] = w - 1;
            width += w;
            steps.add(e);
            s = t.target();
            if (reached(s)) {
                return new Replayed<>(new Schedule(steps), width, s);
            }
        }
        return null;
    }

    /** The goal in {@code s}, asking whether s is terminal only when the answer depends on it. */
    private boolean reached(S s) {
        boolean ifNot = goal.test(s, false);
        if (ifNot == goal.test(s, true)) {
            return ifNot;
        }
        List<Transition<S>> next = new ArrayList<>();
        system.successors(s, next);
        return goal.test(s, next.isEmpty());
    }

    private Transition<S> enabled(S s, Schedule.Step step) {
        return Explorer.taken(system, s, step, new ArrayList<>());
    }
}
