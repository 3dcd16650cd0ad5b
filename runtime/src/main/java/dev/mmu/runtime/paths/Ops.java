package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;

/** The control-flow and locking ops every path is made of, built-in or user-written. */
public final class Ops {
    private Ops() {}

    /**
     * Takes a lock; blocks (no choice) while another thread holds it. On mmu_lock a thread that
     * cannot get it first queues (one step) and then only the oldest waiter may take it, as with
     * qrwlock's FIFO wait queue: a thread that keeps re-taking the lock cannot starve a waiter.
     */
    public record Acquire(LockId lock, Lock.Mode mode) implements Op {
        public int choices(VmState s, int thread) {
            if (Lock.available(s, thread, lock, mode)) return 1;
            return queues(s, thread) ? 1 : 0;
        }

        public void exec(Exec e, int choice) {
            // lockdep checks at the attempt (rwlock_acquire_read() before LOCK_CONTENDED), taken or queued.
            if (Lock.recursiveRead(e.s, e.thread, lock, mode)) e.violate(Invariant.lockdep, Lock.RECURSIVE_READ);
            if (Lock.available(e.s, e.thread, lock, mode)) {
                Lock.acquire(e, lock, mode);
                return;
            }
            int[] q = java.util.Arrays.copyOf(e.s.mmuQueue, e.s.mmuQueue.length + 1);
            q[q.length - 1] = e.thread;
            e.s.mmuQueue = q;
            e.nextPc = e.self().pc;
            e.note(Lock.name(lock, mode, true) + ": held, queued (newcomers wait behind)");
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            Resource r = Resource.of(lock);
            return switch (lock) {
                // Spinning for it and holding it disable preemption: an RCU read-side section (Rcu);
                // a nested read_lock() is lockdep's (Lock.recursiveRead)
                case mmu_lock -> Footprint.updates(r, Resource.METRICS, Resource.RCU_SELF).andUpdates(Resource.VIOLATIONS);
                // The mutexes' lockdep checks read only whether this thread holds mmu_lock or
                // srcu, which no other thread changes (see Primitive#footprint).
                case slots_lock -> Footprint.updates(r).andUpdates(Resource.VIOLATIONS);
                case tdp_mmu_pages_lock, mmu_unsync_pages_lock ->
                        Footprint.updates(r, Resource.RCU_SELF).andUpdates(Resource.VIOLATIONS);
                case srcu -> Footprint.updates(Resource.SRCU_SELF); // only this thread's reader bit
                case rcu -> Footprint.updates(Resource.RCU_SELF); // only this thread's read side
            };
        }

        /**
         * rcu_read_lock() where the thread already holds off grace periods (preemption disabled,
         * or nested) changes nothing another thread can see: only its own nesting.
         */
        public Footprint footprint(VmState s, int thread) {
            return lock == LockId.rcu && Rcu.holdsOffGracePeriods(s, thread) ? Footprint.LOCAL : footprint();
        }

        /** Taken (pc + 1) or queued behind the lock's holder (pc again). */
        public int[] targets(int pc) {
            return new int[] {pc, pc + 1};
        }

        private boolean queues(VmState s, int thread) {
            if (lock != LockId.mmu_lock) return false;
            for (int t : s.mmuQueue) if (t == thread) return false;
            return true;
        }

        public String describe() {
            return Lock.name(lock, mode, true);
        }
    }

    /**
     * What releasing a lock may touch: a lock not held is a lock_balance violation; mmu_lock's
     * unlock checks for stale TLB entries; the last rcu reader, or the end of a region with
     * preemption disabled (mmu_lock, a spinlock), may end the grace period, which frees the queued tables.
     */
    static Footprint release(LockId lock) {
        // srcu, rcu: this thread's reader bit; mmu_lock and the spinlocks end a preemption-disabled region
        Resource r = lock == LockId.srcu ? Resource.SRCU_SELF : lock == LockId.rcu ? Resource.RCU_SELF : Resource.of(lock);
        Footprint f = Footprint.updates(r).andUpdates(Resource.VIOLATIONS);
        return switch (lock) {
            case mmu_lock -> f.union(Tlbs.STALE_CHECK).union(Rcu.GRACE_PERIOD).andUpdates(Resource.RCU_SELF);
            case tdp_mmu_pages_lock, mmu_unsync_pages_lock -> f.union(Rcu.GRACE_PERIOD).andUpdates(Resource.RCU_SELF);
            case rcu -> f.union(Rcu.GRACE_PERIOD);
            case slots_lock -> f.andUpdates(Resource.MEMSLOTS); // a dirty-log window left open (Lock.release)
            case srcu -> f;
        };
    }

