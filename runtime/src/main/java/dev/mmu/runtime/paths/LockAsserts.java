package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;

/**
 * lockdep_assert_held(), lockdep_assert_held_read(), lockdep_assert_held_write() and
 * lockdep_assert_not_held() (include/linux/lockdep.h, v7.2): {@code lockdep_assert(c)}, i.e.
 * {@code WARN_ON(debug_locks && !(c))}, with c {@code lockdep_is_held(l)},
 * {@code lockdep_is_held_type(l, 1)}, {@code lockdep_is_held_type(l, 0)} or
 * {@code lockdep_is_held(l) != LOCK_STATE_HELD}. They read only whether the calling thread holds the lock,
 * which no other thread changes: their footprint is the violation bits alone, so step merging
 * folds them into the step before them and a held assertion adds no state.
 */
final class LockAsserts {
    /** What the primitives read and write of the shared state: only the sticky violation bits. */
    static final Footprint FOOTPRINT = Footprint.LOCAL.andUpdates(Resource.VIOLATIONS);

    /** The mode asserted: lockdep_is_held(), lockdep_is_held_type(l, read) with read 1 or 0, or not held. */
    enum Mode { HELD, READ, WRITE, NOT_HELD }

    private LockAsserts() {
    }

    /** The assertion {@code function(&kvm->lock)} in {@code mode}: a lockdep violation unless it holds for this thread. */
    static void check(Exec e, String function, LockId lock, Mode mode) {
        if (holds(e.s, e.thread, lock, mode)) return;
        String l = "&kvm->" + lock;
        String cond = switch (mode) {
            case HELD -> "lockdep_is_held(" + l + ")";
            case READ -> "lockdep_is_held_type(" + l + ", 1)";
            case WRITE -> "lockdep_is_held_type(" + l + ", 0)";
            case NOT_HELD -> "(lockdep_is_held(" + l + ") != LOCK_STATE_HELD)";
        };
        e.violate(Invariant.lockdep, "WARNING at " + function + "(" + l + "): WARN_ON(debug_locks && !" + cond
                + "): this thread holds " + holding(e.s, e.thread, lock));
    }

    /**
     * Whether the assertion in mode holds for thread, as lockdep records its locks: mmu_lock (an
     * rwlock) in the mode taken; srcu_read_lock() is a read acquisition; a mutex or spinlock is held
     * exclusively (read 0), so lockdep_assert_held_read() of one always warns.
     */
    static boolean holds(VmState s, int thread, LockId lock, Mode mode) {
        boolean held = Lock.held(s, thread, lock);
        boolean read = lock == LockId.mmu_lock ? s.mmuWriter != thread : lock == LockId.srcu;
        return switch (mode) {
            case HELD -> held;
            case READ -> held && read;
            case WRITE -> held && !read;
            case NOT_HELD -> !held;
        };
    }

    /** "mmu_lock for read", "mmu_lock for write", "slots_lock", or "no slots_lock", for the violation's text. */
    private static String holding(VmState s, int thread, LockId lock) {
        if (!Lock.held(s, thread, lock)) return "no " + lock;
        if (lock != LockId.mmu_lock) return lock + (lock == LockId.srcu ? " (a read acquisition)" : " (held exclusively)");
        return "mmu_lock for " + (s.mmuWriter == thread ? "write" : "read");
    }
}
