package dev.mmu.interp.check;

import dev.mmu.interp.ast.VmSetting;
import java.util.List;
import java.util.Optional;

/**
 * The checked machine of one scenario (one outline row): every setting has its value, defaults
 * filled in. Defaults follow KVM's module parameters on a host vulnerable to iTLB multihit:
 * mmu tdp, nx_huge_pages on, nx_huge_pages_recovery_ratio 60, eager_page_split on, 4 levels,
 * 1 vCPU, KVM_X86_QUIRK_SLOT_ZAP_ALL on (KVM's quirks are on by default), no ranged remote TLB
 * flush (bare metal: kvm_flush_remote_tlbs_range() flushes everything); the host is a
 * CONFIG_PREEMPTION build (preempt full), as every distribution kernel built with
 * CONFIG_PREEMPT_DYNAMIC is, whatever preempt= it boots with.
 */
public record Machine(
        VmSetting.Flavour mmu,
        boolean nxHugePages,
        long nxRecoveryRatio,
        boolean eagerPageSplit,
        int tdpLevels,
        int vcpus,
        List<MemslotSpec> memslots,
        VmSetting.PreemptModel preempt,
        String kernel,                 // the prelude version: one of Prelude.VERSIONS
        boolean pml,                   // kvm_intel.pml (off by default: write-protection dirty logging)
        boolean slotZapAll,            // KVM_X86_QUIRK_SLOT_ZAP_ALL (on unless disabled; always on before 6.12)
        boolean flushRemoteTlbsRange) { // kvm_x86_ops.flush_remote_tlbs_range set: KVM on Hyper-V (off: bare metal)

    public static final long DEFAULT_RECOVERY_RATIO = 60;

    /**
     * The quirks `vm { quirk NAME on|off }` may name: KVM_X86_QUIRK_SLOT_ZAP_ALL only (the other
     * KVM_X86_QUIRK_* change no MMU path the model runs).
     */
    public static final String SLOT_ZAP_ALL = "slot_zap_all";
    public static final List<String> QUIRKS = List.of(SLOT_ZAP_ALL);

    /** The slot holding a guest physical address, if any. */
    public Optional<MemslotSpec> slotOf(long gpa) {
        return memslots.stream().filter(s -> s.contains(gpa)).findFirst();
    }

    public Optional<MemslotSpec> slot(long id) {
        return memslots.stream().filter(s -> s.id() == id).findFirst();
    }
}
