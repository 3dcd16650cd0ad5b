package dev.mmu.runtime.model;

/** The locks of the MMU, by their kernel names. */
public enum LockId {
    /** kvm->mmu_lock: an rwlock on x86. */
    mmu_lock,
    /** kvm->slots_lock: a mutex serialising memslot updates and dirty-log ioctls. */
    slots_lock,
    /** kvm->srcu read side: memslot readers. */
    srcu,
    /** kvm->arch.tdp_mmu_pages_lock: a spinlock taken inside mmu_lock (read). */
    tdp_mmu_pages_lock,
    /** kvm->arch.mmu_unsync_pages_lock: a spinlock taken inside mmu_lock (read). */
    mmu_unsync_pages_lock,
    /** rcu_read_lock(): protects TDP MMU page tables freed by call_rcu. */
    rcu
}
