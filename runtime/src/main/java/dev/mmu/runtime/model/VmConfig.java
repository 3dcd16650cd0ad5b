package dev.mmu.runtime.model;

import java.util.List;

/**
 * The machine a scenario runs on: what KVM module parameters and VM ioctls set before the race.
 *
 * @param mmu             MMU flavour
 * @param nxHugePages     kvm.nx_huge_pages (the iTLB-multihit mitigation)
 * @param nxRecoveryRatio kvm.nx_huge_pages_recovery_ratio
 * @param eagerPageSplit  kvm.eager_page_split
 * @param tdpLevels       4 or 5 level EPT
 * @param memslots        the guest memory map
 * @param vcpus           number of vCPUs
 * @param preempt         the host kernel's preemption build (what rwlock_needbreak() answers)
 * @param pml             kvm_intel.pml: the CPU logs the gpa of each write that sets an SPTE's D bit
 *                        (kvm_x86_ops.cpu_dirty_log_size != 0), so dirty logging clears D bits
 * @param nxListPerMmu    kvm->arch.possible_nx_huge_pages[KVM_NR_MMU_TYPES] (v6.18, 6777885605e1): the TDP
 *                        MMU's NX pages on a list of their own; before, one list for both MMUs
 * @param accessedBitVolatile spte_has_volatile_bits() counts a clear A bit (until v6.15): a present leaf
 *                        with A clear is written by xchg; since, spte_needs_atomic_update() ignores A
 * @param setsPfnDirtyOnZap handle_changed_spte() calls kvm_set_pfn_dirty() for a dirty leaf that goes
 *                        (until v6.13), the contract invariant dirty_bit_lost checks
 * @param flushRemoteTlbsRange kvm_x86_ops.flush_remote_tlbs_range is set (KVM on Hyper-V with the enlightened
 *                        guest mapping flush: hv_flush_remote_tlbs_range), so kvm_flush_remote_tlbs_range()
 *                        drops only the TLB entries of its gfns; without it, the kernel falls back to a full flush
 * @param tdpIterRcu      the TDP iterator reads SPTEs with rcu_dereference() (v5.12+), so a for_each_tdp_pte walk
 *                        outside rcu_read_lock() is suspicious RCU usage (lockdep with CONFIG_PROVE_RCU)
 */
public record VmConfig(Mmu mmu, boolean nxHugePages, int nxRecoveryRatio, boolean eagerPageSplit, int tdpLevels,
                       List<Memslot> memslots, int vcpus, Preempt preempt, boolean pml, boolean nxListPerMmu,
                       boolean accessedBitVolatile, boolean setsPfnDirtyOnZap, boolean flushRemoteTlbsRange,
                       boolean tdpIterRcu) {
    public VmConfig {
        memslots = List.copyOf(memslots);
    }

    /** A machine whose TDP iterator is RCU-protected (v5.12 and later). */
    public VmConfig(Mmu mmu, boolean nxHugePages, int nxRecoveryRatio, boolean eagerPageSplit, int tdpLevels,
                    List<Memslot> memslots, int vcpus, Preempt preempt, boolean pml, boolean nxListPerMmu,
                    boolean accessedBitVolatile, boolean setsPfnDirtyOnZap, boolean flushRemoteTlbsRange) {
        this(mmu, nxHugePages, nxRecoveryRatio, eagerPageSplit, tdpLevels, memslots, vcpus, preempt, pml, nxListPerMmu,
                accessedBitVolatile, setsPfnDirtyOnZap, flushRemoteTlbsRange, true);
    }

    /** A machine whose SPTE writes are v6.12's (A volatile, kvm_set_pfn_dirty() at the zap), on bare metal. */
    public VmConfig(Mmu mmu, boolean nxHugePages, int nxRecoveryRatio, boolean eagerPageSplit, int tdpLevels,
                    List<Memslot> memslots, int vcpus, Preempt preempt, boolean pml, boolean nxListPerMmu) {
        this(mmu, nxHugePages, nxRecoveryRatio, eagerPageSplit, tdpLevels, memslots, vcpus, preempt, pml, nxListPerMmu,
                true, true, false);
    }

    /** A machine whose kernel keeps one NX list for both MMUs (before v6.18). */
    public VmConfig(Mmu mmu, boolean nxHugePages, int nxRecoveryRatio, boolean eagerPageSplit, int tdpLevels,
                    List<Memslot> memslots, int vcpus, Preempt preempt, boolean pml) {
        this(mmu, nxHugePages, nxRecoveryRatio, eagerPageSplit, tdpLevels, memslots, vcpus, preempt, pml, false);
    }

    /** A machine without PML (write-protection dirty logging). */
    public VmConfig(Mmu mmu, boolean nxHugePages, int nxRecoveryRatio, boolean eagerPageSplit, int tdpLevels,
                    List<Memslot> memslots, int vcpus, Preempt preempt) {
        this(mmu, nxHugePages, nxRecoveryRatio, eagerPageSplit, tdpLevels, memslots, vcpus, preempt, false);
    }

    /** A machine on a CONFIG_PREEMPTION host, the language's default. */
    public VmConfig(Mmu mmu, boolean nxHugePages, int nxRecoveryRatio, boolean eagerPageSplit, int tdpLevels,
                    List<Memslot> memslots, int vcpus) {
        this(mmu, nxHugePages, nxRecoveryRatio, eagerPageSplit, tdpLevels, memslots, vcpus, Preempt.FULL);
    }

    public Memslot slotOf(long gfn) {
        for (Memslot m : memslots) {
            if (m.contains(gfn)) return m;
        }
        return null;
    }

    public Memslot slot(int id) {
        for (Memslot m : memslots) {
            if (m.id() == id) return m;
        }
        return null;
    }
}
