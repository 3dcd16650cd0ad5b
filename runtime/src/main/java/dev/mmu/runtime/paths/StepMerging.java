package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.VmState;

/**
 * Which ops may run in the step of the op before them, decided from footprints (issue 11: merging
 * on a lock alone was unsound, since TLBs, SPTE bits and host pages change without mmu_lock).
 *
 * <p>An op o of thread t may be moved next to t's previous op when it is a both-mover (Lipton):
 * it has one choice, and it commutes with everything the other threads can still do before t's
 * next step: nothing they may write is read or written by o, nothing they may read is written by
 * o (so none of them can disable o, nor o any of them). What a thread u may do from its pc is the
 * union of the footprints of the ops reachable along control flow, stopping before an acquire u
 * cannot pass while t holds a lock (mmu_lock for write, or for read against a writer, a mutex).
 * The states skipped then differ from a state kept only in o's writes and t's locals and pc, so o
 * must write nothing an expectation reads ({@link Program#expectationReads}). Violation bits and
 * the failed-assert flag are sticky and read by nothing but the checks: o may set one (it sets it
 * after the same reads in every order), and they are left out of the comparisons, as in
 * {@link Independence}. The op's footprint in the state it runs from may stand for its static one
 * (a fault-in of a page already present only reads it): it depends only on what the static one
 * reads, so a thread that could change it conflicts with the decision ({@link Touched#decided}).
 * Where t holds off RCU grace periods and o leaves it so, o's footprint is the one without the end
 * of a grace period ({@link Footprint#heldOff}): no other thread changes whether t holds one off, so
 * the decision depends on nothing more than before.
 * The same check lets a need_resched() that said no run with the op after
 * it: the need_resched() is moved the other way, next to that op ({@link #mayMerge}).
 *
 * <p>A guest access goes to vcpu_enter_guest()'s root handling only with the vCPU's
 * KVM_REQ_MMU_FREE_OBSOLETE_ROOTS pending or without a root. Where neither holds and no thread can
 * still write that vCPU's root and request bits ({@link #pruned}: a fixpoint over the reach with
 * those edges left out), the edge is left out of its thread's reach. Once out, it stays out as the
 * threads move on (nothing can write the bits); a decision not to merge may flip when a step lets
 * another vCPU's edge out (it writes that vCPU's bits, or puts their writes out of its reach), so
 * every decision reads every vCPU's bits ({@link Touched#decided}, {@link #decisionReads}).
 */
final class StepMerging {
    private final Program program;
    private final boolean enabled;
    /**
     * Per thread and pc: the op's footprint in its place (see {@link #inPlace}), with the atomic
     * block it falls into ({@link #block}): what a decision to merge it weighs.
     */
    private final Footprint[][] ops;
    /**
     * Per thread and pc: the op's own footprint in its place, without its block: what the reach
     * tables add up (they follow the block's ops one by one, and stop at an acquire inside it).
     */
    private final Footprint[][] own;
    /** Per thread and pc: {@link #ops} where the thread holds off RCU grace periods ({@link Rcu#inPlace}). */
    private final Footprint[][] held;
    /**
     * Per thread and pc: whether the op's footprint in a state may be narrower than {@link #ops}
     * (its class overrides {@link Op#footprint(VmState, int)}); for the others {@link #ops} is it.
     */
    private final boolean[][] byState;
    /** Per thread and pc: whether the op may end the thread (then it runs the end-of-thread checks). */
    private final boolean[][] ends;
    /** Per thread and pc: what the op reads when it runs invisibly, or null if it never does. */
    private final Footprint[][] invisible;
    /**
     * Per kind of reach ({@link Reach}: writes, reads, what its merging decisions read and write),
     * variant (0: every edge, 1: the root handling's left out, see {@link #pruned}), thread and stop
     * key (see {@link #stopKey}): what is reachable from each pc, computed on demand.
     */
    private final long[][][][][] reachTables;
    /** Per thread and pc: where its guest access enters vcpu_enter_guest()'s root handling, or -1. */
    private final int[][] reloadEdge;
    /** Per thread: the vCPU whose root handling its accesses may enter; -1 for none or several. */
    private final int[] reloadVcpu;
    /** Per thread: whether those accesses run on root_mmu (bit 0) and on guest_mmu (bit 1). */
    private final int[] reloadMmus;
    /** Whether some thread's root handling may be left out of its reach ({@link #pruned}). */
    private final boolean pruning;
    /**
     * Per thread: the stop-key bits that some acquire of its code can see ({@link #stops}); its
     * reach under a key is its reach under the key's bits there, so the tables are per such key.
     */
    private final int[] keyBits;
    /** Per thread: the subsets of its {@link #keyBits}, see {@link #distinctKeys}. */
    private final int[][] distinctKeys;
    /** What a merged op must not write: what the expectations read (-1 for Java predicates: anything). */
    private final long visible;
    /**
     * Left out of every comparison: violation bits (sticky, see above) and the metrics when nothing
     * tracks them (then no op changes them).
     */
    private final long ignored;

