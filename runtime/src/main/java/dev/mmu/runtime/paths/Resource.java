package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Stat;

/**
 * The parts of the shared state an op or an expression may read or write ({@link Footprint}).
 * Thread locals and program counters are not resources: no other thread sees them. The split is
 * as fine as partial-order reduction can use; every field of {@code VmState} belongs to one.
 *
 * <p>A footprint is a bit set. Most resources are one bit; {@link #TLB} is one bit per vCPU
 * ({@link #tlbOf}), {@link #SRCU} one bit per thread's read side ({@link #srcuOf}), {@link #RCU}
 * one bit per thread's RCU read-side critical section ({@link #rcuOf}), {@link #HOST} is
 * {@link #HOST_PFNS}, {@link #HOST_ALLOC} and {@link #FREED_PFNS}, and {@link #STATS} is one part per
 * group of counters ({@link #of(Stat)}): naming the whole resource sets every part, so two
 * footprints conflict iff their bit sets meet, and code that names only {@code TLB}, {@code SRCU},
 * {@code RCU}, {@code HOST} or {@code STATS} keeps its meaning.
 */
public enum Resource {
    /** Page-table structure and mappings: SPTEs (but their W/A/D bits), shadow-page metadata, roots, freed tables. */
    SPTE,
    /** The W, A and D bits of SPTEs: fast_page_fault's lockless cmpxchg and the walker's D bit touch only these. */
    SPTE_ACCESS,
    /**
     * Every vCPU's TLB and paging-structure caches (filled by hardware walks without any lock);
     * one vCPU's alone is {@link #tlbOf}.
     */
    TLB,
    /** Host pages: {@link #HOST_PFNS}, {@link #HOST_ALLOC} and {@link #FREED_PFNS}. */
    HOST,
    /** The pfns behind hvas, unmapped pfns, hvas unmapped and not yet freed. */
    HOST_PFNS,
    /**
     * The host allocator, and the hvas with no page behind them: a fault-in of a missing page
     * fills one (insert-if-absent). Writing this and not {@link #HOST_PFNS} changes no entry that
     * was present, so an op that read only a present entry cannot tell; an op that may see an
     * entry missing reads this too.
     */
    HOST_ALLOC,
    /** The pfns the host freed (what a guest access checks for use_after_free). */
    FREED_PFNS,
    /** mmu_lock: writer, readers and the FIFO of queued threads (what rwlock_needbreak reads). */
    MMU_LOCK,
    SLOTS_LOCK,
    TDP_MMU_PAGES_LOCK,
    MMU_UNSYNC_PAGES_LOCK,
    /**
     * kvm->srcu read side: every thread's ({@link #srcuOf} is one thread's), each with the
     * fault->slot its thread holds under it, which another thread's swap may mark (Memslots#OUTLIVE).
     */
    SRCU,
    /**
     * The running thread's own srcu read side (srcu_read_lock/unlock): every thread's until
     * {@link Footprint#ofThread} names the thread.
     */
    SRCU_SELF,
    /**
     * Every thread's RCU read-side critical section ({@link #rcuOf} is one thread's): inside
     * rcu_read_lock() or with preemption disabled ({@link Rcu#holdsOffGracePeriods}), what the end
     * of a grace period reads.
     */
    RCU,
    /**
     * The running thread's own RCU read-side critical section (rcu_read_lock/unlock, and the locks
     * that disable preemption): every thread's until {@link Footprint#ofThread} names the thread.
     */
    RCU_SELF,
    /** Tables waiting for an RCU grace period (call_rcu). */
    RCU_PENDING,
    /** possible_nx_huge_pages and each page's nx_huge_page_disallowed. */
    NX_LIST,
    /**
     * kvm->arch.mmu_valid_gen, the invalidated roots not yet zapped, and which referenced TDP roots
     * are invalid (what is_obsolete_root() reads of a vCPU's root).
     */
    INVALID_ROOTS,
    /** The active memslots: bases, deleted, invalid, logging flags, the dirty-log ioctl window, left ranges. */
    MEMSLOTS,
    /** The memslots' dirty bitmaps. */
    DIRTY_BITMAP,
    /** mmu_invalidate_seq, mmu_invalidate_in_progress, the range being invalidated, mn_active_invalidate_count. */
    INVALIDATE,
    /**
     * Every kvm->stat counter: {@link #STAT_PAGES}, {@link #STAT_NX_LPAGE_SPLITS},
     * {@link #STAT_REMOTE_TLB_FLUSH} and {@link #STAT_MMU_SHADOW_ZAPPED}.
     */
    STATS,
    /**
     * pages_4k, pages_2m and pages_1g (kvm_update_page_stats): one part, as every op that changes
     * one may change any (the level is known only at run time) and also writes SPTEs.
     */
    STAT_PAGES,
    /** nx_lpage_splits: the NX accounting, and what kvm_recover_nx_huge_pages() sizes its pass by (v6.12). */
    STAT_NX_LPAGE_SPLITS,
    /** remote_tlb_flush: every kvm_flush_remote_tlbs(), which otherwise touches only the TLBs. */
    STAT_REMOTE_TLB_FLUSH,
    /** mmu_shadow_zapped: kvm_mmu_prepare_zap_page(). */
    STAT_MMU_SHADOW_ZAPPED,
    /** The commit_batch and lock_hold_work metrics (and each thread's hold work). */
    METRICS,
    /**
     * Every thread's invalid_list, as what reads them all sees them (an expectation sums them; the
     * page-table-leak check searches them): the ops that queue or free write it. A thread's read of
     * its own list is thread-local, no resource: only its owner changes it ({@link ShadowMmu}).
     */
    INVALID_LIST,
    /** Violated invariants and failed asserts. */
    VIOLATIONS,
    /** The scenario's own shared variables ({@code global x = 0}). */
    GLOBALS,
    /**
     * Every vCPU's own root (root_mmu.root.hpa), its pending KVM_REQ_MMU_FREE_OBSOLETE_ROOTS and
     * HF_SMM_MASK, written without mmu_lock by the vCPU's entry and by requests made to it; one
     * vCPU's alone is {@link #vcpuRootsOf}.
     */
    VCPU_ROOTS,
    /**
     * The struct kvm_memory_slot copies memslot swaps retired, and which kfree_memslot freed: what
     * a fault's read of fault->slot checks (Memslots#use). The current struct's generation is
     * {@link #MEMSLOTS}, which the slot lookup reads.
     */
    MEMSLOT_STRUCTS;

