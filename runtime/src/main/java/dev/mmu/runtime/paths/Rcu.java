package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.VmState;

/**
 * RCU for TDP MMU page tables: handle_removed_pt() queues a table with call_rcu() and
 * tdp_mmu_free_sp_rcu_callback() frees it after a grace period. The model ends the grace period
 * as early as the rules allow, to expose the most races: the moment no thread is inside
 * rcu_read_lock() nor in a preemption-disabled region (mmu_lock held or spun on, a spinlock held).
 *
 * <p>Whether a thread holds off grace periods is its own ({@link #holdsOffGracePeriods}, one bit of
 * {@link Resource#RCU} per thread): only its own rcu_read_lock/unlock and lock ops change it. Inside
 * a preemption-disabled region, rcu_read_lock/unlock change nothing another thread can see, as in
 * the kernel, where two CPUs' read-side sections never wait for each other.
 */
public final class Rcu {
    private Rcu() {}

    /**
     * What the end of a grace period at the end of a step reads and frees: an op that may make it
     * possible (call_rcu, or an unlock of rcu, mmu_lock or a spinlock) has this in its footprint.
     * Where the running thread holds off grace periods and the op leaves it so, none ends: only
     * call_rcu's queue is left ({@link Footprint#heldOff}).
     */
    static final Footprint GRACE_PERIOD = gracePeriod();

    private static Footprint gracePeriod() {
        Footprint ends = Footprint.reads(Resource.RCU, Resource.MMU_LOCK, Resource.TDP_MMU_PAGES_LOCK,
                Resource.MMU_UNSYNC_PAGES_LOCK).andUpdates(Resource.RCU_PENDING, Resource.SPTE, Resource.SPTE_ACCESS);
        Footprint queue = Footprint.updates(Resource.RCU_PENDING);
        return new Footprint(ends.reads(), ends.writes(), 0, queue.reads(), queue.writes());
    }

    /**
     * Footprint f of thread t's op (named as t's, {@link Footprint#ofThread}) as it runs from s:
     * where t holds off grace periods and the op leaves that alone (it writes no part of t's
     * {@link Resource#RCU}: not an unlock, not a yield), none ends during it or at its end, so the
     * one without their end ({@link Footprint#heldOff}). Only t's own ops change whether t holds
     * them off.
     */
    public static Footprint inPlace(VmState s, int t, Footprint f) {
        return f.endsGracePeriod() && holdsOffGracePeriods(s, t) ? heldOff(t, f) : f;
    }

    /** f of thread t's op where t holds off grace periods: see {@link #inPlace}. */
    static Footprint heldOff(int t, Footprint f) {
        return (f.writes() & Resource.rcuOf(t)) == 0 ? f.heldOff() : f;
    }

    static void callRcu(VmState s, int spId) {
        int[] p = java.util.Arrays.copyOf(s.rcuPending, s.rcuPending.length + 1);
        p[p.length - 1] = spId;
        s.rcuPending = p;
    }

    /**
     * A sleep (cond_resched_rwlock_*() of a yield, a GFP_KERNEL allocation) after the walk dropped its
     * own rcu_read_lock(): __might_resched() -> rcu_sleep_check() reports one still held, a caller's
     * ("Illegal context switch in RCU read-side critical section", lockdep's RCU_LOCKDEP_WARN).
     */
    static void sleepCheck(Exec e, String sleep) {
        if (Lock.held(e.s, e.thread, dev.mmu.runtime.model.LockId.rcu)) {
            e.violate(dev.mmu.runtime.model.Invariant.lockdep, sleep + " inside the caller's rcu_read_lock():"
                    + " Illegal context switch in RCU read-side critical section (rcu_sleep_check())");
        }
    }

    /** Runs the queued callbacks if a grace period can have elapsed. */
    static void maybeEndGracePeriod(Exec e) {
        VmState s = e.s;
        if (s.rcuReaders != 0 || s.rcuPending.length == 0 || preemptionDisabled(s)) return;
        StringBuilder ids = new StringBuilder();
        for (int id : s.rcuPending) {
            s.freeSp(id);
            if (e.tracing()) ids.append(ids.length() == 0 ? "" : ", ").append("sp").append(id);
        }
        s.rcuPending = new int[0];
        e.note("RCU grace period: tdp_mmu_free_sp_rcu_callback frees " + ids);
    }

    /**
     * Whether thread t is in an RCU read-side critical section: inside rcu_read_lock() or with
     * preemption disabled (consolidated RCU, v5.0+). No grace period ends while one is; this is all
     * of the rcu readers a grace period's end reads ({@link Resource#rcuOf} is t's part).
     */
    public static boolean holdsOffGracePeriods(VmState s, int t) {
        return (s.rcuReaders >> t & 1) != 0 || preemptionDisabled(s, t);
    }

    /** Whether thread t has preemption disabled: it holds or spins for mmu_lock, or holds a spinlock. */
    static boolean preemptionDisabled(VmState s, int t) {
        if (s.mmuWriter == t || (s.mmuReaders >> t & 1) != 0) return true;
        for (int q : s.mmuQueue) if (q == t) return true;
        return s.mutexOwner[1] == t || s.mutexOwner[2] == t;
    }

    /**
     * Whether some thread runs with preemption disabled, which holds off every grace period
     * (consolidated RCU, v5.0+: such a region is a read-side critical section): read_lock() /
     * write_lock() disable preemption while the rwlock is held and while a waiter spins for it
     * (queued_*_lock_slowpath), as spin_lock() does (CONFIG_PREEMPT_RT, where they sleep, is not modelled).
     */
    private static boolean preemptionDisabled(VmState s) {
        if (s.mmuWriter >= 0 || s.mmuReaders != 0 || s.mmuQueue.length > 0) return true;
        // mutexOwner[0] is slots_lock, a sleeping mutex; [1] and [2] are spinlocks.
        return s.mutexOwner[1] >= 0 || s.mutexOwner[2] >= 0;
    }
}