    StepMerging(Program program, boolean enabled) {
        this.program = program;
        this.enabled = enabled;
        int n = program.threads().size();
        ops = new Footprint[n][];
        own = new Footprint[n][];
        held = new Footprint[n][];
        byState = new boolean[n][];
        ends = new boolean[n][];
        invisible = new Footprint[n][];
        reachTables = new long[Reach.values().length][2][n][STOP_KEYS][];
        reloadEdge = new int[n][];
        reloadVcpu = new int[n];
        reloadMmus = new int[n];
        keyBits = new int[n];
        distinctKeys = new int[n][];
        boolean any = false;
        ignored = Resource.VIOLATIONS.bit() | (program.trackMetrics() ? 0 : Resource.METRICS.bit());
        visible = program.expectationReads() & ~(program.trackMetrics() ? 0 : Resource.METRICS.bit());
        for (int u = 0; u < n; u++) {
            Op[] code = program.threads().get(u).ops();
            ops[u] = new Footprint[code.length];
            own[u] = new Footprint[code.length];
            held[u] = new Footprint[code.length];
            byState[u] = new boolean[code.length];
            ends[u] = new boolean[code.length];
            invisible[u] = new Footprint[code.length];
            for (int pc = 0; pc < code.length; pc++) {
                for (int q : code[pc].targets(pc)) ends[u][pc] |= q >= code.length;
            }
            for (int pc = 0; pc < code.length; pc++) {
                int[] block = block(code, pc);
                byState[u][pc] = block.length == 0 && footprintByState(code[pc]);
                own[u][pc] = inPlace(u, pc, code[pc].footprint(program.config()));
                Footprint step = own[u][pc];
                for (int i : block) step = step.union(inPlace(u, i, code[i].footprint(program.config())));
                ops[u][pc] = step;
                held[u][pc] = Rcu.heldOff(u, ops[u][pc]);
                Footprint f = code[pc].invisibleFootprint(program.config());
                invisible[u][pc] = f == null ? null : f.ofThread(u);
            }
            any |= findReloadEdges(u, code);
            keyBits[u] = keyBits(code);
            int bits = keyBits[u];
            distinctKeys[u] = java.util.stream.IntStream.range(0, STOP_KEYS).filter(k -> (k & ~bits) == 0).toArray();
        }
        pruning = enabled && any;
    }

    /**
     * The atomic { } block the op at pc falls into (the block's ops run in the op's step, see
     * {@link Ops.Atomic}): whether the op may merge, or run before the race starts, is decided on
     * them too, not on the opening note's footprint alone. None for an op inside a block (the
     * block's opening carries it) or one that does not go on to pc + 1. An atomic op jumped to
     * from outside a block is not counted: the language's blocks are entered through their note,
     * and fast_page_fault()'s return (the one such op of a kernel path) is declared by the ops
     * that lead to it ({@link FaultOps.FastPageFaultReturn}).
     */
    private static int[] block(Op[] code, int pc) {
        boolean fallsThrough = false;
        for (int q : code[pc].targets(pc)) fallsThrough |= q == pc + 1;
        if (code[pc] instanceof Ops.Atomic || !fallsThrough) return new int[0];
        int end = pc + 1;
        while (end < code.length && code[end] instanceof Ops.Atomic) end++;
        return java.util.stream.IntStream.range(pc + 1, end).toArray();
    }

