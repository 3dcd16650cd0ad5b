package dev.mmu.interp.ast;

/** A setting of the {@code vm { }} block: the MMU flavour and the KVM module parameters. */
public sealed interface VmSetting {

    Pos pos();

    /** {@code mmu tdp|shadow|both}; both = TDP for L1, shadow for L2. */
    record Mmu(Pos pos, Flavour flavour) implements VmSetting {
    }

    /** The kvm.nx_huge_pages parameter (iTLB multihit mitigation). */
    record NxHugePages(Pos pos, boolean on) implements VmSetting {
    }

    /** The kvm.nx_huge_pages_recovery_ratio parameter: recover 1/N of the list per run. */
    record NxRecoveryRatio(Pos pos, Expr ratio) implements VmSetting {
    }

    /** The kvm.eager_page_split parameter. */
    record EagerPageSplit(Pos pos, boolean on) implements VmSetting {
    }

    /** The kvm_intel.pml parameter: dirty logging by the CPU's page-modification log (D bits). */
    record Pml(Pos pos, boolean on) implements VmSetting {
    }

    /**
     * {@code flush_remote_tlbs_range on|off}: whether kvm_x86_ops.flush_remote_tlbs_range is set, as
     * it is for KVM on Hyper-V with the enlightened guest mapping flush; off, a ranged flush is a full one.
     */
    record FlushRemoteTlbsRange(Pos pos, boolean on) implements VmSetting {
    }

    /** 4 or 5 level TDP paging. */
    record TdpLevels(Pos pos, Expr levels) implements VmSetting {
    }

    /** {@code preempt full|voluntary|none}: the host kernel's preemption build (rwlock_needbreak()). */
    record Preempt(Pos pos, PreemptModel model) implements VmSetting {
    }

    /** {@code kernel 6.12|latest}: the kernel version whose prelude functions the scenario runs. */
    record Kernel(Pos pos, String version) implements VmSetting {
    }

    /**
     * {@code quirk NAME on|off}: a KVM_X86_QUIRK_* of the VM, on unless userspace disabled it with
     * KVM_CAP_DISABLE_QUIRKS2 (the checker knows the names; {@code value} is where on/off stands).
     */
    record Quirk(Pos pos, Ident name, boolean on, Pos value) implements VmSetting {
    }

    enum Flavour { TDP, SHADOW, BOTH }

    enum PreemptModel { FULL, VOLUNTARY, NONE }
}
