package dev.mmu.runtime.paths;

import dev.mmu.runtime.explore.PackedKey;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.explore.TransitionSystem;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.StateWriter;
import dev.mmu.runtime.model.VmState;
import java.util.ArrayList;
import java.util.List;

/**
 * A compiled scenario as a transition system: a step runs one thread's next op (plus the ops after
 * it that {@link StepMerging} proves no other thread can tell apart). The setup runs first,
 * single-threaded and deterministically.
 */
public final class MmuSystem implements TransitionSystem<VmState> {
    /** More ops than any real setup runs: a setup past it loops (the explorer's budgets do not apply yet). */
    public static final int MAX_SETUP_OPS = 1_000_000;
    /**
     * Silent ops (local arithmetic, jumps) run within the step before them; a loop of nothing but
     * silent ops would make that step endless and out of reach of every budget. After this many the
     * thread goes on to the op its step started at, and rests there if the loop comes back to it (else
     * after as many again), so the loop takes steps like any other. Resting where the step started, not
     * where the count ran out, keeps the state independent of the loop's length: a no-op in the loop
     * changed the count's resting pc, and with it the states and a lasso's trace (trial18).
     */
    private static final int MAX_SILENT_RUN = 1 << 16;
    private final Program program;
    private final VmState initial;
    private final VcpuSymmetry symmetry;
    private final long unreadStats;
    /** Live locals per thread and pc ({@link LiveLocals}); null: every local kept in the key. */
    private final java.util.BitSet[][] liveLocals;
    private final StepMerging merging;
    private final Independence independence;
    /** What the setup printed, step by step, for explain and traces. */
    private final List<String> setupTrace = new ArrayList<>();

    public MmuSystem(Program program) {
        this(program, true);
    }

    /**
     * @param mergeSteps false: every op is a step of its own (but inside {@code atomic { }}), the
     *                   reference that differential tests compare step merging against
     */
    public MmuSystem(Program program, boolean mergeSteps) {
        this(program, mergeSteps, true);
    }

    /**
     * @param deadLocals false: every local stays in the state key (the reference that differential
     *                   tests compare dead-locals elimination against)
     */
    public MmuSystem(Program program, boolean mergeSteps, boolean deadLocals) {
        this.program = program;
        this.liveLocals = deadLocals ? LiveLocals.of(program) : null;
        this.merging = new StepMerging(program, mergeSteps);
        this.initial = runSetup();
        this.symmetry = new VcpuSymmetry(program, liveLocals);
        this.unreadStats = program.unreadStatsMask();
        this.independence = new Independence(this, program, merging);
    }

    private VmState runSetup() {
        var c = program.config();
        VmState s = new VmState(c, 1, new int[] {program.setup().localNames().size()}, Host.backingPages(c));
        s.root = FastZap.allocRoot(s, c.tdpLevels(), c.mmu() != dev.mmu.runtime.model.Mmu.SHADOW, c.vcpus());
        java.util.Arrays.fill(s.vcpuRoots, s.root); // every vCPU has loaded it (kvm_mmu_load)
        if (c.mmu() == dev.mmu.runtime.model.Mmu.BOTH) {
            ShadowPage nested = s.allocSp(c.tdpLevels(), 0, false);
            nested.rootCount = c.vcpus();
            s.nestedRoot = nested.id;
            java.util.Arrays.fill(s.vcpuNestedRoots, s.nestedRoot); // and its L2 root (kvm_mmu_load of guest_mmu)
        }
        Op[] ops = program.setup().ops();
        Program setupOnly = new Program(c, program.setup(), List.of(program.setup()), program.trackMetrics());
        StepMerging alone = new StepMerging(setupOnly, true);
        for (long ran = 0; s.threads[0].pc < ops.length; ) {
            int pc = s.threads[0].pc;
            Op op = ops[pc];
            if (op.choices(s, 0) == 0) {
                throw ScenarioError.setup(pc, "the setup blocks at " + op.describe()
                        + ": no thread runs before the setup ends, so nothing can let it go on");
            }
            if (op instanceof Ops.Choose) {
                throw ScenarioError.setup(pc, "choose in the setup: the setup runs once, deterministically");
            }
            if (ran >= MAX_SETUP_OPS) {
                throw ScenarioError.setup(pc, "the setup runs more than " + MAX_SETUP_OPS
                        + " operations: it does not end");
            }
            StringBuilder sb = new StringBuilder();
            Exec e = new Exec(setupOnly, s, 0, sb);
            try {
                ran += runStep(alone, e, ops, op, 0);
            } catch (ScenarioError err) {
                throw err.inSetup(pc);
            }
            if (sb.length() > 0) setupTrace.add(sb.toString());
        }
        int[] nlocals = program.threads().stream().mapToInt(t -> t.localNames().size()).toArray();
        VmState ready = s.withThreads(nlocals);
        for (int t = 0; t < nlocals.length; t++) settle(ready, t);
        ready.hashCode();
        return ready;
    }