    public record Release(LockId lock) implements Op {
        public void exec(Exec e, int choice) {
            Lock.release(e, lock);
            if (lock == LockId.rcu) Rcu.maybeEndGracePeriod(e);
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return release(lock);
        }

        /**
         * slots_lock ends a dirty-log window only where one is open (a dirty-log ioctl returning). rcu_read_unlock() with preemption disabled leaves the thread in a read-side
         * section and ends no grace period: only its own nesting changes.
         */
        public Footprint footprint(VmState s, int thread) {
            if (lock == LockId.slots_lock && s.dirtyLogBusy == 0) {
                return Footprint.updates(Resource.SLOTS_LOCK).andUpdates(Resource.VIOLATIONS);
            }
            if (lock == LockId.rcu && Lock.held(s, thread, lock) && Rcu.preemptionDisabled(s, thread)) {
                return Footprint.LOCAL;
            }
            return release(lock);
        }

        public String describe() {
            return "release " + lock;
        }
    }

    /**
     * {@code if (need_resched() || rwlock_needbreak(&kvm->mmu_lock))}: need_resched() is the
     * scheduler's free choice, so the explorer takes both branches, unless rwlock_needbreak() is
     * true (Lock#rwlockNeedbreak), which leaves only the yes branch.
     * Choice 0 = no (jump to {@code otherwise}), 1 = yes (fall through).
     */
    public record NeedResched(int otherwise) implements Op {
        public int choices(VmState s, int thread) {
            return Lock.rwlockNeedbreak(s) ? 1 : 2;
        }

        public void exec(Exec e, int choice) {
            boolean needbreak = Lock.rwlockNeedbreak(e.s);
            e.invisible = true;
            if (choice == 0 && !needbreak) {
                e.nextPc = otherwise;
            } else {
                e.note(needbreak ? "rwlock_needbreak(mmu_lock): a waiter" : "need_resched() true");
            }
        }

        /** need_resched() reads nothing shared; rwlock_needbreak() reads mmu_lock's queue. */
        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Footprint.reads(Resource.MMU_LOCK);
        }

        public Footprint invisibleFootprint() {
            return footprint();
        }

        public Footprint footprint(dev.mmu.runtime.model.VmConfig config) {
            return Lock.needbreak(config);
        }

