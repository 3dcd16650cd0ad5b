package dev.mmu.runtime.paths;

import java.util.BitSet;

/**
 * Dead-variable elimination, as SPIN does it: a local is dead at a pc when no path from that pc
 * reads it before writing it, so its value cannot change what the thread does; two states that
 * differ only in dead locals have the same futures and verdicts (expectations read no locals), so
 * the state key writes dead locals as 0. Classic backward liveness over each thread's ops, from
 * what the ops declare ({@link Op#localsRead}, {@link Op#localsWritten}); an op that declares
 * nothing reads every local, so undeclared code keeps everything alive before it. A finished
 * thread has no live local. This drops the values of finished accesses (fault->slot, mmu_seq, the
 * pfn) and of loop counters past their loop.
 */
public final class LiveLocals {
    /** No locals. */
    public static final int[] NONE = {};

    private LiveLocals() {
    }

    /** Per thread and pc (0 .. ops.length), the live locals; null where every local is live. */
    public static BitSet[][] of(Program program) {
        BitSet[][] live = new BitSet[program.threads().size()][];
        for (int t = 0; t < live.length; t++) {
            Program.ThreadProgram tp = program.threads().get(t);
            live[t] = thread(tp.ops(), tp.localNames().size());
        }
        return live;
    }

    private static BitSet[] thread(Op[] ops, int nlocals) {
        BitSet all = new BitSet();
        all.set(0, nlocals);
        BitSet[] live = new BitSet[ops.length + 1];
        for (int pc = 0; pc <= ops.length; pc++) live[pc] = new BitSet();
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int pc = ops.length - 1; pc >= 0; pc--) {
                BitSet in = liveIn(ops[pc], pc, live, all);
                if (!in.equals(live[pc])) {
                    live[pc] = in;
                    changed = true;
                }
            }
        }
        for (int pc = 0; pc <= ops.length; pc++) {
            if (live[pc].equals(all) && nlocals > 0) live[pc] = null;
        }
        return live;
    }

    /** reads(op) + the union over its targets of (live there - what it wrote on the way). */
    private static BitSet liveIn(Op op, int pc, BitSet[] live, BitSet all) {
        int[] reads = op.localsRead();
        if (reads == null) return (BitSet) all.clone();
        BitSet in = new BitSet();
        for (int target : op.targets(pc)) {
            if (target < 0 || target >= live.length) continue;
            BitSet out = (BitSet) live[target].clone();
            for (int w : op.localsWritten(pc, target)) out.clear(w);
            in.or(out);
        }
        for (int r : reads) in.set(r);
        in.and(all);
        return in;
    }
}