    /** Where the per-vCPU root bits start (above every resource's own bit, below the TLB bits). */
    static final int VCPU_ROOTS_SHIFT = 32;

    /** Where the per-vCPU TLB bits start (above every resource's own bit), the per-thread srcu and rcu bits. */
    static final int TLB_SHIFT = 40;
    static final int SRCU_SHIFT = 48;
    static final int RCU_SHIFT = 56;
    private static final long EVERY_TLB = (1L << SRCU_SHIFT) - (1L << TLB_SHIFT);
    private static final long EVERY_VCPU_ROOTS = (1L << TLB_SHIFT) - (1L << VCPU_ROOTS_SHIFT);
    private static final long EVERY_SRCU = (1L << RCU_SHIFT) - (1L << SRCU_SHIFT);
    private static final long EVERY_RCU = -1L << RCU_SHIFT;

    /** The bits of the resource: its own, and for TLB, SRCU, RCU and HOST those of every part. */
    public long bit() {
        return switch (this) {
            case TLB -> 1L << ordinal() | EVERY_TLB;
            case VCPU_ROOTS -> 1L << ordinal() | EVERY_VCPU_ROOTS;
            case SRCU, SRCU_SELF -> 1L << ordinal() | EVERY_SRCU;
            case RCU, RCU_SELF -> 1L << ordinal() | EVERY_RCU;
            case HOST -> 1L << HOST_PFNS.ordinal() | 1L << HOST_ALLOC.ordinal() | 1L << FREED_PFNS.ordinal();
            case STATS -> 1L << STAT_PAGES.ordinal() | 1L << STAT_NX_LPAGE_SPLITS.ordinal()
                    | 1L << STAT_REMOTE_TLB_FLUSH.ordinal() | 1L << STAT_MMU_SHADOW_ZAPPED.ordinal();
            default -> 1L << ordinal();
        };
    }