    /**
     * Runs a thread's leading silent ops that write nothing shared (parameter binding, local
     * arithmetic), up to MAX_SILENT_RUN of them: no trace shows what runs before the race, and the
     * end-of-thread checks run only at the end of a step.
     */
    private void settle(VmState s, int t) {
        Op[] ops = program.threads().get(t).ops();
        Exec e = new Exec(program, s, t, null);
        for (int run = 0; run < MAX_SILENT_RUN && s.threads[t].pc < ops.length && merging.silentAtStart(s, t); run++) {
            e.nextPc = s.threads[t].pc + 1;
            ops[s.threads[t].pc].exec(e, 0);
            e.self().pc = e.nextPc;
        }
    }

    public Program program() {
        return program;
    }

    public List<String> setupTrace() {
        return List.copyOf(setupTrace);
    }

    @Override
    public VmState initial() {
        return initial;
    }

    @Override
    public void successors(VmState s, List<Transition<VmState>> out) {
        for (int t = 0; t < s.threads.length; t++) {
            Op[] ops = program.threads().get(t).ops();
            int pc = s.threads[t].pc;
            if (pc >= ops.length) continue;
            Op op = ops[pc];
            int n = op.choices(s, t);
            int first = out.size();
            for (int c = 0; c < n; c++) {
                VmState next = step(s, t, c, null);
                if (!sameAsEarlierChoice(out, first, next)) out.add(new Transition<>(t, c, next));
            }
        }
    }

    /** A choice that leads where an earlier choice of the same step led is the same transition. */
    static boolean sameAsEarlierChoice(List<Transition<VmState>> out, int from, VmState next) {
        for (int i = from; i < out.size(); i++) {
            if (out.get(i).target().equals(next)) return true;
        }
        return false;
    }

    /** The step merging of this system (tests ask it which root handling is out of reach). */
    StepMerging merging() {
        return merging;
    }

    /** Runs one step of thread t with choice c; with a non-null trace, describes it there. */
    public VmState step(VmState s, int t, int c, StringBuilder trace) {
        return step(s, t, c, trace, null, null);
    }

    /** The ops the step ran, its first and those merged into it (a trace's length in kernel steps). */
    @Override
    public int width(VmState s, Transition<VmState> t) {
        VmState n = s.copy();
        Op[] ops = program.threads().get(t.thread()).ops();
        return runStep(merging, new Exec(program, n, t.thread(), null), ops, ops[n.threads[t.thread()].pc], t.choice());
    }

    /**
     * One step described in {@code trace}, as {@link #step(VmState, int, int, StringBuilder)}; {@code opStarts}
     * gets the index of the first clause of each op merged into it after the first (a clause is a
     * "; "-separated part of the description), so that a report can cut the step after an op.
     */
    public VmState step(VmState s, int t, int c, StringBuilder trace, List<Integer> opStarts) {
        return step(s, t, c, trace, null, opStarts);
    }

    /** One step, telling {@code touched} (if not null) what it read and wrote ({@link Independence}). */
    VmState step(VmState s, int t, int c, StringBuilder trace, StepMerging.Touched touched) {
        return step(s, t, c, trace, touched, null);
    }

    private VmState step(VmState s, int t, int c, StringBuilder trace, StepMerging.Touched touched, List<Integer> opStarts) {
        VmState n = s.copy();
        Op[] ops = program.threads().get(t).ops();
        Exec e = new Exec(program, n, t, trace);
        e.opStarts = opStarts;
        Op op = ops[n.threads[t].pc];
        try {
            runStep(merging, e, ops, op, c, touched);
        } catch (ScenarioError err) {
            throw err.inThread(t, n.threads[t].pc); // the op that raised it: runStep advances pc after each op
        }
        boolean described = trace != null && trace.length() == 0;
        if (described) trace.append(op.describe());
        if (e.structural != null) e.structural.insert(opStarts, described);
        if (!described && trace != null && (op instanceof Ops.Call || op instanceof Ops.VcpuCall)
                && trace.indexOf("SPTE L") == 0) {
            // A primitive whose first note is a bare SPTE change (an rmap handler's zap) is named
            // before it: "SPTE L1[1] gfn 0x201 ... -> non-present" alone did not say who (trial9).
            trace.insert(0, op.describe() + "; ");
            if (opStarts != null) opStarts.replaceAll(i -> i + 1);
        }
        return n;
    }

