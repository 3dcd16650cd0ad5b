package dev.mmu.interp.check;

import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.Memslot;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.ast.Scenario;
import dev.mmu.interp.ast.VmSetting;
import dev.mmu.runtime.paths.Prelude;
import dev.mmu.interp.diag.Diagnostics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Computes the machine of one scenario row (vm settings, vCPU count, memslots) and reports what
 * KVM would refuse: zero-size or overlapping slots, huge backing with a misaligned slot.
 */
final class MachineChecker {

    private static final long K4 = 4096;
    private static final long M2 = 2L << 20;
    private static final long G1 = 1L << 30;
    /** KVM_USER_MEM_SLOTS on x86 (SHRT_MAX less 3 internal slots): kvm_set_memory_region() refuses more. */
    private static final long USER_MEM_SLOTS = 32764;
    /**
     * What the model can hold: it keeps a dirty bit per 4K page and a pfn per backing page in every
     * state, so these bound the memory one state takes (the limits are the model's, not KVM's).
     */
    private static final long MAX_GUEST_MEMORY = 64 * G1;
    private static final long MAX_BACKING_PAGES = 1 << 20;

    private final Diagnostics diagnostics;
    private final ConstEval eval;
    private final Map<String, Long> row;

    MachineChecker(Diagnostics diagnostics, Map<String, Long> row) {
        this.diagnostics = diagnostics;
        this.eval = new ConstEval(row);
        this.row = row;
    }

    Machine check(Scenario s) {
        VmSetting.Flavour mmu = VmSetting.Flavour.TDP;
        boolean nx = true;
        long ratio = Machine.DEFAULT_RECOVERY_RATIO;
        boolean eager = true;
        boolean pml = false;
        VmSetting.FlushRemoteTlbsRange flushRange = null;
        int levels = 4;
        VmSetting.PreemptModel preempt = VmSetting.PreemptModel.FULL;
        String kernel = Prelude.LATEST;
        VmSetting.Quirk slotZapAll = null;
        for (VmSetting v : s.vm()) {
            if (v instanceof VmSetting.Mmu m) {
                mmu = m.flavour();
            } else if (v instanceof VmSetting.NxHugePages n) {
                nx = n.on();
            } else if (v instanceof VmSetting.EagerPageSplit e) {
                eager = e.on();
            } else if (v instanceof VmSetting.Pml p) {
                pml = p.on();
            } else if (v instanceof VmSetting.FlushRemoteTlbsRange f) {
                flushRange = f;
            } else if (v instanceof VmSetting.NxRecoveryRatio r) {
                ratio = constant(r.ratio(), "nx_recovery_ratio", ratio);
                if (ratio < 0) {
                    diagnostics.error(r.ratio().pos(), "nx_recovery_ratio must be 0 (off) or more");
                }
            } else if (v instanceof VmSetting.TdpLevels t) {
                levels = (int) constant(t.levels(), "tdp_levels", levels);
                if (levels != 4 && levels != 5) {
                    diagnostics.error(t.levels().pos(), "tdp_levels must be 4 or 5, found " + levels);
                }
            } else if (v instanceof VmSetting.Preempt p) {
                preempt = p.model();
            } else if (v instanceof VmSetting.Kernel k) {
                kernel = kernel(k);
            } else if (v instanceof VmSetting.Quirk q) {
                if (quirk(q)) slotZapAll = q;
            }
        }
        if (slotZapAll != null && !slotZapAll.on() && !Prelude.hasSlotZapAllQuirk(kernel)) {
            diagnostics.error(slotZapAll.value(), "KVM_X86_QUIRK_SLOT_ZAP_ALL came in v6.12: kernel " + kernel
                    + " always zaps every shadow page (kvm_mmu_zap_all_fast) when a memslot is deleted or moved, "
                    + "so the quirk cannot be off; leave it on (the default) or use kernel 6.12 or later");
        }
        // vmx.c and svm_onhyperv.c set flush_remote_tlbs_range only with EPT/NPT (enable_ept, npt_enabled)
        if (flushRange != null && flushRange.on() && mmu == VmSetting.Flavour.SHADOW) {
            diagnostics.error(flushRange.pos(), "flush_remote_tlbs_range is Hyper-V's flush of a TDP root's guest mappings:"
                    + " KVM sets it only with EPT or NPT (mmu tdp or both), not with shadow paging");
        }
        // The choice is made for the TDP MMU's fault only: the shadow MMU's mmu_set_spte() keeps every
        // pfn writable in the model (docs/kernel-model.md, "A read fault may map a page read-only").
        if (mmu != VmSetting.Flavour.TDP) {
            s.memslots().forEach(m -> m.gupFastMayFail().filter(Memslot.OnOff::on).ifPresent(g -> diagnostics.error(
                    g.pos(), "gup_fast_may_fail is modelled for the TDP MMU's faults only (mmu tdp): the shadow MMU's"
                            + " mmu_set_spte() always gets a writable pfn here")));
        }
        return new Machine(mmu, nx, ratio, eager, levels, vcpus(s), memslots(s.memslots(), levels), preempt, kernel, pml,
                slotZapAll == null || slotZapAll.on(), flushRange != null && flushRange.on());
    }

