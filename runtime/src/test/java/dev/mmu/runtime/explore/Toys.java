package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.List;

/** Small transition systems whose behaviour is known by hand, to test the explorer against. */
final class Toys {

    private Toys() {
    }

    /**
     * Lost update: incrementer threads do a non-atomic {@code tmp = x; x = tmp + 1}. An optional
     * bystander thread takes {@code bystanderSteps} local steps, first or last in thread order,
     * so that DFS order reaches the bug late while BFS still finds it at depth 4.
     */
    static final class Counter implements TransitionSystem<Counter.State> {

        /** x, each thread's pc (incrementer: 0 read, 1 write, 2 done), each thread's tmp. */
        record State(int x, List<Integer> pc, List<Integer> tmp) {}

        private final int bystander;
        private final int bystanderSteps;
        private final int threads;

        /** Two incrementers, no bystander. */
        Counter() {
            this(-1, 0);
        }

        /** Two incrementers and a bystander with the given thread id (0 or 2). */
        Counter(int bystanderThread, int bystanderSteps) {
            this(bystanderThread, bystanderSteps, bystanderThread < 0 ? 2 : 3);
        }

        /** {@code threads} threads in all, one of them the bystander if its id is not -1. */
        Counter(int bystanderThread, int bystanderSteps, int threads) {
            this.bystander = bystanderThread;
            this.bystanderSteps = bystanderSteps;
            this.threads = threads;
        }

        boolean incrementer(int thread) {
            return thread != bystander;
        }

        /** Both incrementers wrote, yet x is not 2: the lost update. */
        static boolean lostUpdate(State s, Counter c) {
            for (int t = 0; t < c.threads; t++) {
                if (c.incrementer(t) && s.pc().get(t) != 2) {
                    return false;
                }
            }
            return s.x() != 2;
        }

        @Override
        public State initial() {
            List<Integer> zeros = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                zeros.add(0);
            }
            return new State(0, zeros, zeros);
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            for (int t = 0; t < threads; t++) {
                int pc = s.pc().get(t);
                if (!incrementer(t)) {
                    if (pc < bystanderSteps) {
                        out.add(new Transition<>(t, 0, new State(s.x(), set(s.pc(), t, pc + 1), s.tmp())));
                    }
                } else if (pc == 0) {
                    out.add(new Transition<>(t, 0, new State(s.x(), set(s.pc(), t, 1), set(s.tmp(), t, s.x()))));
                } else if (pc == 1) {
                    out.add(new Transition<>(t, 0, new State(s.tmp().get(t) + 1, set(s.pc(), t, 2), s.tmp())));
                }
            }
        }

        @Override
        public boolean finished(State s) {
            return true;
        }

        @Override
        public int threadCount() {
            return threads;
        }