    /**
     * Runs op, then every op that follows it unseen: silent ops, and after an invisible op (a
     * need_resched() that said no) the next op too if the invisible one commutes with what the
     * others can do meanwhile (see {@link StepMerging}). Returns how many ran.
     */
    private static int runStep(StepMerging merging, Exec e, Op[] ops, Op op, int choice) {
        return runStep(merging, e, ops, op, choice, null);
    }

    /** As above, telling {@code touched} (if not null) what the step ran and what its merging decisions read. */
    private static int runStep(StepMerging merging, Exec e, Op[] ops, Op op, int choice, StepMerging.Touched touched) {
        var self = e.self();
        int at = self.pc;
        if (touched != null) touched.ran(merging, e.s, e.thread, at);
        op.exec(e, choice);
        assert contains(op.targets(at), e.nextPc) : op.describe() + " went to " + e.nextPc + ", not a declared target";
        self.pc = e.nextPc;
        if (e.structural != null) e.structural.afterOp();
        if (e.invisible) merging.checkInvisible(e.thread, at);
        int invisibleAt = e.invisible ? at : -1;
        int run = 0;
        int start = at;
        for (; self.pc < ops.length && (run < MAX_SILENT_RUN || self.pc != start && run < 2 * MAX_SILENT_RUN); run++) {
            Op next = ops[self.pc];
            boolean silent = merging.silent(e.s, e.thread);
            if (!silent && !(invisibleAt >= 0 && merging.mayMerge(e.s, e.thread, invisibleAt))) {
                // Only a decision not to merge can change as the others move on (their reach only shrinks)
                if (touched != null) touched.decided(merging, e.thread, self.pc, invisibleAt);
                break;
            }
            if (!silent) {
                e.invisible = false;
                invisibleAt = -1;
            }
            // A grace period ends between two ops as between two steps (a merged op may read what it frees)
            if (!(next instanceof Ops.Atomic)) Rcu.maybeEndGracePeriod(e);
            at = self.pc;
            e.nextPc = at + 1;
            if (touched != null) touched.ran(merging, e.s, e.thread, at);
            e.opStart();
            next.exec(e, 0);
            assert contains(next.targets(at), e.nextPc) : next.describe() + " went to " + e.nextPc;
            self.pc = e.nextPc;
            if (e.structural != null) e.structural.afterOp();
            if (e.invisible && invisibleAt < 0) {
                merging.checkInvisible(e.thread, at);
                invisibleAt = at;
            }
        }
        if (self.pc >= ops.length) finishThread(e);
        Rcu.maybeEndGracePeriod(e); // call_rcu callbacks run once no reader is left, wherever the step was
        if (e.structural != null) e.structural.afterOp();
        return run + 1;
    }

    private static boolean contains(int[] targets, int pc) {
        for (int q : targets) if (q == pc) return true;
        return false;
    }

    /**
     * What {@link #finishThread} reads and may record: the op that ends a thread does it too. It
     * reads only the ending thread's own lock holdings, invalid_list and open invalidations, which
     * no other thread changes (a thread queued for mmu_lock is not at its end), so nothing shared
     * (the invalidated range it names is the trace's text, not the verdict).
     */
    public static final Footprint FINISH = Footprint.updates(Resource.VIOLATIONS);

    /**
     * What the end of the last thread reads besides: the root-reference check reads every root,
     * its references and the vCPUs' roots. The search and step merging may go by {@link #FINISH}
     * alone: no other thread has a step left to order against this one, and every order of the
     * same steps ends in the same state, checked by whichever step ends the last thread.
     */
    public static final Footprint LAST_FINISH = FINISH.union(Footprint.reads(Resource.SPTE, Resource.INVALID_ROOTS,
            Resource.VCPU_ROOTS));

    /** The footprint of thread t's end in s: {@link #LAST_FINISH} if it is the last thread to end. */
    public Footprint finish(VmState s, int t) {
        return lastToEnd(program, s, t) ? LAST_FINISH : FINISH;
    }

    /**
     * A thread that ends holding a lock breaks lock_balance (the kernel would leak it), and so does
     * one that ends inside an invalidation it began: the mm pairs _start and _end in one task.
     */
    private static void finishThread(Exec e) {
        for (LockId l : LockId.values()) {
            if (Lock.held(e.s, e.thread, l)) e.violate(Invariant.lock_balance, "thread ends holding " + l);
        }
        if (e.self().invalidating > 0) {
            VmState s = e.s;
            e.violate(Invariant.lock_balance, "thread ends inside the invalidation of gfn 0x"
                    + Long.toHexString(s.mmuInvalidateRangeStart) + "..0x" + Long.toHexString(s.mmuInvalidateRangeEnd)
                    + " it began (kvm_mmu_invalidate_start, no kvm_mmu_invalidate_end): mmu_invalidate_in_progress stays "
                    + s.mmuInvalidateInProgress + ", every fault on the range retries for ever and memslot updates"
                    + " wait for ever on mn_active_invalidate_count");
        }
        if (e.self().invalidList.length > 0) {
            e.violate(Invariant.page_table_leak, "thread ends with a non-empty invalid_list");
        }
        if (e.self().unusedSp != 0) {
            e.violate(Invariant.page_table_leak, "thread ends holding the sp of a failed tdp_mmu_link_sp, not freed"
                    + " (tdp_mmu_free_unused_sp)");
        }
        if (lastToEnd(e.program, e.s, e.thread)) {
            String leak = Invariants.leakedRootReference(e.s);
            if (leak != null) e.violate(Invariant.page_table_leak, "every thread has ended, and " + leak);
        }
    }