    /** Fills reloadEdge, reloadVcpu and reloadMmus of thread u; whether its edges may be left out. */
    private boolean findReloadEdges(int u, Op[] code) {
        reloadEdge[u] = new int[code.length];
        java.util.Arrays.fill(reloadEdge[u], -1);
        reloadVcpu[u] = -1;
        boolean several = false;
        for (int pc = 0; pc < code.length; pc++) {
            if (!(unwrap(code[pc]) instanceof FaultOps.GuestAccess g) || g.enterGuest() < 0) continue;
            reloadEdge[u][pc] = g.enterGuest();
            several |= reloadVcpu[u] >= 0 && reloadVcpu[u] != g.vcpu();
            reloadVcpu[u] = g.vcpu();
            reloadMmus[u] |= g.nested() ? 2 : 1;
        }
        if (several || reloadVcpu[u] < 0) {
            reloadVcpu[u] = -1;
            return false;
        }
        return true;
    }

    /**
     * The threads whose guest accesses cannot enter vcpu_enter_guest()'s root handling from s on,
     * whatever runs: their vCPU has a root in each MMU they run on and no request pending, and no
     * thread's reach (with the root handling of the threads in the set left out) writes the vCPU's
     * root or request bits. The largest such set: if a vCPU's bits were ever written, the first
     * write would be in its thread's reach from s, as every thread of the set kept to its pruned
     * reach until then. It only grows as threads move: their reach only shrinks.
     */
    long pruned(VmState s) {
        if (!pruning) return 0;
        int n = reloadVcpu.length;
        long set = 0;
        for (int u = 0; u < n; u++) {
            if (mayBePruned(s, u)) set |= 1L << u;
        }
        boolean changed = set != 0;
        while (changed) {
            changed = false;
            for (int u = 0; u < n; u++) {
                if ((set >> u & 1) == 0) continue;
                long bits = Resource.vcpuRootsOf(reloadVcpu[u]);
                for (int w = 0; w < n; w++) {
                    int pc = s.threads[w].pc;
                    if (pc < ops[w].length && (reach(w, 0, (set >> w & 1) != 0)[pc] & bits) != 0) {
                        set &= ~(1L << u);
                        changed = true;
                        break;
                    }
                }
            }
        }
        return set;
    }

    /** Whether thread u is in {@link #pruned} of s: a shortcut for a thread that cannot be. */
    boolean pruned(VmState s, int u) {
        return mayBePruned(s, u) && (pruned(s) >> u & 1) != 0;
    }

    /** Whether thread u has root handling in reach, and its vCPU a root in each MMU and no request. */
    private boolean mayBePruned(VmState s, int u) {
        int v = reloadVcpu[u];
        if (!pruning || v < 0 || s.threads[u].pc >= reloadEdge[u].length) return false;
        if ((s.freeObsoleteRootsRequests & (1L << v)) != 0) return false;
        if ((reloadMmus[u] & 1) != 0 && s.root(v, false) < 0) return false;
        return (reloadMmus[u] & 2) == 0 || s.root(v, true) >= 0;
    }

    /**
     * The op's footprint f where it stands, as thread u's ({@link Footprint#ofThread}): ending the
     * thread runs its end-of-thread checks. Where a thread's pc stands is no resource:
     * rwlock_needbreak sees only threads queued on mmu_lock (mmuQueue, which the acquire itself
     * writes), not those about to take it.
     */
    private Footprint inPlace(int u, int pc, Footprint f) {
        return (ends[u][pc] ? f.union(MmuSystem.FINISH) : f).ofThread(u);
    }

    /**
     * Thread u's op at pc in place, with its footprint in s ({@link Op#footprint(VmState, int)}),
     * without the end of a grace period where u holds them off ({@link Rcu#inPlace}).
     */
    private Footprint inPlace(VmState s, int u, int pc) {
        if (!byState[u][pc] && s.config == program.config()) return staticInPlace(s, u, pc);
        return Rcu.inPlace(s, u, whole(s, u, pc));
    }

