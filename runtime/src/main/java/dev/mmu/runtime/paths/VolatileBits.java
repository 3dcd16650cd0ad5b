package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Spte;

/**
 * SPTE writes under mmu_lock held for write that start from the caller's snapshot of the SPTE
 * (the TDP iterator's iter.old_spte), while bits of it may still change without mmu_lock: the
 * hardware sets A and D, fast_page_fault() sets W (spte.h, tdp_iter.h, tdp_mmu.c, v6.12 and v7.2; which of them
 * need an xchg, and whether the zap marks the page dirty, by the machine's kernel).
 */
final class VolatileBits {
    private VolatileBits() {}

    /** A write: the SPTE and what handle_changed_spte() does, and a lost D bit's violation. */
    static final Footprint WRITE = TdpMmu.SET_SPTE.andUpdates(Resource.VIOLATIONS);

    /** The bits other threads change without mmu_lock: the only ones a snapshot taken under the lock may miss. */
    private static final long VOLATILE = Spte.WRITABLE | Spte.ACCESSED | Spte.DIRTY;

    /**
     * spte_has_volatile_bits() (spte.h, v6.12) with A/D bits enabled (EPT A/D): the CPU may still
     * set A, or D of a writable SPTE, and fast_page_fault() may set W of an MMU-writable one. Without
     * accessedVolatile, spte_needs_atomic_update() (spte.c, v6.15+): A is left out, as "KVM tolerates
     * false negatives/positives" on it, so a non-writable or dirty leaf with A clear needs no xchg.
     */
    static boolean hasVolatileBits(long spte, boolean accessedVolatile) {
        return (!Spte.writable(spte) && (spte & Spte.MMU_WRITABLE) != 0)
                || (accessedVolatile && (spte & Spte.ACCESSED) == 0)
                || (Spte.writable(spte) && (spte & Spte.DIRTY) == 0);
    }

    /**
     * kvm_tdp_mmu_spte_need_atomic_write() (tdp_iter.h, v6.12; _need_atomic_update() since v6.15): a
     * present leaf with volatile bits.
     */
    static boolean needAtomicWrite(long oldSpte, boolean accessedVolatile) {
        return Spte.present(oldSpte) && Spte.leaf(oldSpte) && hasVolatileBits(oldSpte, accessedVolatile);
    }

    /**
     * The root whose SPTE a call names (iter->sptep): the walk's, the innermost enclosing tdp_pte
     * loop's or root loop's, which the compiler passes after the declared arguments at `at`, else the
     * valid root of address space 0.
     */
    static int root(Exec e, long[] args, int at) {
        return args.length > at ? (int) args[at] : e.s.root;
    }

    /** kvm_tdp_mmu_read_spte(): the SPTE mapping gfn at level in root, 0 if no table reaches that level. */
    static long read(Exec e, int root, long gfn, int level) {
        Walk w = Walk.to(e.s, root, gfn, level);
        return w == null || w.level() != level ? 0 : w.spte();
    }

    /**
     * tdp_mmu_set_spte() (tdp_mmu.c, v6.12; 7.2's tdp_mmu.c:703 by the version's test): kvm_tdp_mmu_write_spte() exchanges the SPTE atomically
     * when the caller's snapshot has volatile bits (by the machine's kernel: {@link
     * dev.mmu.runtime.model.VmConfig#accessedBitVolatile}) and handles the value it replaced, else writes
     * it with WRITE_ONCE and handles the snapshot; handle_changed_spte() then calls kvm_set_pfn_dirty()
     * for a dirty leaf that goes away (until v6.13: {@link dev.mmu.runtime.model.VmConfig#setsPfnDirtyOnZap};
     * since, the fault marks the folio dirty and a dropped D bit breaks nothing). With atomic false, the form before "KVM: x86/mmu: Use atomic
     * XCHG to write TDP MMU SPTEs with volatile bits" (ba3a6120a4e7, v5.18): always WRITE_ONCE.
     * Under the write lock a snapshot differs from memory in the volatile bits only, so the value
     * handled is memory's with the snapshot's W/A/D. The SPTE is the one mapping gfn at level in
     * root. Returns the value handled.
     */
    static long setSpte(Exec e, int root, long gfn, int level, long oldSpte, long newSpte, boolean atomic) {
        Walk w = Walk.to(e.s, root, gfn, level);
        if (w == null || w.level() != level) {
            e.note("tdp_mmu_set_spte: no table at L" + level + " for gfn 0x" + Long.toHexString(gfn));
            return 0;
        }
        if (newSpte != 0 && !(Spte.present(newSpte) && Spte.leaf(newSpte))) {
            throw new ScenarioError("tdp_mmu_set_spte: new_spte must be 0 or a leaf SPTE, not 0x" + Long.toHexString(newSpte));
        }
        long memory = w.spte();
        boolean xchg = atomic && needAtomicWrite(oldSpte, e.s.config.accessedBitVolatile());
        boolean setPfnDirty = e.s.config.setsPfnDirtyOnZap();
        if (!xchg && (memory & ~VOLATILE) != (oldSpte & ~VOLATILE)) {
            e.violate(Invariant.lost_spte_update, "WRITE_ONCE over the SPTE of gfn 0x" + Long.toHexString(gfn) + " L" + level
                    + " replaced " + Spte.describe(memory, level) + ", not the snapshot " + Spte.describe(oldSpte, level)
                    + " it handles: another thread's change since the read is lost");
        }
        // Past a lost update the model handles memory's structure with the snapshot's W/A/D (the
        // kernel handles the stale snapshot, e.g. a table twice); the violation is already recorded.
        long handled = xchg ? memory : (memory & ~VOLATILE) | (oldSpte & VOLATILE);
        if (setPfnDirty && dirtyBitLost(memory, handled, newSpte)) {
            e.violate(Invariant.dirty_bit_lost, "WRITE_ONCE over the SPTE of gfn 0x" + Long.toHexString(gfn)
                    + " dropped the D bit the CPU set after the snapshot: kvm_set_pfn_dirty(0x"
                    + Long.toHexString(Spte.pfn(memory)) + ") never runs, the host sees the page clean");
        }
        e.s.setSpte(w.spId(), w.index(), newSpte);
        e.work();
        if (e.tracing()) {
            e.note((xchg ? "xchg" : "WRITE_ONCE") + " SPTE L" + level + " gfn 0x"
                    + Long.toHexString(gfn) + " " + Spte.describe(memory, level) + ((memory & Spte.DIRTY) != 0 ? " dirty" : "")
                    + " -> " + Spte.describe(newSpte, level) + (setPfnDirty && (handled & Spte.DIRTY) != 0 ? ", kvm_set_pfn_dirty" : ""));
        }
        if (handled != newSpte) TdpMmu.checkSpteWritableInvariants(e, level, newSpte, "handle_changed_spte");
        TdpMmu.handleChangedSpte(e, level, handled, newSpte);
        return handled;
    }

    /**
     * The D bit in memory is gone with nobody told: handle_changed_spte() saw no D (so no
     * kvm_set_pfn_dirty()) and the new SPTE does not keep it for the same page. A v6.12 contract:
     * since v6.13 the folio is dirty from the fault that made the SPTE writable.
     */
    private static boolean dirtyBitLost(long memory, long handled, long newSpte) {
        boolean dirty = Spte.present(memory) && Spte.leaf(memory) && (memory & Spte.DIRTY) != 0;
        boolean kept = Spte.present(newSpte) && (newSpte & Spte.DIRTY) != 0 && Spte.pfn(newSpte) == Spte.pfn(memory);
        return dirty && (handled & Spte.DIRTY) == 0 && !kept;
    }
}
