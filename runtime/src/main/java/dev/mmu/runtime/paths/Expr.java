package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.VmState;

/** A value computed from a state for one thread: a local, a constant, a stat, an SPTE field. */
public interface Expr {
    long eval(VmState s, int thread);

    /** False when only the thread's locals are read, so evaluating it is invisible to others. */
    default boolean shared() {
        return true;
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

        public boolean shared() {
            return false;
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

        public boolean shared() {
            return false;
        }
    }
}