    /** Whether q names a quirk the model has ({@link Machine#QUIRKS}), else an error on the name. */
    private boolean quirk(VmSetting.Quirk q) {
        if (Machine.QUIRKS.contains(q.name().name())) {
            return true;
        }
        diagnostics.error(q.name().pos(), "unknown quirk '" + q.name().name() + "': the model has " + Machine.SLOT_ZAP_ALL
                + " (KVM_X86_QUIRK_SLOT_ZAP_ALL); the other quirks change no MMU path");
        return false;
    }

    /** A version the prelude has, or latest (the default); see docs/kernel-model.md. */
    private String kernel(VmSetting.Kernel k) {
        if (k.version().equals("latest")) {
            return Prelude.LATEST;
        }
        if (!Prelude.VERSIONS.contains(k.version())) {
            diagnostics.error(k.pos(), "unknown kernel version '" + k.version() + "': the prelude models "
                    + String.join(", ", Prelude.VERSIONS) + " and latest (" + Prelude.LATEST + ")");
            return Prelude.LATEST;
        }
        return k.version();
    }

    private int vcpus(Scenario s) {
        if (s.vcpus().isEmpty()) {
            return row.containsKey("vcpus") ? row.get("vcpus").intValue() : 1;
        }
        for (Expr extra : s.vcpus().subList(1, s.vcpus().size())) {
            diagnostics.error(extra.pos(), "vcpus is already set at line " + s.vcpus().get(0).pos().line());
        }
        Expr e = s.vcpus().get(0);
        long n = constant(e, "vcpus", 1);
        if (n < 1 || n > 64) {
            diagnostics.error(e.pos(), "vcpus must be between 1 and 64, found " + n);
            return 1;
        }
        return (int) n;
    }

    private List<MemslotSpec> memslots(List<Memslot> slots, int levels) {
        List<MemslotSpec> specs = new ArrayList<>();
        long memory = 0;
        long backingPages = 0;
        for (Memslot m : slots) {
            MemslotSpec spec = memslot(m, levels);
            if (spec == null) {
                continue;
            }
            boolean fits = memory <= MAX_GUEST_MEMORY && backingPages <= MAX_BACKING_PAGES; // reported once
            memory += spec.size();
            backingPages += spec.size() / spec.backing();
            if (fits && memory > MAX_GUEST_MEMORY) {
                diagnostics.error(m.size().get().pos(), "the memslots hold " + sizeName(memory) + " in all: the model "
                        + "handles at most " + sizeName(MAX_GUEST_MEMORY) + " of guest memory (it tracks each 4K page)");
            } else if (fits && backingPages > MAX_BACKING_PAGES) {
                diagnostics.error(m.size().get().pos(), "the memslots need " + backingPages + " backing pages in all: "
                        + "the model handles at most " + MAX_BACKING_PAGES + " (use a larger backing or a smaller size)");
            }
            for (MemslotSpec other : specs) {
                if (other.id() == spec.id()) {
                    diagnostics.error(m.id().pos(), "memslot " + spec.id() + " is already declared at line " + other.pos().line());
                } else if (spec.gpa() < other.end() && other.gpa() < spec.end()) {
                    diagnostics.error(m.pos(), "memslot " + spec.id() + " " + range(spec) + " overlaps memslot "
                            + other.id() + " " + range(other) + " declared at line " + other.pos().line());
                }
            }
            specs.add(spec);
        }
        return List.copyOf(specs);
    }

