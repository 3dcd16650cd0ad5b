package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Preempt;
import dev.mmu.runtime.model.VmState;

/**
 * Acquire and release of the MMU's locks. mmu_lock is an rwlock (write_lock / read_lock); slots_lock
 * and the spinlocks are exclusive; srcu and rcu read sections never block.
 */
public final class Lock {
    public enum Mode { READ, WRITE }

    private Lock() {}

    static boolean available(VmState s, int thread, LockId lock, Mode mode) {
        return switch (lock) {
            case mmu_lock -> (mode == Mode.READ ? s.mmuWriter < 0 : s.mmuWriter < 0 && s.mmuReaders == 0)
                    && (s.mmuQueue.length == 0 || s.mmuQueue[0] == thread);
            case slots_lock, tdp_mmu_pages_lock, mmu_unsync_pages_lock -> s.mutexOwner[mutex(lock)] < 0;
            case srcu, rcu -> true;
        };
    }

    /**
     * read_lock(mmu_lock) by a thread that holds it for read already. mmu_lock is a qrwlock, whose
     * read side lockdep treats as recursive only in interrupt context (read_lock_is_recursive(),
     * kernel/locking/lockdep.c): in process context check_deadlock() reports the second acquire, for
     * a writer queued between the two waits for the first and the second waits behind the writer.
     */
    static boolean recursiveRead(VmState s, int thread, LockId lock, Mode mode) {
        return lock == LockId.mmu_lock && mode == Mode.READ && (s.mmuReaders & (1L << thread)) != 0;
    }

    /** lockdep's splat for {@link #recursiveRead}, print_deadlock_bug()'s title. */
    static final String RECURSIVE_READ = "possible recursive locking detected: trying to acquire read_lock(mmu_lock),"
            + " but task is already holding mmu_lock for read (a qrwlock's read side is not recursive in process"
            + " context: a writer queued between the two read_lock()s waits for the first, the second behind it)";

    /** What {@link #rwlockNeedbreak} reads: mmu_lock's queue, under full preemption only. */
    static Footprint needbreak(dev.mmu.runtime.model.VmConfig c) {
        return c.preempt() == Preempt.FULL ? Footprint.reads(Resource.MMU_LOCK) : Footprint.LOCAL;
    }

    /**
     * rwlock_needbreak(&kvm->mmu_lock) (include/linux/spinlock.h, v6.12; not in the 7.2 tree on disk): with CONFIG_PREEMPTION,
     * rwlock_is_contended(), i.e. qrwlock's wait_lock is held: a thread is queued on mmu_lock.
     * Without CONFIG_PREEMPTION it is always false.
     */
    static boolean rwlockNeedbreak(VmState s) {
        return s.config.preempt() == Preempt.FULL && s.mmuQueue.length > 0;
    }

    /** The thread holding a mutex or spinlock, or -1. */
    static int owner(VmState s, LockId lock) {
        return s.mutexOwner[mutex(lock)];
    }

    static boolean held(VmState s, int thread, LockId lock) {
        long bit = 1L << thread;
        return switch (lock) {
            case mmu_lock -> s.holdsMmuLock(thread);
            case slots_lock, tdp_mmu_pages_lock, mmu_unsync_pages_lock -> s.mutexOwner[mutex(lock)] == thread;
            case srcu -> (s.srcuReaders & bit) != 0;
            case rcu -> (s.rcuReaders & bit) != 0;
        };
    }

    static void acquire(Exec e, LockId lock, Mode mode) {
        VmState s = e.s;
        long bit = 1L << e.thread;
        switch (lock) {
            case mmu_lock -> {
                if (mode == Mode.WRITE) s.mmuWriter = e.thread;
                else if ((s.mmuReaders & bit) != 0) e.self().mmuReadDepth = nest(e.self().mmuReadDepth, 15, lock); // recursiveRead, reported
                else s.mmuReaders |= bit;
                if (s.mmuQueue.length > 0 && s.mmuQueue[0] == e.thread) {
                    s.mmuQueue = java.util.Arrays.copyOfRange(s.mmuQueue, 1, s.mmuQueue.length);
                }
                e.self().holdWork = 0;
            }
            case slots_lock, tdp_mmu_pages_lock, mmu_unsync_pages_lock -> {
                // locking.rst: tdp_mmu_pages_lock and mmu_unsync_pages_lock nest inside mmu_lock.
                if (lock != LockId.slots_lock && !s.holdsMmuLock(e.thread)) {
                    e.violate(Invariant.lockdep, lock + " taken without mmu_lock");
                }
                if (lock == LockId.slots_lock && s.holdsMmuLock(e.thread)) {
                    e.violate(Invariant.lockdep, "slots_lock taken inside mmu_lock");
                }
                // locking.rst: synchronize_srcu(&kvm->srcu) runs under slots_lock, so taking
                // slots_lock inside an srcu read section can deadlock.
                if (lock == LockId.slots_lock && (s.srcuReaders & bit) != 0) {
                    e.violate(Invariant.lockdep, "slots_lock taken inside an srcu read section");
                }
                s.mutexOwner[mutex(lock)] = e.thread;
            }
            case srcu -> {
                // srcu_read_lock() nests (each returns its index): a section inside another, as
                // a recovery worker under its caller's, is counted, not merged.
                if ((s.srcuReaders & bit) != 0) e.self().srcuDepth = nest(e.self().srcuDepth, 255, lock);
                s.srcuReaders |= bit;
            }
            case rcu -> {
                // rcu_read_lock() nests too (current->rcu_read_lock_nesting): a walk's own section
                // inside its pasted caller's ends at the walk's rcu_read_unlock(), not the caller's.
                if ((s.rcuReaders & bit) != 0) e.self().rcuDepth = nest(e.self().rcuDepth, 15, lock);
                s.rcuReaders |= bit;
            }
        }
        if (e.tracing()) e.note(name(lock, mode, true));
    }