    /** Whether every thread but t has ended. */
    private static boolean lastToEnd(Program p, VmState s, int t) {
        for (int u = 0; u < s.threads.length; u++) {
            if (u != t && s.threads[u].pc < p.threads().get(u).ops().length) return false;
        }
        return true;
    }

    /**
     * The visited sets store the compact encoding, not the state's object graph. It is exact
     * except for stats nothing reads (Program#unreadStatsMask, e.g. remote_tlb_flush when no
     * expression mentions it) and dead locals ({@link LiveLocals}): states that differ only there
     * have the same futures and the same verdicts, so they are one state for the search.
     */
    @Override
    public Object key(VmState s) {
        StateWriter w = new StateWriter();
        s.encode(w, unreadStats, liveLocals);
        return new PackedKey(w.toBytes(), w.cuts()); // one word-wise 64-bit hash of the bytes; parts stored apart
    }

    /** Which steps commute, from their footprints: see {@link Independence}. */
    @Override
    public dev.mmu.runtime.explore.Dependencies<VmState> dependencies() {
        return independence;
    }

    /** vCPU threads with equal programs (up to the vCPU number) sorted: see {@link VcpuSymmetry}. */
    @Override
    public VmState canonical(VmState s) {
        return symmetry.trivial() ? s : symmetry.canonical(s);
    }

    /** Where {@link #canonical} takes the threads: see {@link VcpuSymmetry}. */
    @Override
    public int[] canonicalThreads(VmState s) {
        return symmetry.canonicalThreads(s);
    }

    @Override
    public boolean finished(VmState s) {
        for (int t = 0; t < s.threads.length; t++) {
            if (s.threads[t].pc < program.threads().get(t).ops().length) return false;
        }
        return true;
    }

    /**
     * Who waits for whom in a state where no thread can run and not all have finished: for each
     * unfinished thread the locks it holds and the one it waits for ("admin holds mutex_lock(slots_lock),
     * waits for write_lock(mmu_lock)"), or that it cannot run (synchronize_srcu() with readers left,
     * say); threads "; "-separated. Null if the state is no deadlock.
     */
    public String stuck(VmState s) {
        if (finished(s)) return null;
        List<String> parts = new ArrayList<>();
        for (int t = 0; t < s.threads.length; t++) {
            Op[] ops = program.threads().get(t).ops();
            int pc = s.threads[t].pc;
            if (pc >= ops.length) continue;
            if (ops[pc].choices(s, t) != 0) return null;
            List<String> held = new ArrayList<>();
            for (LockId lock : LockId.values()) {
                if (!Lock.held(s, t, lock)) continue;
                Lock.Mode mode = lock == LockId.mmu_lock && s.mmuWriter != t ? Lock.Mode.READ : Lock.Mode.WRITE;
                held.add(Lock.name(lock, lock == LockId.srcu || lock == LockId.rcu ? Lock.Mode.READ : mode, true));
            }
            Op op = ops[pc] instanceof Ops.Atomic a ? a.inner() : ops[pc];
            String name = threadName(t);
            String holds = held.isEmpty() ? "" : " holds " + String.join(" and ", held);
            if (op instanceof Ops.Acquire a) {
                boolean self = a.lock() == LockId.mmu_lock
                        ? s.mmuWriter == t || a.mode() == Lock.Mode.WRITE && (s.mmuReaders & (1L << t)) != 0
                        : Lock.held(s, t, a.lock());
                parts.add(name + holds + (holds.isEmpty() ? "" : ",") + " waits for " + Lock.name(a.lock(), a.mode(), true)
                        + (self ? ", held by this thread itself, queued behind itself for ever" : ""));
            } else {
                parts.add(name + holds + (holds.isEmpty() ? "" : ",") + " cannot run");
            }
        }
        return String.join("; ", parts);
    }

    @Override
    public int threadCount() {
        return program.threads().size();
    }

    @Override
    public String threadName(int thread) {
        return program.threads().get(thread).name();
    }
}
