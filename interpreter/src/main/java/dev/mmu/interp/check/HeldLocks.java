package dev.mmu.interp.check;

import dev.mmu.interp.ast.Stmt;
import java.util.Arrays;

/**
 * What the checker's lock tracking may hold at a statement: per lock, how many of its read
 * sections are open, joined as the most any way in may have. It counts because a thread may nest
 * read_lock(&kvm->mmu_lock) (the runtime counts it too, ThreadState.mmuReadDepth, and reports the
 * nesting as lockdep's recursive locking): {@code lock read; lock read; unlock; unlock} balances,
 * a third unlock does not. Counts stop at {@link #MANY}, which an unlock leaves there, so a loop
 * that takes a lock each time round reaches a fixed point and no correct body is refused.
 */
final class HeldLocks {
    /** "This many or more": a loop taking a lock without releasing it stops here. */
    static final int MANY = 16;

    private final int[] count = new int[Stmt.LockName.values().length];

    HeldLocks() {
    }

    HeldLocks(HeldLocks o) {
        System.arraycopy(o.count, 0, count, 0, count.length);
    }

    HeldLocks copy() {
        return new HeldLocks(this);
    }

    /**
     * A lock taken again: a read side nests (read_lock(), srcu_read_lock()), and is counted; a
     * writer's or a mutex's second acquisition is the self-deadlock the explorer reports, and counts
     * as held, once, as before.
     */
    void add(Stmt.LockName l, Stmt.LockMode mode) {
        int c = count[l.ordinal()];
        count[l.ordinal()] = mode == Stmt.LockMode.READ ? Math.min(MANY, c + 1) : Math.max(c, 1);
    }

    /** One section of l ended; false if none may be open. */
    boolean remove(Stmt.LockName l) {
        int c = count[l.ordinal()];
        if (c == 0) return false;
        if (c < MANY) count[l.ordinal()] = c - 1;
        return true;
    }

    boolean contains(Stmt.LockName l) {
        return count[l.ordinal()] > 0;
    }

    /** Joins what another way in may hold: the most sections of each lock. */
    void addAll(HeldLocks o) {
        for (int i = 0; i < count.length; i++) count[i] = Math.max(count[i], o.count[i]);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HeldLocks h && Arrays.equals(count, h.count);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(count);
    }
}