    /**
     * One more nested section: the state keeps each depth in a few bits (VmState.encode), so a
     * deeper nesting is refused rather than folded into a shallower one.
     */
    private static int nest(int depth, int max, LockId lock) {
        if (depth >= max) throw new ScenarioError(lock + " read sections nested more than " + max + " deep: not modelled");
        return depth + 1;
    }

    static void release(Exec e, LockId lock) {
        VmState s = e.s;
        if (!held(s, e.thread, lock)) {
            // A pasted kernel function that ends its caller's section (or a walk's unlock with the caller's
            // lock left out) shows unbalanced here: the fix is most often to paste the caller too.
            e.violate(Invariant.lock_balance, lock == LockId.rcu
                    ? "releases rcu it does not hold: rcu_read_unlock() without rcu_read_lock() (if the kernel"
                            + " function's caller takes it, paste the caller into the scenario)"
                    : "releases " + lock + " it does not hold");
            return;
        }
        long bit = 1L << e.thread;
        Mode mode = Mode.READ;
        switch (lock) {
            case mmu_lock -> {
                if (s.mmuWriter != e.thread && e.self().mmuReadDepth > 0) {
                    // the inner of nested read sections: the thread still holds mmu_lock for read
                    e.self().mmuReadDepth--;
                    if (e.tracing()) e.note(name(lock, Mode.READ, false));
                    return;
                }
                // A reader leaving while other readers hold the lock does not end their critical
                // section: a read-lock zapper (v6.18 NX recovery) may still owe its flush. The check
                // is at the writer's unlock and at the last reader's.
                String stale = s.mmuWriter == e.thread || (s.mmuReaders & ~bit) == 0 ? Tlbs.staleEntry(s) : null;
                if (stale != null) e.violate(Invariant.stale_tlb_at_unlock, stale);
                if (s.mmuWriter == e.thread) {
                    s.mmuWriter = -1;
                    mode = Mode.WRITE;
                } else {
                    s.mmuReaders &= ~bit;
                }
            }
            case slots_lock, tdp_mmu_pages_lock, mmu_unsync_pages_lock -> {
                s.mutexOwner[mutex(lock)] = -1;
                mode = Mode.WRITE;
                // A dirty-log ioctl runs under slots_lock: its window (VmState.dirtyLogBusy) ends
                // with it, flushed or not (a write through a stale TLB after it is lost).
                if (lock == LockId.slots_lock) s.dirtyLogBusy = 0;
            }
            case srcu -> {
                if (e.self().srcuDepth > 0) e.self().srcuDepth--;
                else s.srcuReaders &= ~bit;
            }
            case rcu -> {
                if (e.self().rcuDepth > 0) e.self().rcuDepth--;
                else s.rcuReaders &= ~bit;
            }
        }
        if (e.tracing()) e.note(name(lock, mode, false));
    }

    private static int mutex(LockId lock) {
        return switch (lock) {
            case slots_lock -> 0;
            case tdp_mmu_pages_lock -> 1;
            case mmu_unsync_pages_lock -> 2;
            default -> throw new IllegalArgumentException(lock.name());
        };
    }

    static String name(LockId lock, Mode mode, boolean acquire) {
        return switch (lock) {
            case mmu_lock -> (mode == Mode.WRITE ? "write_" : "read_") + (acquire ? "lock" : "unlock") + "(mmu_lock)";
            case srcu -> "srcu_read_" + (acquire ? "lock" : "unlock") + "(&kvm->srcu)";
            case rcu -> "rcu_read_" + (acquire ? "lock" : "unlock") + "()";
            case slots_lock -> "mutex_" + (acquire ? "lock" : "unlock") + "(slots_lock)";
            default -> "spin_" + (acquire ? "lock" : "unlock") + "(" + lock + ")";
        };
    }
}