    /** One vCPU's TLB and paging-structure caches; every TLB when the vCPU is not known (negative) or too high. */
    public static long tlbOf(int vcpu) {
        return vcpu >= 0 && vcpu < SRCU_SHIFT - TLB_SHIFT ? 1L << (TLB_SHIFT + vcpu) : TLB.bit();
    }

    /** One vCPU's root, request and SMM bits; every vCPU's when the vCPU is not known or too high. */
    public static long vcpuRootsOf(int vcpu) {
        return vcpu >= 0 && vcpu < TLB_SHIFT - VCPU_ROOTS_SHIFT ? 1L << (VCPU_ROOTS_SHIFT + vcpu) : VCPU_ROOTS.bit();
    }

    /** One thread's srcu read side; every thread's past the bits there are. */
    public static long srcuOf(int thread) {
        return thread >= 0 && thread < RCU_SHIFT - SRCU_SHIFT ? 1L << (SRCU_SHIFT + thread) : SRCU.bit();
    }

    /** One thread's RCU read-side critical section; every thread's past the bits there are. */
    public static long rcuOf(int thread) {
        return thread >= 0 && thread < 64 - RCU_SHIFT ? 1L << (RCU_SHIFT + thread) : RCU.bit();
    }

    /** The resource a kvm->stat counter is in. */
    public static Resource of(Stat stat) {
        return switch (stat) {
            case pages_4k, pages_2m, pages_1g -> STAT_PAGES;
            case nx_lpage_splits -> STAT_NX_LPAGE_SPLITS;
            case remote_tlb_flush -> STAT_REMOTE_TLB_FLUSH;
            case mmu_shadow_zapped -> STAT_MMU_SHADOW_ZAPPED;
        };
    }

    /** The resource a lock's state is in. */
    public static Resource of(LockId lock) {
        return switch (lock) {
            case mmu_lock -> MMU_LOCK;
            case slots_lock -> SLOTS_LOCK;
            case tdp_mmu_pages_lock -> TDP_MMU_PAGES_LOCK;
            case mmu_unsync_pages_lock -> MMU_UNSYNC_PAGES_LOCK;
            case srcu -> SRCU;
            case rcu -> RCU;
        };
    }

    /**
     * The resources of a bit set, for messages: TLB, SRCU and RCU for any vCPU's or thread's
     * (SRCU_SELF and RCU_SELF only as named), HOST and STATS when it has every part.
     */
    public static java.util.EnumSet<Resource> in(long bits) {
        java.util.EnumSet<Resource> r = java.util.EnumSet.noneOf(Resource.class);
        for (Resource x : values()) if ((bits & x.bit()) != 0) r.add(x);
        if ((bits & HOST.bit()) == HOST.bit()) r.removeAll(java.util.EnumSet.of(HOST_PFNS, HOST_ALLOC, FREED_PFNS));
        else r.remove(HOST);
        if ((bits & STATS.bit()) == STATS.bit()) {
            r.removeAll(java.util.EnumSet.of(STAT_PAGES, STAT_NX_LPAGE_SPLITS, STAT_REMOTE_TLB_FLUSH, STAT_MMU_SHADOW_ZAPPED));
        } else {
            r.remove(STATS);
        }
        if ((bits & 1L << SRCU_SELF.ordinal()) == 0) r.remove(SRCU_SELF);
        else if ((bits & 1L << SRCU.ordinal()) == 0) r.remove(SRCU);
        if ((bits & 1L << RCU_SELF.ordinal()) == 0) r.remove(RCU_SELF);
        else if ((bits & 1L << RCU.ordinal()) == 0) r.remove(RCU);
        return r;
    }

    static {
        if (values().length > VCPU_ROOTS_SHIFT) throw new AssertionError("resource bits run into the per-vCPU root bits");
    }
}
