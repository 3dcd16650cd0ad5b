package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;

/**
 * lockdep_assert_held(), lockdep_assert_held_read() and lockdep_assert_held_write()
 * (include/linux/lockdep.h, v7.2): {@code lockdep_assert(c)}, i.e. {@code WARN_ON(debug_locks &&
 * !(c))}, with c {@code lockdep_is_held(l)}, {@code lockdep_is_held_type(l, 1)} or
 * {@code lockdep_is_held_type(l, 0)}. They read only whether the calling thread holds the lock,
 * which no other thread changes: their footprint is the violation bits alone, so step merging
 * folds them into the step before them and a held assertion adds no state.
 */
final class LockAsserts {
    /** What the primitives read and write of the shared state: only the sticky violation bits. */
    static final Footprint FOOTPRINT = Footprint.LOCAL.andUpdates(Resource.VIOLATIONS);

    /** The mode asserted: lockdep_is_held(), or lockdep_is_held_type(l, read) with read 1 or 0. */
    enum Mode { HELD, READ, WRITE }

    private LockAsserts() {
    }

    /** The assertion {@code function(&kvm->lock)} in {@code mode}: a lockdep violation unless this thread holds lock so. */
    static void check(Exec e, String function, LockId lock, Mode mode) {
        if (holds(e.s, e.thread, lock, mode)) return;
        String l = "&kvm->" + lock;
        String cond = switch (mode) {
            case HELD -> "lockdep_is_held(" + l + ")";
            case READ -> "lockdep_is_held_type(" + l + ", 1)";
            case WRITE -> "lockdep_is_held_type(" + l + ", 0)";
        };
        e.violate(Invariant.lockdep, "WARNING at " + function + "(" + l + "): WARN_ON(debug_locks && !" + cond
                + "): this thread holds " + holding(e.s, e.thread, lock));
    }

    /**
     * Whether thread holds lock in mode as lockdep records it: mmu_lock (an rwlock) in the mode
     * taken; srcu_read_lock() is a read acquisition; a mutex or spinlock is held exclusively
     * (read 0), so lockdep_assert_held_read() of one always warns.
     */
    static boolean holds(VmState s, int thread, LockId lock, Mode mode) {
        if (!Lock.held(s, thread, lock)) return false;
        boolean read = lock == LockId.mmu_lock ? s.mmuWriter != thread : lock == LockId.srcu;
        return switch (mode) {
            case HELD -> true;
            case READ -> read;
            case WRITE -> !read;
        };
    }

    /** "mmu_lock for read", "mmu_lock for write", "slots_lock", or "no slots_lock", for the violation's text. */
    private static String holding(VmState s, int thread, LockId lock) {
        if (!Lock.held(s, thread, lock)) return "no " + lock;
        if (lock != LockId.mmu_lock) return lock + (lock == LockId.srcu ? " (a read acquisition)" : " (held exclusively)");
        return "mmu_lock for " + (s.mmuWriter == thread ? "write" : "read");
    }
}
