package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random small concurrent programs over shared variables, with the dependencies partial-order
 * reduction needs computed the textbook way (Godefroid 1996, stubborn-set closure over each
 * thread's future operations), independently of the MMU model: a reference system to check
 * {@link PartialOrder} and the other searches against. Variable 0 is the visible one.
 *
 * <p>Operations: {@code write v c}, {@code inc v} (mod 3), {@code read v} (into the thread's
 * local), {@code await v == c} (enabled only then), and {@code loop} (back to an earlier pc while
 * the local differs from c: a spin, hence cycles). A thread is done past its last operation.
 */
record Programs(int vars, List<List<Op>> threads) implements TransitionSystem<Programs.State>, Dependencies<Programs.State> {

    enum Kind { WRITE, INC, READ, AWAIT, LOOP }

    /** {@code v}: the shared variable; {@code c}: constant; {@code to}: the loop's target pc. */
    record Op(Kind kind, int v, int c, int to) {
        boolean writes() {
            return kind == Kind.WRITE || kind == Kind.INC;
        }

        boolean shared() {
            return kind != Kind.LOOP;
        }

        boolean conflicts(Op o) {
            return shared() && o.shared() && v == o.v && (writes() || o.writes());
        }
    }

    record State(List<Integer> vars, List<Integer> pcs, List<Integer> locals) {}

    static Programs random(Random r) {
        int vars = 2 + r.nextInt(2);
        int n = 2 + r.nextInt(2);
        List<List<Op>> threads = new ArrayList<>();
        for (int t = 0; t < n; t++) threads.add(randomThread(r, vars));
        return new Programs(vars, List.copyOf(threads));
    }

    /** Two to four threads running one random program: interchangeable, for symmetry reduction. */
    static Programs randomTwins(Random r) {
        int vars = 2 + r.nextInt(2);
        List<Op> program = randomThread(r, vars);
        return new Programs(vars, java.util.Collections.nCopies(2 + r.nextInt(3), program));
    }

    static List<Op> randomThread(Random r, int vars) {
        List<Op> ops = new ArrayList<>();
        int length = 2 + r.nextInt(3);
        for (int pc = 0; pc < length; pc++) {
            int v = r.nextInt(vars);
            int c = r.nextInt(3);
            int k = r.nextInt(10);
            if (k < 3) ops.add(new Op(Kind.WRITE, v, c, 0));
            else if (k < 5) ops.add(new Op(Kind.INC, v, 0, 0));
            else if (k < 7) ops.add(new Op(Kind.READ, v, 0, 0));
            else if (k < 8) ops.add(new Op(Kind.AWAIT, v, c, 0));
            else if (pc > 0) ops.add(new Op(Kind.LOOP, 0, c, r.nextInt(pc)));
            else ops.add(new Op(Kind.READ, v, 0, 0));
        }
        return List.copyOf(ops);
    }

    @Override
    public State initial() {
        List<Integer> zeros = new ArrayList<>();
        for (int t = 0; t < threads.size(); t++) zeros.add(0);
        List<Integer> vs = new ArrayList<>();
        for (int v = 0; v < vars; v++) vs.add(0);
        return new State(List.copyOf(vs), List.copyOf(zeros), List.copyOf(zeros));
    }

    private Op next(State s, int t) {
        int pc = s.pcs().get(t);
        return pc < threads.get(t).size() ? threads.get(t).get(pc) : null;
    }

    private boolean enabled(State s, int t) {
        Op op = next(s, t);
        return op != null && (op.kind() != Kind.AWAIT || s.vars().get(op.v()) == op.c());
    }

    @Override
    public void successors(State s, List<Transition<State>> out) {
        for (int t = 0; t < threads.size(); t++) {
            if (!enabled(s, t)) continue;
            Op op = next(s, t);
            int pc = s.pcs().get(t);
            List<Integer> vs = s.vars();
            List<Integer> locals = s.locals();
            int nextPc = pc + 1;
            switch (op.kind()) {
                case WRITE -> vs = Toys.set(vs, op.v(), op.c());
                case INC -> vs = Toys.set(vs, op.v(), (vs.get(op.v()) + 1) % 3);
                case READ -> locals = Toys.set(locals, t, vs.get(op.v()));
                case AWAIT -> { }
                case LOOP -> nextPc = locals.get(t) != op.c() ? op.to() : pc + 1;
            }
            out.add(new Transition<>(t, 0, new State(vs, Toys.set(s.pcs(), t, nextPc), locals)));
        }
    }

    @Override
    public boolean finished(State s) {
        for (int t = 0; t < threads.size(); t++) {
            if (s.pcs().get(t) < threads.get(t).size()) return false;
        }
        return true;
    }

    @Override
    public int threadCount() {
        return threads.size();
    }

    @Override
    public String threadName(int thread) {
        return "p" + thread;
    }

    @Override
    public Dependencies<State> dependencies() {
        return this;
    }

    /** The operations thread t may still run from pc (loops go back). */
    private List<Op> future(int t, int pc) {
        List<Op> ops = threads.get(t);
        int from = pc;
        for (boolean back = true; back; ) {
            back = false;
            for (int i = from; i < ops.size(); i++) {
                if (ops.get(i).kind() == Kind.LOOP && ops.get(i).to() < from) {
                    from = ops.get(i).to();
                    back = true;
                }
            }
        }
        return from < ops.size() ? ops.subList(from, ops.size()) : List.of();
    }

    @Override
    public Expansion<State> expand(State s) {
        List<Transition<State>> out = new ArrayList<>();
        successors(s, out);
        return new Expansion<>() {
            @Override
            public List<Transition<State>> transitions() {
                return out;
            }

            @Override
            public boolean independent(int a, int b) {
                return enabled(s, a) && enabled(s, b) && !next(s, a).conflicts(next(s, b));
            }

            @Override
            public boolean visible(int thread) {
                Op op = next(s, thread);
                return op != null && op.writes() && op.v() == 0;
            }

            /** Closure: a thread whose future may conflict with (or enable) a set member's next step joins. */
            @Override
            public long persistent(int seed) {
                long set = 1L << seed;
                for (boolean grew = true; grew; ) {
                    grew = false;
                    for (int u = 0; u < threads.size(); u++) {
                        if ((set >> u & 1) == 0 || next(s, u) == null) continue;
                        Op op = next(s, u);
                        for (int w = 0; w < threads.size(); w++) {
                            if ((set >> w & 1) != 0) continue;
                            for (Op f : future(w, s.pcs().get(w))) {
                                if (op.conflicts(f)) {
                                    set |= 1L << w;
                                    grew = true;
                                    break;
                                }
                            }
                        }
                    }
                }
                return set;
            }
        };
    }
}