    private MemslotSpec memslot(Memslot m, int levels) {
        long id = constant(m.id(), "a memslot id", 0);
        if (id < 0 || id >= USER_MEM_SLOTS) {
            diagnostics.error(m.id().pos(), "memslot id " + id + " is out of range: KVM takes ids 0 to "
                    + (USER_MEM_SLOTS - 1));
            return null;
        }
        if (m.gpa().isEmpty() || m.size().isEmpty()) {
            diagnostics.error(m.pos(), "memslot " + id + " needs " + (m.gpa().isEmpty() ? "a gpa" : "a size"));
            return null;
        }
        long gpa = constant(m.gpa().get(), "gpa", 0);
        long size = constant(m.size().get(), "size", 0);
        long backing = m.backing().map(b -> constant(b, "backing", K4)).orElse(K4);
        Pos backingPos = m.backing().map(Expr::pos).orElse(m.pos());
        boolean ok = true;
        if (backing != K4 && backing != M2 && backing != G1) {
            diagnostics.error(backingPos, "backing must be 4K, 2M or 1G, found " + hex(backing));
            ok = false;
        }
        if (size <= 0) {
            diagnostics.error(m.size().get().pos(), "memslot " + id + " has size " + size + ": a memslot needs at least one page");
            ok = false;
        }
        // kvm_arch_prepare_memory_region(): the last gfn must be below kvm_mmu_max_gfn(); with 4-level
        // paging a guest physical address has 48 bits, with 5-level the x86 maximum of 52.
        int bits = levels == 5 ? 52 : 48;
        long limit = 1L << bits;
        if (gpa < 0 || gpa >= limit) {
            diagnostics.error(m.gpa().get().pos(), "gpa " + (gpa < 0 ? Long.toString(gpa) : hex(gpa))
                    + " is outside the " + bits + "-bit guest physical address space of " + levels + "-level paging");
            ok = false;
        } else if (size > limit - gpa) {
            diagnostics.error(m.size().get().pos(), "memslot " + id + " ends past " + hex(limit) + ", the end of the "
                    + bits + "-bit guest physical address space of " + levels + "-level paging");
            return null;
        }
        if (ok && gpa % backing != 0) {
            diagnostics.error(m.gpa().get().pos(), "gpa " + hex(gpa) + " is not aligned to the " + sizeName(backing)
                    + " backing");
            ok = false;
        }
        if (ok && size % backing != 0) {
            diagnostics.error(m.size().get().pos(), "size " + hex(size) + " is not a multiple of the " + sizeName(backing)
                    + " backing");
            ok = false;
        }
        if (!ok) {
            return null;
        }
        boolean dirtyLog = m.flags().contains(Memslot.Flag.DIRTY_LOG);
        boolean readonly = m.flags().contains(Memslot.Flag.READONLY);
        boolean gupFastMayFail = m.gupFastMayFail().map(Memslot.OnOff::on).orElse(false);
        return new MemslotSpec(m.pos(), (int) id, gpa, size, backing, dirtyLog, readonly, gupFastMayFail);
    }

    private long constant(Expr e, String what, long fallback) {
        OptionalLong v = eval.eval(e);
        if (v.isEmpty()) {
            diagnostics.error(e.pos(), what + " must be a constant number");
            return fallback;
        }
        return v.getAsLong();
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String range(MemslotSpec s) {
        return "[" + hex(s.gpa()) + ", " + hex(s.end()) + ")";
    }

    /** 4K, 2M, 64G: in the largest unit that divides it (memslot sizes are whole pages). */
    private static String sizeName(long bytes) {
        if (bytes % G1 == 0) {
            return bytes / G1 + "G";
        }
        return bytes % (1L << 20) == 0 ? (bytes >> 20) + "M" : (bytes >> 10) + "K";
    }
}
