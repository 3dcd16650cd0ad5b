package dev.mmu.runtime.paths;

import dev.mmu.runtime.explore.Dependencies;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.model.VmState;
import java.util.ArrayList;
import java.util.List;

/**
 * Which steps of a compiled scenario commute, from the footprints (for partial-order reduction).
 *
 * <p>A step's footprint is what it touched as it ran: the ops it ran, in place (ending the
 * thread runs its end-of-thread checks), and the footprint of the op whose merging
 * {@link StepMerging} decided against. Two steps of different threads are independent when neither writes
 * what the other reads or writes, and neither moves its thread past writes or reads the other's
 * merging decision looked for ({@link #dropped}): then both orders run the same ops and reach the same
 * state. Violation bits and the failed-assert flag are left out: setting a sticky bit commutes
 * with setting any bit, and nothing but the check itself reads them; a step that sets one is
 * visible instead.
 *
 * <p>A set of threads is persistent when nothing the other threads may still do (the ops
 * reachable from their pcs, up to an acquire of a lock a thread of the set holds: the set does
 * not move, so it does not let go) conflicts with the set's steps, nor enables a blocked thread
 * of the set (writes what its blocked op reads): a lock a thread of the set waits for is released
 * by no thread outside it. A critical section under mmu_lock for write is therefore independent
 * of threads that may touch its resources only after taking mmu_lock, and a vCPU that touches
 * other resources.
 */
final class Independence implements Dependencies<VmState> {
    private final MmuSystem system;
    private final Program program;
    private final StepMerging merging;
    /** Resources an expectation reads: a step that writes one is visible. */
    private final long visible;
    /**
     * Left out of every footprint: violation bits (see above), and the metrics when nothing
     * tracks them (then no step changes them).
     */
    private final long notDependences;
    /** Per thread and pc: what the last step computed from there dropped ({@link #drop}). */
    private final Drop[][] drops;

    Independence(MmuSystem system, Program program, StepMerging merging) {
        this.system = system;
        this.program = program;
        this.merging = merging;
        this.notDependences = Resource.VIOLATIONS.bit() | (program.trackMetrics() ? 0 : Resource.METRICS.bit());
        this.visible = program.expectationReads() & ~notDependences;
        this.drops = new Drop[program.threads().size()][];
        for (int u = 0; u < drops.length; u++) drops[u] = new Drop[program.threads().get(u).ops().length];
    }

    @Override
    public Dependencies.Expansion<VmState> expand(VmState s) {
        return new Expansion(s);
    }

    /** What a step from a pc to next dropped, with u pruned before (was) and after (is) it. */
    private record Drop(int next, boolean was, boolean is, long writes, long reads) {
    }

    /**
     * {@link #dropped} and {@link #droppedReads} of thread u's step from pc to next, kept per pc
     * for the last step from there (steps from a pc mostly end at one next; a record is immutable,
     * so a search on another thread reads a whole one or computes its own).
     */
    private Drop drop(int u, int pc, boolean was, int next, boolean is) {
        Drop d = drops[u][pc];
        if (d == null || d.next != next || d.was != was || d.is != is) {
            d = new Drop(next, was, is, dropped(u, pc, was, next, is), droppedReads(u, pc, was, next, is));
            drops[u][pc] = d;
        }
        return d;
    }

    /**
     * What thread u's step from pc to next may no longer write, seen through any other thread's
     * stop key (key by key, not the writes reachable under no key minus those under every key: a
     * step within a loop drops nothing the loop's next round still does): that thread's merging
     * decision that reads one of these may go the other way after the step. The step took no lock
     * that thread holds or may take (that would conflict), so next is reachable from pc under its
     * key, and what u may write from next is a subset. Its reach there is the pruned one if u is
     * in {@link StepMerging#pruned} (before: was, after: is), else the full one: a step that lets
     * u's root handling out of its reach drops that too.
     */
    private long dropped(int u, int pc, boolean was, int next, boolean is) {
        long d = 0;
        for (int key : merging.distinctKeys(u)) {
            d |= dropped(merging.reach(u, key, was), pc, merging.reach(u, key, is), next);
        }
        return d;
    }

    /** The same for what u may no longer read (a merging decision on an op that writes compares those too). */
    private long droppedReads(int u, int pc, boolean was, int next, boolean is) {
        long d = 0;
        for (int key : merging.distinctKeys(u)) {
            d |= dropped(merging.reachReads(u, key, was), pc, merging.reachReads(u, key, is), next);
        }
        return d;
    }

    private static long dropped(long[] before, int pc, long[] after, int next) {
        int n = before.length - 1;
        return before[Math.min(pc, n)] & ~after[Math.min(next, n)];
    }

    private final class Expansion implements Dependencies.Expansion<VmState> {
        private final VmState s;
        private final List<Transition<VmState>> transitions = new ArrayList<>();
        private final long[] reads;
        private final long[] writes;
        /**
         * What merging decisions compared with the others' future writes, and with their future
         * reads and writes; the writes and reads the step put out of reach (see {@link #dropped}).
         */
        private final long[] decided;
        private final long[] decidedWrites;
        private final long[] dropped;
        private final long[] droppedReads;
        private final boolean[] visibleStep;
        private long enabled;
        /** The threads whose root handling is out of their reach in s ({@link StepMerging#pruned}). */
        private final long pruned;

