package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;

/**
 * The parts of the shared state an op or an expression may read or write ({@link Footprint}).
 * Thread locals and program counters are not resources: no other thread sees them. The split is
 * as fine as partial-order reduction can use; every field of {@code VmState} belongs to one.
 */
public enum Resource {
    /** Page-table structure and mappings: SPTEs (but their W/A/D bits), shadow-page metadata, roots, freed tables. */
    SPTE,
    /** The W, A and D bits of SPTEs: fast_page_fault's lockless cmpxchg and the walker's D bit touch only these. */
    SPTE_ACCESS,
    /** Every vCPU's TLB and paging-structure caches (filled by hardware walks without any lock). */
    TLB,
    /** Host pages: pfns behind hvas, unmapped and freed pfns, hvas unmapped and not yet freed, the host allocator. */
    HOST,
    /** mmu_lock: writer, readers and the FIFO of queued threads (what rwlock_needbreak reads). */
    MMU_LOCK,
    SLOTS_LOCK,
    TDP_MMU_PAGES_LOCK,
    MMU_UNSYNC_PAGES_LOCK,
    /** kvm->srcu read side. */
    SRCU,
    /** rcu_read_lock() readers. */
    RCU,
    /** Tables waiting for an RCU grace period (call_rcu). */
    RCU_PENDING,
    /** possible_nx_huge_pages and each page's nx_huge_page_disallowed. */
    NX_LIST,
    /** kvm->arch.mmu_valid_gen and the invalidated roots not yet zapped. */
    INVALID_ROOTS,
    /** The active memslots: bases, deleted, invalid, logging flags, the dirty-log ioctl window, left ranges. */
    MEMSLOTS,
    /** The memslots' dirty bitmaps. */
    DIRTY_BITMAP,
    /** mmu_invalidate_seq, mmu_invalidate_in_progress, the range being invalidated, mn_active_invalidate_count. */
    INVALIDATE,
    /** kvm->stat counters. */
    STATS,
    /** The commit_batch and lock_hold_work metrics (and each thread's hold work). */
    METRICS,
    /** Each thread's invalid_list (an expectation sums them; the page-table-leak check reads them). */
    INVALID_LIST,
    /** Violated invariants and failed asserts. */
    VIOLATIONS,
    /** The scenario's own shared variables ({@code global x = 0}). */
    GLOBALS;

    public long bit() {
        return 1L << ordinal();
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

    /** The resources of a bit set, for messages. */
    public static java.util.EnumSet<Resource> in(long bits) {
        java.util.EnumSet<Resource> r = java.util.EnumSet.noneOf(Resource.class);
        for (Resource x : values()) if ((bits & x.bit()) != 0) r.add(x);
        return r;
    }
}