        public Footprint invisibleFootprint(dev.mmu.runtime.model.VmConfig config) {
            return Lock.needbreak(config);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, otherwise};
        }

        public String describe() {
            return "if need_resched";
        }
    }

    /**
     * {@code choose { } or { }}: the scenario writer's free choice, one scheduler choice per
     * branch (a branch starts at its target). It reads nothing shared, so it joins the next step.
     */
    public record Choose(java.util.List<Integer> branches) implements Op {
        public int choices(VmState s, int thread) {
            return branches.size();
        }

        public void exec(Exec e, int choice) {
            e.invisible = true;
            e.nextPc = branches.get(choice);
            e.note("choose: branch " + (choice + 1) + " of " + branches.size());
        }

        /** It reads no local: the locals of a finished access are dead at a choose ({@link LiveLocals}). */
        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Footprint.LOCAL;
        }

        public Footprint invisibleFootprint() {
            return Footprint.LOCAL;
        }

        public int[] targets(int pc) {
            return branches.stream().mapToInt(Integer::intValue).toArray();
        }

        public String describe() {
            return "choose";
        }
    }

    /**
     * {@code x = e} on a {@code global}: one store, a step of its own (C's plain store); in a trace
     * also where it runs inside an atomic block's step.
     */
    public record SetGlobal(int index, Expr value, String text) implements Op {
        public void exec(Exec e, int choice) {
            e.s.setGlobal(index, value.eval(e.s, e.thread));
            e.note(text);
        }

        public int[] localsRead() {
            return value.locals();
        }

        public Footprint footprint() {
            return value.footprint().andWrites(Resource.GLOBALS);
        }

        public String describe() {
            return text;
        }
    }

    /** Reading a global: what the expression {@code x} of a {@code global x} reads. */
    public static Expr global(int index) {
        return new Global(index);
    }

    /** A global's value: a value (equal when its index is), so twin vCPUs that load it have equal programs. */
    record Global(int index) implements Expr {
        private static final Footprint READS = Footprint.reads(Resource.GLOBALS);

        public long eval(VmState s, int thread) {
            return s.globals[index];
        }

        public Footprint footprint() {
            return READS;
        }

        public int[] locals() {
            return LiveLocals.NONE;
        }
    }

    /**
     * {@code try_cmpxchg(x, old, new)} on a global, as the kernel's try_cmpxchg() (and
     * try_cmpxchg64() on an SPTE in tdp_mmu_set_spte_atomic()): one atomic step that stores new if
     * x still equals the local old, else loads x's current value into old; the result is success
     * (a {@link ValueOp}).
     */
    public record TryCmpxchg(int index, int oldSlot, Expr value, int result, String text, int unless, boolean negate)
            implements ValueOp {
        public TryCmpxchg(int index, int oldSlot, Expr value, int result, String text) {
            this(index, oldSlot, value, result, text, -1, false);
        }

        public TryCmpxchg branch(int unless, boolean negate) {
            return new TryCmpxchg(index, oldSlot, value, -1, text, unless, negate);
        }

        public void exec(Exec e, int choice) {
            long current = e.s.globals[index];
            long[] locals = e.self().locals;
            boolean swapped = current == locals[oldSlot];
            if (swapped) {
                e.s.setGlobal(index, value.eval(e.s, e.thread));
            } else {
                locals[oldSlot] = current;
            }
            if (e.tracing()) e.note(text + (swapped ? ": swapped" : ": failed, old = " + current));
            deliver(e, swapped ? 1 : 0, result, unless, negate);
        }

        public int[] localsRead() {
            return Expr.locals(value, Expr.local(oldSlot));
        }

        public int[] localsWritten(int pc, int target) {
            return written(result);
        }

        public int[] targets(int pc) {
            return Ops.targets(pc, unless);
        }

        public Footprint footprint() {
            return value.footprint().andReads(Resource.GLOBALS).andWrites(Resource.GLOBALS);
        }

        public String describe() {
            return text;
        }
    }

    public record Jump(int target) implements Op {
        public void exec(Exec e, int choice) {
            e.nextPc = target;
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Footprint.LOCAL;
        }

        public int[] targets(int pc) {
            return new int[] {target};
        }

        public String describe() {
            return "goto " + target;
        }
    }

    /** Jumps to target when cond is zero (false). */
    public record JumpUnless(Expr cond, int target, String text) implements Op {
        public void exec(Exec e, int choice) {
            if (cond.eval(e.s, e.thread) == 0) e.nextPc = target;
        }

        public int[] localsRead() {
            return cond.locals();
        }

        public Footprint footprint() {
            return cond.footprint();
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, target};
        }

        public String describe() {
            return "if " + text;
        }
    }

    public record Assign(int slot, Expr value, String text) implements Op {
        public void exec(Exec e, int choice) {
            e.self().locals[slot] = value.eval(e.s, e.thread);
        }

        public int[] localsRead() {
            return value.locals();
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {slot};
        }

        public Footprint footprint() {
            return value.footprint();
        }

        public String describe() {
            return text;
        }
    }

    /** {@code assert EXPR}: a false assertion stops the thread and is reported as a failure. */
    public record Assert(Expr cond, String text) implements Op {
        public void exec(Exec e, int choice) {
            if (cond.eval(e.s, e.thread) == 0) {
                e.s.assertFailed = true;
                e.note("assert " + text + " FAILED");
            }
        }

        public int[] localsRead() {
            return cond.locals();
        }

        public Footprint footprint() {
            return cond.footprint().andUpdates(Resource.VIOLATIONS);
        }

        public String describe() {
            return "assert " + text;
        }
    }

    /**
     * {@code WARN_ON_ONCE(EXPR)}: the condition's value decides nothing here (an `if` on it is its
     * own op); when it holds, the kernel's splat, as {@code kernel_warning}. It reads what its
     * condition reads and nothing else, so it runs in the step of the op before it.
     */
    public record Warn(Expr cond, String text) implements Op {
        public void exec(Exec e, int choice) {
            if (cond.eval(e.s, e.thread) != 0) e.violate(Invariant.kernel_warning, "WARNING: " + text);
        }

        public int[] localsRead() {
            return cond.locals();
        }

        public Footprint footprint() {
            return cond.footprint().andUpdates(Resource.VIOLATIONS);
        }

        public String describe() {
            return text;
        }
    }

    /**
     * __might_resched() (kernel/sched/core.c:9214, v7.2; from cond_resched_rwlock_*() and
     * might_sleep()) where sleeping is prohibited: the mm runs a non-blockable range's
     * invalidate_range_start() between non_block_start() and non_block_end() (mm/mmu_notifier.c:596),
     * so a sleep there is the splat "BUG: sleeping function called from invalid context" (non_block: 1).
     * Emitted only where the compiler put a sleep in such a callback, the range's locals at range.
     */
    public record MightResched(int range, String text) implements Op {
        public void exec(Exec e, int choice) {
            e.violate(Invariant.kernel_warning, "BUG: sleeping function called from invalid context " + text
                    + " inside the non-blockable invalidate_range_start() of 0x" + Long.toHexString(e.s.threads[e.thread].locals[range])
                    + "..0x" + Long.toHexString(e.s.threads[e.thread].locals[range + 1]) + " (__might_resched(): non_block: 1)");
        }

        public int[] localsRead() {
            return new int[] {range, range + 1};
        }

        public Footprint footprint() {
            return Footprint.updates(Resource.VIOLATIONS);
        }

        public String describe() {
            return "__might_resched(): " + text;
        }
    }

    /**
     * The lockdep_assert_held*() a kernel function makes on entry, for a primitive the compiler
     * expands into a walk: the walk's own ops check the lock only where they store, so a walk that
     * finds nothing to change checked nothing. Like {@link Primitive#footprint} it reads only
     * whether this thread holds the lock, which no other thread changes.
     */
    public record LockdepAssert(Lockdep lockdep, String function) implements Op {
        public void exec(Exec e, int choice) {
            if (!lockdep.satisfied(e.s, e.thread)) {
                e.violate(Invariant.lockdep, function + "() needs " + lockdep.unmet(e.s, e.thread));
            }
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Footprint.updates(Resource.VIOLATIONS);
        }

        public String describe() {
            return function + "(): lockdep_assert " + lockdep.describe();
        }
    }

    /**
     * An op inside {@code atomic { }}: it runs in the same step as the op before it, taking no
     * scheduler choice (need_resched() is false inside), so nothing interleaves in the block. An op
     * that must wait (a lock another thread holds, synchronize_srcu() with readers left) ends the
     * step before it, as Promela's atomic does: the thread waits there as it would outside the
     * block (queuing on mmu_lock first) and runs the rest of the block in one step once it may.
     */
    public record Atomic(Op inner) implements Op {
        /** 1 if the op may run now or queue; 0 while it waits. */
        public int choices(VmState s, int thread) {
            return inner.choices(s, thread) == 0 ? 0 : 1;
        }

        /** Whether the op may run within the step before it: not if it waits, nor if it would only queue. */
        boolean runsNow(VmState s, int thread) {
            if (inner instanceof Acquire a) return Lock.available(s, thread, a.lock(), a.mode());
            return inner.choices(s, thread) != 0;
        }

        public void exec(Exec e, int choice) {
            inner.exec(e, 0);
            e.invisible = false;
        }

        public int[] localsRead() {
            return inner.localsRead();
        }

        public int[] localsWritten(int pc, int target) {
            return inner.localsWritten(pc, target);
        }

        public Footprint footprint() {
            return inner.footprint();
        }

        public Footprint footprint(dev.mmu.runtime.model.VmConfig config) {
            return inner.footprint(config);
        }

        public Footprint footprint(VmState s, int thread) {
            return inner.footprint(s, thread);
        }

        public int[] targets(int pc) {
            return inner.targets(pc);
        }

        public String describe() {
            return inner.describe();
        }
    }

    /**
     * A step that only marks a point in the code, such as the start of an atomic block. It prints
     * nothing (the block's ops say what ran); its text names the step only when nothing else does.
     */
    public record Note(String text) implements Op {
        public void exec(Exec e, int choice) {
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Footprint.LOCAL;
        }

        public String describe() {
            return text;
        }
    }

    /**
     * An op that computes a primitive's value into local {@code result} (-1: none). As the condition
     * of an if or while ({@code p(..)}, {@code !p(..)}, {@code p(..) != 0}) the compiler takes
     * {@link #branch} instead: the same op jumping to {@code unless} when the value is false
     * ({@code negate}: when it is true), which keeps the value in no local, so not in the state.
     */
    public interface ValueOp extends Op {
        ValueOp branch(int unless, boolean negate);
    }

    /** A value op's end: the value into local result (if >= 0), and the jump of its branch form (unless >= 0). */
    static void deliver(Exec e, long value, int result, int unless, boolean negate) {
        if (result >= 0) e.self().locals[result] = value;
        if (unless >= 0 && (value != 0) == negate) e.nextPc = unless;
    }

    /** A value op's targets: on, and unless for its branch form. */
    static int[] targets(int pc, int unless) {
        return unless >= 0 ? new int[] {pc + 1, unless} : new int[] {pc + 1};
    }

    /** A value op writes its result's local, if it has one. */
    static int[] written(int result) {
        return result >= 0 ? new int[] {result} : LiveLocals.NONE;
    }

    /**
     * Calls a primitive with evaluated arguments, its value into a local (or -1). The body reads
     * no local: what the call reads of the thread's locals is its arguments' ({@link #localsRead}).
     */
    public record Call(Primitive primitive, Expr[] args, int result, int unless, boolean negate) implements ValueOp {
        public Call(Primitive primitive, Expr[] args, int result) {
            this(primitive, args, result, -1, false);
        }

        /** Value equality, arguments included: vCPU symmetry compares the threads' ops. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Call c && c.primitive == primitive && java.util.Arrays.equals(c.args, args)
                    && c.result == result && c.unless == unless && c.negate == negate;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(primitive, java.util.Arrays.hashCode(args), result, unless, negate);
        }

        public Call branch(int unless, boolean negate) {
            return new Call(primitive, args, -1, unless, negate);
        }

        /** A read-lock zap primitive waits for tdp_mmu_pages_lock ({@link Primitive#choices}). */
        public int choices(VmState s, int thread) {
            return primitive.choices(this, s, thread);
        }

        public void exec(Exec e, int choice) {
            long[] v = new long[args.length];
            for (int i = 0; i < v.length; i++) v[i] = args[i].eval(e.s, e.thread);
            deliver(e, primitive.invoke(e, v), result, unless, negate);
        }

        public int[] localsRead() {
            return Expr.locals(args);
        }

        public int[] localsWritten(int pc, int target) {
            return written(result);
        }

        public int[] targets(int pc) {
            return Ops.targets(pc, unless);
        }

        public Footprint footprint() {
            return primitive.footprint().union(Footprint.of(args));
        }

        public String describe() {
            return primitive.name() + "()";
        }
    }

    /**
     * A call of a primitive on a vCPU known when compiling (its {@code vcpu_id} parameter): the op
     * of vCPU 0 and the op of vCPU 1 differ only in {@code vcpu}, which symmetry permutes ({@link
     * FaultOps.VcpuOp}). {@code args} are the other parameters', in order. A {@link ValueOp}.
     */
    public record VcpuCall(Primitive primitive, int vcpu, Expr[] args, int result, int unless, boolean negate)
            implements FaultOps.VcpuOp, ValueOp {
        public VcpuCall(Primitive primitive, int vcpu, Expr[] args, int result) {
            this(primitive, vcpu, args, result, -1, false);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof VcpuCall c && c.primitive == primitive && c.vcpu == vcpu
                    && java.util.Arrays.equals(c.args, args) && c.result == result && c.unless == unless
                    && c.negate == negate;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(primitive, vcpu, java.util.Arrays.hashCode(args), result, unless, negate);
        }

        public VcpuCall forVcpu(int v) {
            return new VcpuCall(primitive, v, args, result, unless, negate);
        }

        public VcpuCall branch(int unless, boolean negate) {
            return new VcpuCall(primitive, vcpu, args, -1, unless, negate);
        }

        /** As {@link Call#choices}. */
        public int choices(VmState s, int thread) {
            return primitive.choices(this, s, thread);
        }

        public void exec(Exec e, int choice) {
            long[] v = new long[args.length + 1];
            int at = primitive.vcpuParam();
            for (int i = 0, j = 0; i < v.length; i++) v[i] = i == at ? vcpu : args[j++].eval(e.s, e.thread);
            deliver(e, primitive.invoke(e, v), result, unless, negate);
        }

        public Footprint footprint() {
            return primitive.footprint(vcpu).union(Footprint.of(args));
        }

        public int[] targets(int pc) {
            return Ops.targets(pc, unless);
        }

        public int[] localsRead() {
            return Expr.locals(args);
        }

        public int[] localsWritten(int pc, int target) {
            return written(result);
        }

        public String describe() {
            return primitive.name() + "()";
        }
    }
}