        @Override
        public String threadName(int thread) {
            return incrementer(thread) ? "inc" + thread : "bystander";
        }
    }

    /**
     * Peterson's mutual exclusion for two threads; waiting is a step enabled only when the
     * condition holds. pc: 0 flag=true, 1 turn=other, 2 await then enter, 3 in critical section,
     * 4 done. With {@code broken}, the turn step is skipped, which breaks mutual exclusion.
     */
    record Peterson(boolean broken) implements TransitionSystem<Peterson.State> {

        record State(int pc0, int pc1, boolean flag0, boolean flag1, int turn) {
            int pc(int t) {
                return t == 0 ? pc0 : pc1;
            }

            boolean flag(int t) {
                return t == 0 ? flag0 : flag1;
            }

            State with(int t, int pc, boolean flag, int turn) {
                return t == 0 ? new State(pc, pc1, flag, flag1, turn) : new State(pc0, pc, flag0, flag, turn);
            }
        }

        static boolean bothInCriticalSection(State s) {
            return s.pc0() == 3 && s.pc1() == 3;
        }

        @Override
        public State initial() {
            return new State(0, 0, false, false, 0);
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            for (int t = 0; t < 2; t++) {
                int other = 1 - t;
                switch (s.pc(t)) {
                    case 0 -> out.add(new Transition<>(t, 0, s.with(t, broken ? 2 : 1, true, s.turn())));
                    case 1 -> out.add(new Transition<>(t, 0, s.with(t, 2, true, other)));
                    case 2 -> {
                        if (!s.flag(other) || s.turn() == t || broken) {
                            out.add(new Transition<>(t, 0, s.with(t, 3, true, s.turn())));
                        }
                    }
                    case 3 -> out.add(new Transition<>(t, 0, s.with(t, 4, false, s.turn())));
                    default -> { }
                }
            }
        }

        @Override
        public boolean finished(State s) {
            return s.pc0() == 4 && s.pc1() == 4;
        }

        @Override
        public int threadCount() {
            return 2;
        }

        @Override
        public String threadName(int thread) {
            return "p" + thread;
        }
    }

    /**
     * Thread 0 takes one step, then spins (a self-loop) until thread 1 sets a flag: thread 0
     * can run forever, so the state graph has a cycle.
     */
    static final class Spinner implements TransitionSystem<Spinner.State> {

        record State(int pc0, boolean flag, int pc1) {}

        @Override
        public State initial() {
            return new State(0, false, 0);
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            if (s.pc0() == 0) {
                out.add(new Transition<>(0, 0, new State(1, s.flag(), s.pc1())));
            } else if (s.pc0() == 1) {
                out.add(new Transition<>(0, 0, new State(s.flag() ? 2 : 1, s.flag(), s.pc1())));
            }
            if (s.pc1() == 0) {
                out.add(new Transition<>(1, 0, new State(s.pc0(), true, 1)));
            }
        }

        @Override
        public boolean finished(State s) {
            return true;
        }

        @Override
        public int threadCount() {
            return 2;
        }

        @Override
        public String threadName(int thread) {
            return thread == 0 ? "spinner" : "setter";
        }
    }

    /**
     * A genuine livelock: two polite threads each announce that they want in, then, while the
     * other wants in too, hand the turn over (when it is theirs) or retry (when it is not). Both
     * threads are always enabled and both take steps on the cycle turn 0 -> 1 -> 0, so weak
     * fairness does not rule it out. pc: 0 announce, 1 polite loop, 2 done.
     */
    static final class Polite implements TransitionSystem<Polite.State> {

        record State(int pc0, int pc1, int turn) {
            int pc(int t) {
                return t == 0 ? pc0 : pc1;
            }

            State with(int t, int pc, int turn) {
                return t == 0 ? new State(pc, pc1, turn) : new State(pc0, pc, turn);
            }
        }

        @Override
        public State initial() {
            return new State(0, 0, 0);
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            for (int t = 0; t < 2; t++) {
                int other = 1 - t;
                if (s.pc(t) == 0) {
                    out.add(new Transition<>(t, 0, s.with(t, 1, s.turn())));
                } else if (s.pc(t) == 1) {
                    boolean otherWants = s.pc(other) == 1;
                    if (s.turn() != t) {
                        // Retry: wait for the turn (a self-loop, so the thread stays enabled).
                        out.add(new Transition<>(t, 0, s));
                    } else if (otherWants) {
                        out.add(new Transition<>(t, 0, s.with(t, 1, other)));
                    } else {
                        out.add(new Transition<>(t, 0, s.with(t, 2, other)));
                    }
                }
            }
        }

        @Override
        public boolean finished(State s) {
            return true;
        }

        @Override
        public int threadCount() {
            return 2;
        }

        @Override
        public String threadName(int thread) {
            return "polite" + thread;
        }
    }

    /**
     * Like {@link Spinner}, but the spinner holds a lock while it spins and the setter needs the
     * lock to set the flag: once the spinner has the lock, the setter is disabled for ever and the
     * spin is a livelock even under weak fairness. Spinner: pc 0 lock, 1 spin until flag, 2 done.
     * Setter: pc 0 lock, 1 set flag and unlock, 2 done.
     */
    static final class LockedSpinner implements TransitionSystem<LockedSpinner.State> {

        /** holder: -1 free, else the thread holding the lock. */
        record State(int pc0, int pc1, boolean flag, int holder) {}

        @Override
        public State initial() {
            return new State(0, 0, false, -1);
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            if (s.pc0() == 0 && s.holder() == -1) {
                out.add(new Transition<>(0, 0, new State(1, s.pc1(), s.flag(), 0)));
            } else if (s.pc0() == 1) {
                out.add(new Transition<>(0, 0, s.flag() ? new State(2, s.pc1(), true, -1) : s));
            }
            if (s.pc1() == 0 && s.holder() == -1) {
                out.add(new Transition<>(1, 0, new State(s.pc0(), 1, s.flag(), 1)));
            } else if (s.pc1() == 1) {
                out.add(new Transition<>(1, 0, new State(s.pc0(), 2, true, -1)));
            }
        }

        @Override
        public boolean finished(State s) {
            return true;
        }

        @Override
        public int threadCount() {
            return 2;
        }

        @Override
        public String threadName(int thread) {
            return thread == 0 ? "spinner" : "setter";
        }
    }

    /**
     * Two locks taken in opposite order. Thread 0: lock A, lock B, unlock B, unlock A; thread 1:
     * lock B, lock A, unlock A, unlock B. Locking is enabled only when the lock is free.
     */
    static final class Deadlock implements TransitionSystem<Deadlock.State> {

        /** pcs 0..4 (4 = done); holders of A and B, -1 when free. */
        record State(int pc0, int pc1, int holderA, int holderB) {}

        @Override
        public State initial() {
            return new State(0, 0, -1, -1);
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            step(0, s, s.pc0(), out);
            step(1, s, s.pc1(), out);
        }

        private void step(int t, State s, int pc, List<Transition<State>> out) {
            if (pc >= 4) {
                return;
            }
            // Which lock this pc takes or releases: thread 0 nests B in A, thread 1 A in B.
            boolean lockA = t == 0 ? pc == 0 || pc == 3 : pc == 1 || pc == 2;
            int holder = lockA ? s.holderA() : s.holderB();
            boolean acquire = pc < 2;
            if (acquire && holder != -1) {
                return;
            }
            int newHolder = acquire ? t : -1;
            int a = lockA ? newHolder : s.holderA();
            int b = lockA ? s.holderB() : newHolder;
            State next = t == 0 ? new State(pc + 1, s.pc1(), a, b) : new State(s.pc0(), pc + 1, a, b);
            out.add(new Transition<>(t, 0, next));
        }

        @Override
        public boolean finished(State s) {
            return s.pc0() == 4 && s.pc1() == 4;
        }

        @Override
        public int threadCount() {
            return 2;
        }

        @Override
        public String threadName(int thread) {
            return "t" + thread;
        }
    }

    /**
     * Three independent counters, each counting to {@code limit}, with a scheduler choice of
     * step 1 or 2: a state space too big to exhaust quickly ({@code limit^3} states).
     */
    record Grid(int limit) implements TransitionSystem<Grid.State> {

        record State(int a, int b, int c) {}

        @Override
        public State initial() {
            return new State(0, 0, 0);
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            int[] v = {s.a(), s.b(), s.c()};
            for (int t = 0; t < 3; t++) {
                for (int choice = 0; choice < 2; choice++) {
                    if (v[t] + choice + 1 <= limit) {
                        int[] w = v.clone();
                        w[t] += choice + 1;
                        out.add(new Transition<>(t, choice, new State(w[0], w[1], w[2])));
                    }
                }
            }
        }

        @Override
        public boolean finished(State s) {
            return true;
        }

        @Override
        public int threadCount() {
            return 3;
        }

        @Override
        public String threadName(int thread) {
            return "g" + thread;
        }
    }

    /**
     * Threads that each run {@code ops[t]} ops, one or more a step, as step merging runs them: how
     * many ops thread t's next step runs ({@code width}) and whether it may run ({@code enabled})
     * are functions of every thread's pc, so a test can make one thread's ops let another's merge,
     * or block it. A step offers choices 0..{@code choices[t]}-1, each adding itself to
     * {@code picks[t]}: a replay that loses a step's choice reaches another state.
     */
    record Steps(int[] ops, int[] choices, Rule width, Guard enabled) implements TransitionSystem<Steps.State> {

        record State(List<Integer> pcs, List<Integer> picks) {
            int pc(int t) {
                return pcs.get(t);
            }
        }

        /** How many ops thread t's next step runs from these pcs (capped by the ops it has left). */
        interface Rule {
            int ops(List<Integer> pcs, int thread);
        }

        interface Guard {
            boolean test(List<Integer> pcs, int thread);
        }

        /** One choice a step, every thread always enabled. */
        Steps(int[] ops, Rule width) {
            this(ops, new int[ops.length], width, (pcs, t) -> true);
        }

        @Override
        public State initial() {
            List<Integer> zeros = new ArrayList<>();
            for (int t = 0; t < ops.length; t++) {
                zeros.add(0);
            }
            return new State(List.copyOf(zeros), List.copyOf(zeros));
        }

        @Override
        public void successors(State s, List<Transition<State>> out) {
            for (int t = 0; t < ops.length; t++) {
                int pc = s.pc(t);
                if (pc < ops[t] && enabled.test(s.pcs(), t)) {
                    int to = pc + Math.max(1, Math.min(width.ops(s.pcs(), t), ops[t] - pc));
                    for (int c = 0; c < Math.max(1, choices[t]); c++) {
                        out.add(new Transition<>(t, c, new State(set(s.pcs(), t, to), set(s.picks(), t, s.picks().get(t) + c))));
                    }
                }
            }
        }

        @Override
        public int width(State s, Transition<State> t) {
            return t.target().pc(t.thread()) - s.pc(t.thread());
        }

        @Override
        public boolean finished(State s) {
            return true;
        }

        @Override
        public int threadCount() {
            return ops.length;
        }

        @Override
        public String threadName(int thread) {
            return "s" + thread;
        }
    }

    static <T> List<T> set(List<T> list, int index, T value) {
        List<T> copy = new ArrayList<>(list);
        copy.set(index, value);
        return List.copyOf(copy);
    }
}
