package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.IntPredicate;
import java.util.function.IntToLongFunction;
import java.util.function.Supplier;

/**
 * Checks the expectations on the states and cycles a search reports, keeps the first finding of
 * each, and turns findings into verdicts. One class for every search, so that DFS, BFS,
 * preemption bounding and sampling cannot disagree about what a verdict means.
 *
 * <p>Traces are passed as suppliers: building one costs O(depth) and is only needed on a finding.
 */
final class Monitor<S> {

    /** What a search found for one expectation. */
    static final class Finding<S> {
        /** The expectation's condition was met: bad state, goal, bound exceeded or cycle. */
        boolean found;
        /** The trace to the finding (or, for MaxMetric, to the maximum); null if none. */
        Schedule trace;
        /** The state the trace reaches (for a lasso, the state where the cycle starts). */
        S state;
        /** For a lasso, the index of the first step of the cycle in {@code trace}. */
        int cycleStart = -1;
        /** For MaxMetric, the largest value seen. */
        long max = Long.MIN_VALUE;
        boolean hasMax;
        /** How the trace was found, e.g. "found by DFS". */
        String note = "";
    }

    /** Whether a search covered everything it claims (possibly within a bound), or not. */
    record Scope(boolean exhaustive, String qualifier) {

        static Scope complete() {
            return new Scope(true, "");
        }

        static Scope partial(String why) {
            return new Scope(false, why);
        }
    }

    private final TransitionSystem<S> system;
    private final List<Expectation<S>> expectations;
    private final List<Finding<S>> findings = new ArrayList<>();
    private String context = "";
    private boolean checkStates = true;
    private boolean checkCycles = true;

    Monitor(TransitionSystem<S> system, List<Expectation<S>> expectations) {
        this.system = system;
        this.expectations = List.copyOf(expectations);
        for (int i = 0; i < expectations.size(); i++) {
            findings.add(new Finding<>());
        }
    }

    /** How findings from now on were found, e.g. "found at preemption bound 1". */
    void context(String howFound) {
        this.context = howFound;
    }

    /** Takes over the findings of {@code probe}, a monitor of the same expectations, as its own. */
    void adopt(Monitor<S> probe) {
        for (int i = 0; i < findings.size(); i++) {
            findings.set(i, probe.findings.get(i));
        }
    }

    /** Restricts checking to state expectations or to (fair) cycles, for a pass that sees only those. */
    void checking(boolean states, boolean cycles) {
        this.checkStates = states;
        this.checkCycles = cycles;
    }

    List<Expectation<S>> expectations() {
        return expectations;
    }

    Finding<S> finding(int index) {
        return findings.get(index);
    }

