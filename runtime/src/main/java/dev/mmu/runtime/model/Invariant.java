package dev.mmu.runtime.model;

/**
 * Built-in invariants. Each is a kernel rule; a step that breaks one sets its bit in
 * {@link VmState#violations}, so "never X" is a check of one bit in every reachable state.
 */
public enum Invariant {
    /**
     * A guest access reached a host page after the host freed it (flush before the notifier
     * returns), or a fault read its memslot after kvm_set_memslot() freed it (synchronize_srcu()
     * between the swap and the free).
     */
    use_after_free("a guest access reached a host page after the host freed it, or a fault read its memslot after it was freed"),
    /** mmu_lock released while a TLB holds a translation its SPTE no longer grants (flush before unlock). */
    stale_tlb_at_unlock("mmu_lock was released while a vCPU TLB still held a translation its SPTE no longer grants"),
    /** A hardware walk reached a page table that was freed (RCU: flush before rcu_read_unlock). */
    freed_page_table_walk("a hardware walk reached a freed page table"),
    /** An executable huge SPTE while nx_huge_pages is on (the iTLB multihit mitigation). */
    nx_exec_huge("an executable huge SPTE exists while nx_huge_pages is on"),
    /** A guest write while dirty logging is on that the dirty bitmap missed. */
    dirty_log_lost("a guest write during dirty logging is missing from the dirty bitmap"),
    /** A huge leaf SPTE and a child table for the same range. */
    huge_and_child("a huge leaf SPTE and a child page table map the same range"),
    /** pages_4k/2m/1g and nx_lpage_splits differ from what the tables hold. */
    stats_consistent("kvm->stat page counters differ from the leaf SPTEs the tables hold"),
    /** A page table neither reachable from a root, waiting to be freed, nor freed. */
    page_table_leak("a page table is neither reachable, queued for freeing, nor freed"),
    /** An SPTE that still maps a deleted memslot after the delete returned. */
    dangling_memslot("an SPTE still maps a deleted memslot"),
    /** A primitive ran without the lock mode it requires (lockdep_assert_held*), or locks out of order. */
    lockdep("a primitive ran without the lock it requires, or locks were taken out of order"),
    /**
     * A thread finished holding a lock, or released one it did not hold, or finished inside an MMU
     * notifier invalidation it began (_start without _end: in_progress stays raised).
     */
    lock_balance("a thread finished holding a lock or inside an invalidation it began, or released a lock it did not hold"),
    /** No thread can run, yet not all have finished. */
    deadlock("threads are stuck: none can run and not all have finished"),
    /** A D bit the CPU set in an SPTE was overwritten before kvm_set_pfn_dirty() saw it: the host page looks clean. */
    dirty_bit_lost("a guest write's dirty bit was dropped from an SPTE before the host page was marked dirty"),
    /**
     * A root freed (its last reference put) while a vCPU still runs on it or a walk is still in it,
     * or a put too many: its count below its holders' (one of them frees it under another).
     */
    freed_root_in_use("a root was freed while a vCPU or a walk still used it"),
    /** A plain SPTE write (WRITE_ONCE) replaced a change another thread made atomically since the writer's snapshot. */
    lost_spte_update("a plain SPTE write overwrote a change another thread made since the writer read the SPTE"),
    /** A page table was put on possible_nx_huge_pages after a zap had unlinked it (linked, then zapped before its accounting). */
    accounted_after_zap("a page table was accounted as a possible NX huge page after a zap had unlinked it"),
    /**
     * A leaf SPTE, in any root (invalidated ones too), maps a page the host freed: the MMU notifier
     * returned while KVM still referenced it (a later zap calls kvm_set_pfn_dirty() on freed memory).
     */
    freed_page_mapped("an SPTE still maps a page the host freed"),
    /**
     * possible_nx_huge_pages[mmu_type].nr_pages differs from the length of its list (v6.18): a page
     * untracked with another MMU's type, and nx_huge_pages_to_zap() sizes recovery by a wrong count.
     */
    nx_pages_counted("possible_nx_huge_pages[mmu_type].nr_pages differs from the number of pages on that list"),
    /**
     * A vCPU reached a gfn that SMRAM maps differently in address space 1 through a root of the other
     * role (role.smm != is_smm(vcpu)): kvm_smm_changed() left it a root of its old address space.
     */
    wrong_address_space("a vCPU reached guest memory through a root of the other address space (role.smm != is_smm(vcpu)) where SMRAM makes them differ"),
    /**
     * A WARN_ON_ONCE()/WARN_ON() of a kernel path fired: the kernel prints "WARNING: ... at file:line"
     * and a backtrace, and syzbot (panic_on_warn) reports it as a bug. The last bit, so the others keep theirs.
     */
    kernel_warning("a WARN_ON_ONCE() or WARN_ON() in a kernel path fired: its condition held");

    public final String description;

    Invariant(String description) {
        this.description = description;
    }

    public boolean violatedIn(VmState s) {
        return (s.violations & (1 << ordinal())) != 0;
    }
}
