package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.VmState;

/** A value computed from a state for one thread: a local, a constant, a stat, an SPTE field. */
public interface Expr {
    long eval(VmState s, int thread);

    /** What evaluating it reads: step merging and symmetry decide from it, so it must not under-state. */
    Footprint footprint();

    /** The evaluation of an {@link #of} expression. */
    @FunctionalInterface
    interface Eval {
        long eval(VmState s, int thread);
    }

    /** An expression that reads what {@code footprint} says (and only the thread's locals besides). */
    static Expr of(Footprint footprint, Eval eval) {
        return new Expr() {
            public long eval(VmState s, int thread) {
                return eval.eval(s, thread);
            }

            public Footprint footprint() {
                return footprint;
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
    }
}