    /** True while a Terminates expectation has no cycle yet: only then must a search track cycles. */
    boolean wantsCycles() {
        if (!checkCycles) {
            return false;
        }
        for (int i = 0; i < expectations.size(); i++) {
            if (expectations.get(i) instanceof Expectation.Terminates && !findings.get(i).found) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when no further state or cycle can change a verdict but a watch's, so the search may
     * stop early. With no expectations but watches the search runs to the end: the caller wants
     * the statistics.
     */
    boolean allDecided() {
        boolean any = false;
        for (int i = 0; i < expectations.size(); i++) {
            Expectation<S> e = expectations.get(i);
            if (e instanceof Expectation.Never<S> n && n.watch()) continue;
            boolean checked = e instanceof Expectation.Terminates ? checkCycles : checkStates;
            // One this pass does not check decides nothing here: a states pass beside `terminates`
            // alone ran one state, and the watches (lockdep, kernel_warning) saw no other.
            if (!checked) continue;
            any = true;
            // MaxMetric needs the true maximum, which only a complete search knows.
            if (e instanceof Expectation.MaxMetric || !findings.get(i).found) {
                return false;
            }
        }
        return any;
    }

    /** A search expanded {@code s}; {@code trace} leads to it from the initial state. */
    void onState(S s, boolean terminal, Supplier<Schedule> trace) {
        if (!checkStates) {
            return;
        }
        judge(s, trace, i -> holds(expectations.get(i), s, terminal),
                i -> ((Expectation.MaxMetric<S>) expectations.get(i)).metric().applyAsLong(s));
    }

    /**
     * A breadth-first search generated {@code s}: the conditions that do not ask whether it is
     * terminal are judged now, so the level holding the first violation is not expanded past it.
     * Every condition is monotone in {@code terminal} (a state condition ignores it, the others
     * are {@code terminal && ...}), and states are generated in the order they are expanded: the
     * state recorded is the one {@link #onState} would record first.
     */
    void onGenerated(S s, Supplier<Schedule> trace) {
        if (checkStates) {
            judge(s, trace, i -> holds(expectations.get(i), s, false), null);
        }
    }

    /** The conditions of {@link #onState}, evaluated ahead: one per expectation. */
    record Checked(boolean[] holds, long[] values) {}

    /**
     * Evaluates what {@link #onState} tests on {@code s} without recording anything (the
     * conditions are pure), so that a parallel search can evaluate on its workers and judge in
     * order with {@link #onChecked}.
     */
    Checked check(S s, boolean terminal) {
        boolean[] holds = new boolean[expectations.size()];
        long[] values = new long[expectations.size()];
        for (int i = 0; i < expectations.size(); i++) {
            Expectation<S> e = expectations.get(i);
            if (e instanceof Expectation.MaxMetric<S> m) {
                values[i] = m.metric().applyAsLong(s);
            } else {
                holds[i] = holds(e, s, terminal);
            }
        }
        return new Checked(holds, values);
    }

    /** {@link #onState} with the conditions {@link #check} evaluated. */
    void onChecked(S s, Checked c, Supplier<Schedule> trace) {
        if (checkStates) {
            judge(s, trace, i -> c.holds[i], i -> c.values[i]);
        }
    }

    /** Records what {@code s} shows; metrics only with {@code metric} (null: their maximum is judged later). */
    private void judge(S s, Supplier<Schedule> trace, IntPredicate holds, IntToLongFunction metric) {
        for (int i = 0; i < expectations.size(); i++) {
            Expectation<S> e = expectations.get(i);
            Finding<S> f = findings.get(i);
            if (e instanceof Expectation.MaxMetric<S> m) {
                if (metric == null) {
                    continue;
                }
                long value = metric.applyAsLong(i);
                if (!f.hasMax || value > f.max) {
                    f.hasMax = true;
                    f.max = value;
                    record(f, s, trace);
                    f.found = value > m.bound();
                }
            } else if (!f.found && holds.test(i)) {
                record(f, s, trace);
                f.found = true;
            }
        }
    }

    /**
     * A search found a weakly fair cycle (the caller checked fairness): {@code stem} leads from the
     * initial state to {@code entry}, and {@code cycle} leads from {@code entry} back to it;
     * {@code how} says why the cycle is fair.
     */
    void onCycle(S entry, Supplier<Schedule> stem, Supplier<Schedule> cycle, String how) {
        if (!checkCycles) {
            return;
        }
        for (int i = 0; i < expectations.size(); i++) {
            Finding<S> f = findings.get(i);
            if (expectations.get(i) instanceof Expectation.Terminates && !f.found) {
                Schedule s = stem.get();
                f.found = true;
                f.trace = s.concat(cycle.get());
                f.cycleStart = s.length();
                f.state = entry;
                f.note = join(how, context);
            }
        }
    }

    private void record(Finding<S> f, S s, Supplier<Schedule> trace) {
        f.trace = trace.get();
        f.state = s;
        f.note = context;
    }

    /** Whether state {@code s} meets the condition a finding is about (bad, goal, stuck). */
    private boolean holds(Expectation<S> e, S s, boolean terminal) {
        if (e instanceof Expectation.Never<S> n) {
            return n.bad().test(s, terminal);
        } else if (e instanceof Expectation.Violation<S> v) {
            return v.bad().test(s, terminal);
        } else if (e instanceof Expectation.Final<S> fin) {
            return terminal && !fin.ok().test(s);
        } else if (e instanceof Expectation.Reachable<S> r) {
            return r.goal().test(s);
        } else if (e instanceof Expectation.NoDeadlock) {
            return terminal && !system.finished(s);
        }
        return false;
    }

    /** The verdict for expectation {@code index} given what the search covered. */
    Outcome<S> outcome(int index, Scope scope) {
        Expectation<S> e = expectations.get(index);
        Finding<S> f = findings.get(index);
        String qualifier = scope.qualifier();
        if (e instanceof Expectation.MaxMetric<S> m) {
            OptionalLong max = f.hasMax ? OptionalLong.of(f.max) : OptionalLong.empty();
            String figures = "max = " + (f.hasMax ? f.max : "none") + ", bound " + m.bound();
            if (f.found) {
                String atLeast = scope.exhaustive() ? "" : " (at least; " + qualifier + ")";
                return new Outcome<>(e, Verdict.FAIL, f.trace, join(figures + atLeast, f.note), -1, max);
            }
            Verdict v = scope.exhaustive() ? Verdict.PASS : Verdict.UNKNOWN;
            String note = scope.exhaustive() ? join(figures, qualifier) : figures + " so far; " + qualifier;
            return new Outcome<>(e, v, f.trace, note, -1, max);
        }
        boolean existential = e instanceof Expectation.Reachable || e instanceof Expectation.Violation
                || e instanceof Expectation.Terminates<S> t && t.livelockExpected();
        if (f.found) {
            Verdict v = existential ? Verdict.PASS : Verdict.FAIL;
            String note = f.cycleStart >= 0 ? join(f.note, "cycle starts at step " + f.cycleStart) : f.note;
            return new Outcome<>(e, v, f.trace, note, f.cycleStart, OptionalLong.empty());
        }
        if (e instanceof Expectation.Never<S> n && n.watch()) {
            return new Outcome<>(e, Verdict.PASS, null, scope.exhaustive() ? qualifier : "in the states searched",
                    -1, OptionalLong.empty());
        }
        if (!scope.exhaustive()) {
            return new Outcome<>(e, Verdict.UNKNOWN, null, qualifier, -1, OptionalLong.empty());
        }
        Verdict v = existential ? Verdict.FAIL : Verdict.PASS;
        String note = existential ? join("no such state is reachable", qualifier) : qualifier;
        return new Outcome<>(e, v, null, note, -1, OptionalLong.empty());
    }

    private static String join(String a, String b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isEmpty() ? a : a + "; " + b;
    }
}
