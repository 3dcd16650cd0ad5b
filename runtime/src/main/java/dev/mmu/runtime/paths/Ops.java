package dev.mmu.runtime.paths;

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

        private boolean queues(VmState s, int thread) {
            if (lock != LockId.mmu_lock) return false;
            for (int t : s.mmuQueue) if (t == thread) return false;
            return true;
        }

        public String describe() {
            return Lock.name(lock, mode, true);
        }
    }

    public record Release(LockId lock) implements Op {
        public void exec(Exec e, int choice) {
            Lock.release(e, lock);
            if (lock == LockId.rcu) Rcu.maybeEndGracePeriod(e);
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

        public String describe() {
            return "if need_resched";
        }
    }

    public record Jump(int target) implements Op {
        public void exec(Exec e, int choice) {
            e.nextPc = target;
        }

        public boolean silent(VmState s, int thread) {
            return true;
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

        public boolean silent(VmState s, int thread) {
            return !cond.shared() || s.mmuWriter == thread;
        }

        public String describe() {
            return "if " + text;
        }
    }

    public record Assign(int slot, Expr value, String text) implements Op {
        public void exec(Exec e, int choice) {
            e.self().locals[slot] = value.eval(e.s, e.thread);
        }

        public boolean silent(VmState s, int thread) {
            return !value.shared() || s.mmuWriter == thread;
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

        public String describe() {
            return "assert " + text;
        }
    }

    /**
     * An op inside {@code atomic { }}: it runs in the same step as the op before it, taking no
     * scheduler choice (need_resched() is false inside), so nothing interleaves in the block.
     */
    public record Atomic(Op inner) implements Op {
        public void exec(Exec e, int choice) {
            inner.exec(e, 0);
            e.invisible = false;
        }

        public boolean silent(VmState s, int thread) {
            return true;
        }

        public String describe() {
            return inner.describe();
        }
    }

    /** A step that only marks a point in the trace, such as the start of an atomic block. */
    public record Note(String text) implements Op {
        public void exec(Exec e, int choice) {
            e.note(text);
        }

        public String describe() {
            return text;
        }
    }

    /** Calls a primitive with evaluated arguments, storing its result in a local (or -1). */
    public record Call(Primitive primitive, Expr[] args, int result) implements Op {
        public void exec(Exec e, int choice) {
            long[] v = new long[args.length];
            for (int i = 0; i < v.length; i++) v[i] = args[i].eval(e.s, e.thread);
            long r = primitive.invoke(e, v);
            if (result >= 0) e.self().locals[result] = r;
        }

        public boolean silent(VmState s, int thread) {
            return primitive.pure();
        }

        public String describe() {
            return primitive.name() + "()";
        }
    }
}