    /**
     * Thread u's op at pc in place with its whole footprint in s, the end of a grace period
     * included: what {@link Touched} records for partial-order reduction (see there).
     */
    private Footprint whole(VmState s, int u, int pc) {
        if (!byState[u][pc] && s.config == program.config()) return ops[u][pc];
        return inPlace(u, pc, program.threads().get(u).ops()[pc].footprint(s, u));
    }

    /** Thread u's op at pc in place, its static footprint ({@link #ops}, or {@link #held} where u holds off grace periods). */
    private Footprint staticInPlace(VmState s, int u, int pc) {
        Footprint h = held[u][pc]; // the same object where the op ends no grace period
        return h != ops[u][pc] && Rcu.holdsOffGracePeriods(s, u) ? h : ops[u][pc];
    }

    /** Whether op's class (an atomic block's: its op's) overrides {@link Op#footprint(VmState, int)}. */
    private static boolean footprintByState(Op op) {
        try {
            return unwrap(op).getClass().getMethod("footprint", VmState.class, int.class).getDeclaringClass() != Op.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e); // every Op has it
        }
    }

    private static Op unwrap(Op op) {
        return op instanceof Ops.Atomic a ? a.inner() : op;
    }

    /** Whether thread t's op at its pc runs in the step that brought t there. */
    boolean silent(VmState s, int t) {
        Op op = program.threads().get(t).ops()[s.threads[t].pc];
        if (op instanceof Ops.Atomic a) return a.runsNow(s, t); // atomic { }: semantics, not a reduction
        int pc = s.threads[t].pc;
        if (!enabled || !mayMove(t, pc) || op.choices(s, t) != 1) return false;
        Footprint f = staticInPlace(s, t, pc);
        if (commutes(s, t, f)) return true;
        // The footprint the state narrows (a fault-in of a present host page), where it differs
        Footprint here = inPlace(s, t, pc);
        return !here.equals(f) && commutes(s, t, here);
    }

    /**
     * {@link #silent}, before the race starts: an op that writes something shared (violation bits
     * included) stays a step, as no trace shows what runs there.
     */
    boolean silentAtStart(VmState s, int t) {
        int pc = s.threads[t].pc;
        return silent(s, t) && (program.threads().get(t).ops()[pc] instanceof Ops.Atomic || ops[t][pc].writes() == 0);
    }

    /**
     * After an op at pc that ran invisibly (need_resched() said no: it changed nothing shared), the
     * next op may run in the same step if the invisible op could as well have run just before it:
     * nothing the others can do in between changes what it read.
     */
    boolean mayMerge(VmState s, int t, int invisiblePc) {
        if (!enabled) return false;
        Op[] code = program.threads().get(t).ops();
        Footprint f = new Footprint(invisible[t][invisiblePc].reads(), 0, 0);
        return code[s.threads[t].pc].choices(s, t) == 1 && commutes(s, t, f);
    }

    /** Fails the search if thread t's op at pc ran invisibly without declaring what it then reads. */
    void checkInvisible(int t, int pc) {
        if (invisible[t][pc] == null) {
            throw new IllegalStateException(program.threads().get(t).ops()[pc].describe()
                    + " ran invisibly but declares no invisibleFootprint()");
        }
    }

    /** Whether {@link #silent} compares the op at u's pc with the others' reach: it writes nothing visible. */
    private boolean mayMove(int u, int pc) {
        return (ops[u][pc].writes() & visible) == 0;
    }

    /**
     * What thread u's merging decision at its op at pc compares with the others' future writes:
     * the op's reads if it may move ({@link #silent}), and what it reads when it runs invisibly
     * ({@link #mayMerge} of the op after it).
     */
    private long decisionReads(int u, int pc) {
        long r = mayMove(u, pc) ? ops[u][pc].reads() & ~ignored | prunedReads() : 0;
        return invisible[u][pc] == null ? r : r | invisible[u][pc].reads() | prunedReads();
    }

    /** What every merging decision reads of the state through {@link #pruned}: every vCPU's root and request bits. */
    private long prunedReads() {
        return pruning ? Resource.VCPU_ROOTS.bit() : 0;
    }

    /** What thread u's merging decision at its op at pc compares with the others' future reads and writes. */
    private long decisionWrites(int u, int pc) {
        return mayMove(u, pc) ? ops[u][pc].writes() & ~ignored : 0;
    }

    /**
     * No other thread's reachable ops conflict with f: they write nothing f reads or writes, and
     * read nothing f writes.
     */
    private boolean commutes(VmState s, int t, Footprint f) {
        long r = f.reads() & ~ignored;
        long w = f.writes() & ~ignored;
        int key = stopKey(s, t);
        long pruned = -1; // asked only where the full reach conflicts (the pruned one is a subset)
        for (int u = 0; u < ops.length; u++) {
            int pc = s.threads[u].pc;
            if (u == t || pc >= ops[u].length || !conflicts(u, key, false, pc, r, w)) continue;
            if (reloadVcpu[u] < 0 || conflicts(u, key, true, pc, r, w)) return false;
            if (pruned == -1) pruned = pruned(s);
            if ((pruned >> u & 1) == 0) return false;
        }
        return true;
    }

    /** Whether thread u's reach from pc writes what r or w name, or reads what w names. */
    private boolean conflicts(int u, int key, boolean pruned, int pc, long r, long w) {
        return (reach(u, key, pruned)[pc] & (r | w)) != 0 || w != 0 && (reachReads(u, key, pruned)[pc] & w) != 0;
    }

    static final int STOP_KEYS = 1 << 5;

    /** The locks t holds that stop others: bit 0 mmu_lock for write, 1 for read, 2-4 the mutexes. */
    static int stopKey(VmState s, int t) {
        int k = s.mmuWriter == t ? 1 : (s.mmuReaders & (1L << t)) != 0 ? 2 : 0;
        for (int m = 0; m < s.mutexOwner.length; m++) if (s.mutexOwner[m] == t) k |= 4 << m;
        return k;
    }

    /** The stop-key bits whose flip changes whether some op of code {@link #stops}. */
    private static int keyBits(Op[] code) {
        int bits = 0;
        for (int b = 1; b < STOP_KEYS; b <<= 1) {
            for (int key = 0; key < STOP_KEYS; key++) {
                for (Op op : code) if (stops(op, key) != stops(op, key ^ b)) bits |= b;
            }
        }
        return bits;
    }

    /**
     * The stop keys of thread u's distinct reach tables: each subset of its {@link #keyBits} (the
     * reach under any key is the reach under one of these).
     */
    int[] distinctKeys(int u) {
        return distinctKeys[u];
    }

    /** Whether an op is an acquire that cannot complete while the merging thread holds what key says. */
    private static boolean stops(Op op, int key) {
        if (!(unwrap(op) instanceof Ops.Acquire a)) return false;
        return switch (a.lock()) {
            case mmu_lock -> (key & 1) != 0 || ((key & 2) != 0 && a.mode() == Lock.Mode.WRITE);
            case slots_lock -> (key & 4) != 0;
            case tdp_mmu_pages_lock -> (key & 8) != 0;
            case mmu_unsync_pages_lock -> (key & 16) != 0;
            case srcu, rcu -> false;
        };
    }

    /**
     * What thread u may still write from each pc while the others hold what key says (0 past the
     * end); with pruned, its root handling left out (only for a thread of {@link #pruned}).
     */
    long[] reach(int u, int key, boolean pruned) {
        return table(Reach.WRITES, u, key, pruned);
    }

    /** What thread u may still read from each pc, as {@link #reach} (partial-order reduction). */
    long[] reachReads(int u, int key, boolean pruned) {
        return table(Reach.READS, u, key, pruned);
    }

    /** What thread u's merging decisions may still read from each pc, as {@link #reach}. */
    long[] reachDecisions(int u, int key, boolean pruned) {
        return table(Reach.DECISIONS, u, key, pruned);
    }

    /** What thread u's merging decisions may still write from each pc, as {@link #reach}. */
    long[] reachDecisionWrites(int u, int key, boolean pruned) {
        return table(Reach.DECISION_WRITES, u, key, pruned);
    }

    /** The table of kind r, computed once per key the thread's acquires can tell apart. */
    private long[] table(Reach r, int u, int key, boolean pruned) {
        long[][] tables = reachTables[r.ordinal()][pruned ? 1 : 0][u];
        key &= keyBits[u];
        if (tables[key] == null) tables[key] = computeReach(u, key, r, pruned);
        return tables[key];
    }

    private enum Reach { WRITES, READS, DECISIONS, DECISION_WRITES }

    /**
     * Fixpoint over u's control flow: reach[pc] = writes(pc) (or reads) and, unless the op at pc
     * is an acquire that stops, the reach of its targets (with pruned, but for a guest access's
     * root handling). A stopping acquire still counts itself (it may queue). One entry past the
     * end: a finished thread does nothing.
     */
    private long[] computeReach(int u, int key, Reach what, boolean pruned) {
        Op[] code = program.threads().get(u).ops();
        long[] w = new long[code.length + 1];
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int pc = code.length - 1; pc >= 0; pc--) {
                long nw = switch (what) {
                    case WRITES -> own[u][pc].writes();
                    case READS -> own[u][pc].reads();
                    case DECISIONS -> decisionReads(u, pc);
                    case DECISION_WRITES -> decisionWrites(u, pc);
                };
                if (!stops(code[pc], key)) {
                    int skip = pruned ? reloadEdge[u][pc] : -1;
                    for (int q : code[pc].targets(pc)) {
                        if (q < code.length && q != skip) nw |= w[q];
                    }
                }
                if (nw != w[pc]) {
                    w[pc] = nw;
                    changed = true;
                }
            }
        }
        return w;
    }

    /**
     * What a step read and wrote as it ran, for partial-order reduction: the ops it ran (in
     * place, see {@link #inPlace}, but with their whole footprints: where the thread holds grace
     * periods off the end of one is no part of what they touch, yet with it left out the search
     * expanded more states again under sleep sets than it saved; docs/performance.md, census13)
     * and the footprint of the op it decided not to merge against the other threads' reach
     * ({@code decided}, {@code decidedWrites}: that decision depends on where they are; one to
     * merge does not change as they move on, their reach only shrinks).
     */
    static final class Touched {
        long reads;
        long writes;
        /** Compared with the others' future writes. */
        long decided;
        /** Compared with the others' future reads and writes. */
        long decidedWrites;

        /** Thread t ran its op at pc from s (the op's footprint in s: see {@link Op#footprint(VmState, int)}). */
        void ran(StepMerging m, VmState s, int t, int pc) {
            Footprint f = m.whole(s, t, pc);
            reads |= f.reads();
            writes |= f.writes();
        }

        /**
         * The op at pc was decided not to merge (after an invisible op at invisiblePc, or -1). An
         * op that writes something visible is never silent, whatever the state: only then does
         * the decision compare nothing. Of the others' reach, {@link #silent} compares the op's
         * footprint (if it may move; where t holds off grace periods, the one without their end,
         * which only t's own ops change: the whole one recorded here holds it) and {@link #mayMerge}
         * the invisible op's reads: only those are decided; the op's {@code choices} reads the
         * state, and so does the choice of the threads whose root handling is left out
         * ({@link #pruned}: every vCPU's root bits).
         */
        void decided(StepMerging m, int t, int pc, int invisiblePc) {
            if (m.program.threads().get(t).ops()[pc] instanceof Ops.Atomic) {
                // An atomic op waits (Ops.Atomic#runsNow) on what its op reads: a lock, the srcu readers
                long r = m.ops[t][pc].reads();
                decided |= r;
                reads |= r;
                return;
            }
            if (!m.enabled || (invisiblePc < 0 && !m.mayMove(t, pc))) return;
            Footprint f = m.ops[t][pc];
            long r = m.mayMove(t, pc) ? f.reads() & ~m.ignored : 0;
            if (invisiblePc >= 0) r |= m.invisible[t][invisiblePc].reads();
            r |= m.prunedReads();
            decided |= r;
            decidedWrites |= m.decisionWrites(t, pc);
            reads |= r | f.reads();
        }
    }
}
