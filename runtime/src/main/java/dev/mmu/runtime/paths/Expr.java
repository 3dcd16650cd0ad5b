package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.VmState;

/** A value computed from a state for one thread: a local, a constant, a stat, an SPTE field. */
public interface Expr {
    long eval(VmState s, int thread);

    /** What evaluating it reads: step merging and symmetry decide from it, so it must not under-state. */
    Footprint footprint();

    /** The thread's locals it reads (the dead-locals analysis, {@link LiveLocals}); null: unknown, any. */
    default int[] locals() {
        return null;
    }

    /** The locals two expressions read together; null if either is unknown. */
    static int[] locals(Expr a, Expr b) {
        int[] x = a.locals();
        int[] y = b == null ? LiveLocals.NONE : b.locals();
        if (x == null || y == null) return null;
        int[] both = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, both, x.length, y.length);
        return both;
    }

    /** The evaluation of an {@link #of} expression. */
    @FunctionalInterface
    interface Eval {
        long eval(VmState s, int thread);
    }

    /** An expression that reads what {@code footprint} says (and only the thread's locals besides). */
    static Expr of(Footprint footprint, Eval eval) {
        return of(footprint, null, eval);
    }

    /** With the locals it reads (null: unknown). */
    static Expr of(Footprint footprint, int[] locals, Eval eval) {
        return new Expr() {
            public long eval(VmState s, int thread) {
                return eval.eval(s, thread);
            }

            public Footprint footprint() {
                return footprint;
            }

            public int[] locals() {
                return locals;
            }
        };
    }

    /** Constants and locals are values (equal when their number is), so equal programs compare equal. */
    static Expr constant(long v) {
        return new Constant(v);
    }

    static Expr local(int slot) {
        return new Local(slot);
    }

    record Constant(long v) implements Expr {
        public long eval(VmState s, int thread) {
            return v;
        }

        public Footprint footprint() {
            return Footprint.LOCAL;
        }

        public int[] locals() {
            return LiveLocals.NONE;
        }

        @Override
        public String toString() {
            return Long.toString(v);
        }
    }

    record Local(int slot) implements Expr {
        public long eval(VmState s, int thread) {
            return s.threads[thread].locals[slot];
        }

        public Footprint footprint() {
            return Footprint.LOCAL;
        }

        public int[] locals() {
            return new int[] {slot};
        }
    }

    /**
     * A local minus one (a `repeat` or `take` count going down): a value like {@link Local}, so that
     * vCPU threads with equal loops have equal programs and symmetry can interchange them.
     */
    record Decrement(int slot) implements Expr {
        public long eval(VmState s, int thread) {
            return s.threads[thread].locals[slot] - 1;
        }

        public Footprint footprint() {
            return Footprint.LOCAL;
        }

        public int[] locals() {
            return new int[] {slot};
        }
    }
}
