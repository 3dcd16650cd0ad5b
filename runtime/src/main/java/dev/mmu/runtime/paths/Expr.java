package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Spte;
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

    /** The locals expressions read together (a null expression reads none); null if one's are unknown. */
    static int[] locals(Expr... exprs) {
        int[] r = LiveLocals.NONE;
        for (Expr e : exprs) {
            int[] l = e == null ? LiveLocals.NONE : e.locals();
            if (l == null) return null;
            int[] both = java.util.Arrays.copyOf(r, r.length + l.length);
            System.arraycopy(l, 0, both, r.length, l.length);
            r = both;
        }
        return r;
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

    /** An operator of the language over the values of one or two expressions. */
    enum Operator {
        NOT, NEG, MUL, DIV, MOD, ADD, SUB, BIT_OR, LT, LE, GT, GE, EQ, NE, AND, OR,
        /** is_frozen_spte(): the SPTE value is FROZEN_SPTE. */
        FROZEN,
        /** DIV_ROUND_UP(n, d) of the kernel on u64 operands: (n + d - 1) / d, wrapping, unsigned. */
        DIV_ROUND_UP,
        /** is_shadow_present_pte(spte) (spte.h): present; FROZEN_SPTE and 0 are not. */
        SHADOW_PRESENT,
        /** is_last_spte(spte, level) (spte.h): level is 4K or the SPTE is a huge leaf. */
        LAST_SPTE,
        /** is_accessed_spte(spte) (spte.h): the A bit (the model's SPTEs have A/D bits: shadow_accessed_mask). */
        ACCESSED_SPTE,
        /**
         * is_access_allowed(fault, spte) (spte.h) with b the fault's access ({@link #ACCESS_READ},
         * {@link #ACCESS_WRITE}, {@link #ACCESS_EXEC}): X for an exec fault, W for a write, else present.
         */
        ACCESS_ALLOWED,
        /** leaf_spte_change_needs_tlb_flush(old, new) (spte.h): the MMU-writable bit goes away. */
        LEAF_CHANGE_NEEDS_FLUSH,
        /** spte_to_pfn(spte) (spte.h): the pfn a leaf maps. */
        SPTE_TO_PFN,
        /** gfn_round_for_level(gfn, level) (mmu_internal.h): gfn down to the first of its level's pages. */
        GFN_ROUND_FOR_LEVEL;

        /** A fault's access for {@link #ACCESS_ALLOWED}: fault->exec, fault->write, else a read. */
        public static final long ACCESS_READ = 0, ACCESS_WRITE = 1, ACCESS_EXEC = 2;

        /** The access code of a fault. */
        public static long access(boolean exec, boolean write) {
            return exec ? ACCESS_EXEC : write ? ACCESS_WRITE : ACCESS_READ;
        }

        long apply(long x, long y) {
            return switch (this) {
                case NOT -> x == 0 ? 1 : 0;
                case NEG -> -x;
                case MUL -> x * y;
                case DIV -> y == 0 ? 0 : x / y;
                case MOD -> y == 0 ? 0 : x % y;
                case ADD -> x + y;
                case SUB -> x - y;
                case BIT_OR -> x | y;
                case LT -> x < y ? 1 : 0;
                case LE -> x <= y ? 1 : 0;
                case GT -> x > y ? 1 : 0;
                case GE -> x >= y ? 1 : 0;
                case EQ -> x == y ? 1 : 0;
                case NE -> x != y ? 1 : 0;
                case AND -> x != 0 && y != 0 ? 1 : 0;
                case OR -> x != 0 || y != 0 ? 1 : 0;
                case FROZEN -> (x & Spte.FROZEN) != 0 ? 1 : 0;
                case DIV_ROUND_UP -> y == 0 ? 0 : Long.divideUnsigned(x + y - 1, y);
                case SHADOW_PRESENT -> Spte.present(x) ? 1 : 0;
                case LAST_SPTE -> y == Level.PG_LEVEL_4K || Spte.leaf(x) ? 1 : 0;
                case ACCESSED_SPTE -> (x & Spte.ACCESSED) != 0 ? 1 : 0;
                case ACCESS_ALLOWED -> (y == ACCESS_EXEC ? Spte.exec(x) : y == ACCESS_WRITE ? Spte.writable(x) : Spte.present(x)) ? 1 : 0;
                case LEAF_CHANGE_NEEDS_FLUSH -> (x & Spte.MMU_WRITABLE) != 0 && (y & Spte.MMU_WRITABLE) == 0 ? 1 : 0;
                case SPTE_TO_PFN -> Spte.pfn(x);
                case GFN_ROUND_FOR_LEVEL -> y < Level.PG_LEVEL_4K ? x : Level.alignDown(x, (int) y);
            };
        }
    }

    /**
     * An operator applied to a (and b, null for a unary one): a value when they are, so that vCPU
     * threads whose paths test the same conditions have equal programs (symmetry). && and ||
     * evaluate b only if a does not decide.
     */
    record Computed(Operator op, Expr a, Expr b) implements Expr {
        public long eval(VmState s, int thread) {
            long x = a.eval(s, thread);
            if (op == Operator.AND && x == 0) return 0;
            if (op == Operator.OR && x != 0) return 1;
            return op.apply(x, b == null ? 0 : b.eval(s, thread));
        }

        public Footprint footprint() {
            return b == null ? a.footprint() : Footprint.of(a, b);
        }

        public int[] locals() {
            return Expr.locals(a, b);
        }
    }
}