        Expansion(VmState s) {
            this.s = s;
            pruned = merging.pruned(s);
            int n = program.threads().size();
            reads = new long[n];
            writes = new long[n];
            decided = new long[n];
            decidedWrites = new long[n];
            dropped = new long[n];
            droppedReads = new long[n];
            visibleStep = new boolean[n];
            for (int t = 0; t < n; t++) {
                Op[] ops = program.threads().get(t).ops();
                int pc = s.threads[t].pc;
                if (pc >= ops.length) continue;
                int choices = ops[pc].choices(s, t);
                if (choices == 0) {
                    reads[t] = ops[pc].footprint().reads() & ~notDependences; // what may let it go on
                    continue;
                }
                enabled |= 1L << t;
                int first = transitions.size();
                for (int c = 0; c < choices; c++) {
                    StepMerging.Touched touched = new StepMerging.Touched();
                    VmState next = system.step(s, t, c, null, touched);
                    reads[t] |= touched.reads & ~notDependences;
                    writes[t] |= touched.writes & ~notDependences;
                    decided[t] |= touched.decided;
                    decidedWrites[t] |= touched.decidedWrites;
                    boolean was = (pruned >> t & 1) != 0;
                    boolean is = was || merging.pruned(next, t); // once pruned, pruned on
                    Drop d = drop(t, pc, was, next.threads[t].pc, is);
                    dropped[t] |= d.writes;
                    droppedReads[t] |= d.reads;
                    visibleStep[t] |= (touched.writes & visible) != 0 || next.violations != s.violations
                            || next.assertFailed != s.assertFailed;
                    if (!MmuSystem.sameAsEarlierChoice(transitions, first, next)) {
                        transitions.add(new Transition<>(t, c, next));
                    }
                }
            }
        }

        @Override
        public List<Transition<VmState>> transitions() {
            return transitions;
        }

        @Override
        public boolean independent(int a, int b) {
            if (a == b || (enabled >> a & 1) == 0 || (enabled >> b & 1) == 0) return false;
            return (writes[a] & (reads[b] | writes[b])) == 0 && (reads[a] & writes[b]) == 0
                    && !changesDecisions(a, b) && !changesDecisions(b, a);
        }

        /** Whether a's step puts out of reach something b's merging decisions compared. */
        private boolean changesDecisions(int a, int b) {
            return (dropped[a] & (decided[b] | decidedWrites[b])) != 0 || (droppedReads[a] & decidedWrites[b]) != 0;
        }

        @Override
        public boolean visible(int thread) {
            return visibleStep[thread];
        }

        @Override
        public long persistent(int seed) {
            int n = program.threads().size();
            long set = 1L << seed;
            int key = StepMerging.stopKey(s, seed);
            int[] work = new int[n];
            int todo = 0;
            work[todo++] = seed;
            while (todo > 0) {
                int u = work[--todo];
                for (int v = 0; v < n; v++) {
                    if ((set >> v & 1) != 0 || s.threads[v].pc >= program.threads().get(v).ops().length) continue;
                    if (mayConflict(u, v, key)) {
                        set |= 1L << v;
                        key |= StepMerging.stopKey(s, v);
                        work[todo++] = v;
                    }
                }
            }
            return set;
        }

        /**
         * Whether something thread v may do before a thread of the set moves (its ops reachable
         * while the set holds what key says) conflicts with u's step here, or enables u if u is
         * blocked; or u's step puts out of reach a write or read that v's merging decisions there
         * compare (the last clauses: v moving may change u's own decision). A smaller key than the final
         * set's is safe: v's reach only shrinks as it grows. v's reach is the pruned one if v is in
         * {@link StepMerging#pruned}: from s on, whatever runs, it stays so. v's decisions read the
         * vCPUs' root bits (which of them are pruned): a step that lets a vCPU's root handling out
         * wrote its bits or put their writes out of reach, and in both cases dropped them.
         */
        private boolean mayConflict(int u, int v, int key) {
            int pc = s.threads[v].pc;
            boolean p = (pruned >> v & 1) != 0;
            long futureWrites = merging.reach(v, key, p)[pc] & ~notDependences;
            if ((enabled >> u & 1) == 0) return (reads[u] & futureWrites) != 0;
            long futureReads = merging.reachReads(v, key, p)[pc] & ~notDependences;
            long decisionReads = merging.reachDecisions(v, key, p)[pc];
            long decisionWrites = merging.reachDecisionWrites(v, key, p)[pc];
            return (writes[u] & (futureReads | futureWrites)) != 0 || (reads[u] & futureWrites) != 0
                    || (dropped[u] & (decisionReads | decisionWrites)) != 0 || (droppedReads[u] & decisionWrites) != 0
                    || ((decided[u] | decidedWrites[u]) & merging.reach(v, 0, p)[pc]) != 0
                    || (decidedWrites[u] & merging.reachReads(v, 0, p)[pc]) != 0;
        }
    }
}
